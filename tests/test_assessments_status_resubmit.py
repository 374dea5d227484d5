"""Resubmission after a status lookup: the previous answers come back pre-filled (web form and XLSX), the
previous evidence is kept by reference (only the commune's own), and a wrong code learns nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html as htmllib
import io
import re

import pytest

from functions.core import access_codes, office_keys, review_store
from functions.core.assessment_review import decide
from functions.core.assessment_template import read_template
from functions.keys import DEV_PASSPHRASE, dev_officer_key, ensure_dev_office
from tests.test_assessments import JSON, PDF, PNG, form

YEAR = dt.date.today().year
DEADLINE = (dt.date.today() + dt.timedelta(days=20)).isoformat()
PDF_SHA = hashlib.sha256(PDF).hexdigest()


@pytest.fixture
def app(config):
    from functions.web import create_app

    ensure_dev_office(config)
    return create_app(config)


def submit(client, data) -> object:
    return client.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")


@pytest.fixture
def returned(client, code, rubric, storage, config) -> dict:
    """Version 1 with a PDF for criterion 3 and a general PNG, returned with a comment on criterion 3."""
    record = submit(client, {**form(code, rubric, score_tc02="5"), "evidence_tc03": (io.BytesIO(PDF), "bien-ban.pdf"),
                             "evidence": (io.BytesIO(PNG), "anh-chung.png")}).get_json()["assessment"]
    decision = decide(rubric, record, {"outcome": "tra-lai", "deadline": DEADLINE, "verdict_tc03": "can-bo-sung",
                                       "comment_tc03": "Thiếu biên bản họp"}, today=dt.date.today())
    identity = office_keys.unlock(dev_officer_key(config).read_bytes(), DEV_PASSPHRASE)
    review_store.write_review(storage, commune_id="muong-ang", year=YEAR, version=1,
                              submission_sha256=review_store.submission_digest(storage, YEAR, "muong-ang", 1),
                              decision=decision, author="can-bo-phat-trien", identity=identity)
    return record


def lookup_page(client, code) -> str:
    answer = client.post("/api/assessments/status", data={"commune": "Mường Ảng", "year": str(YEAR), "access_code": code})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_answer_page_carries_the_previous_answers_in_the_form_and_the_sheet(client, code, rubric, returned):
    page = lookup_page(client, code)
    assert "Gửi lại bản tự đánh giá (lần gửi 2)" in page and "Thiếu biên bản họp" in page and DEADLINE in page
    form_html = page.split('id="tu-danh-gia"')[1].split("</form>")[0]
    for c in rubric.criteria:
        value = re.search(rf'name="{c.field}"[^>]*value="([^"]*)"', form_html)
        assert value and value.group(1) == str(returned["scores"][c.id]), c.field
    assert re.search(r'<option value="muong-ang"[^>]*selected', form_html)
    assert f'value="{YEAR}"' in form_html and code not in page
    # Both files offered to keep, ticked, tied to the form; the spreadsheet link decodes to a filled template.
    kept = re.findall(r'<input type="checkbox" form="tu-danh-gia" name="keep_evidence" value="([0-9a-f]{64})"[^>]* checked>',
                      page)
    assert set(kept) == {PDF_SHA, hashlib.sha256(PNG).hexdigest()}
    assert "bien-ban.pdf (Tiêu chí 3," in page and "anh-chung.png (Hồ sơ chung," in page
    data = re.search(r'href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet;base64,'
                     r'([A-Za-z0-9+/=]+)" download="tu-danh-gia-muong-ang-%d-lan-1\.xlsx"' % YEAR, page)
    sheet = read_template(io.BytesIO(base64.b64decode(data.group(1))), rubric)
    assert sheet.commune == "Mường Ảng" and sheet.year == str(YEAR) and sheet.cell_errors == []
    assert sheet.scores == returned["scores"]


def test_the_json_answer_names_the_previous_scores_and_files(client, code, returned):
    status = client.post("/api/assessments/status", data={"commune": "muong-ang", "year": str(YEAR), "access_code": code},
                         headers=JSON).get_json()["assessment_status"]
    assert status["answers"]["scores"] == returned["scores"]
    assert {f["filename"] for f in status["answers"]["files"]} == {"bien-ban.pdf", "anh-chung.png"}


def test_a_resubmission_keeps_chosen_files_by_reference_and_sends_new_ones(client, code, rubric, returned, storage):
    before = set(storage.list("assessments/evidence/"))
    again = submit(client, {**form(code, rubric, score_tc02="7"), "keep_evidence": PDF_SHA,
                            "evidence_tc03": (io.BytesIO(PDF + b"% bo sung\n"), "bien-ban-bo-sung.pdf")})
    assert again.status_code == 201, again.get_json()
    record = again.get_json()["assessment"]
    assert record["version"] == 2 and record["scores"]["tc02"] == 7
    files = {(f["filename"], f["criterion"], f["sha256"]) for f in record["evidence"]}
    assert files == {("bien-ban.pdf", "tc03", PDF_SHA),
                     ("bien-ban-bo-sung.pdf", "tc03", hashlib.sha256(PDF + b"% bo sung\n").hexdigest())}
    # The kept file was not stored again: only the new file's parts are new.
    added = set(storage.list("assessments/evidence/")) - before
    assert added and all(PDF_SHA not in key for key in added)


def test_a_file_of_another_commune_cannot_be_kept_and_nothing_is_stored(client, app, code, rubric, returned, storage):
    from functions.web import context

    ctx = context(app)
    other, _ = access_codes.issue(ctx.storage, ctx.secret(), "bung-lao")
    secret_file = PDF + b"% bung lao\n"
    submit(client, {**form(other, rubric, commune="bung-lao"), "evidence": (io.BytesIO(secret_file), "ds-tre-em.pdf")})
    for forged in (hashlib.sha256(secret_file).hexdigest(), "not-a-hash"):
        answer = submit(client, {**form(code, rubric), "keep_evidence": forged})
        assert answer.status_code == 400 and set(answer.get_json()["error"]["fields"]) == {"keep_evidence"}
    assert [v for v, _ in __import__("functions.core.assessments", fromlist=["x"]).versions(storage, YEAR, "muong-ang")] == [1]
    page = client.post("/api/assessments", data={**form(code, rubric), "keep_evidence": "0" * 64},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Tệp đã gửi lần trước:" in page and "không thuộc các bản xã đã gửi" in page


def test_a_wrong_code_sees_no_previous_answers_and_the_form_comes_back_keeping_only_hashes(client, code, rubric,
                                                                                           returned):
    wrong = client.post("/api/assessments/status",
                        data={"commune": "muong-ang", "year": str(YEAR), "access_code": "AAAA-BBBB-CCCC-DDDD"})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 401 and "bien-ban.pdf" not in page and "keep_evidence" not in page
    assert "Gửi lại bản tự đánh giá" not in page and "base64" not in page
    back = client.post("/api/assessments", data={**form("AAAA-BBBB-CCCC-DDDD", rubric), "keep_evidence": PDF_SHA},
                       content_type="multipart/form-data")
    shown = htmllib.unescape(back.get_data(as_text=True))
    assert back.status_code == 401 and "bien-ban.pdf" not in shown
    assert f'<input type="hidden" form="tu-danh-gia" name="keep_evidence" value="{PDF_SHA}">' in shown
    assert "Vẫn giữ 1 tệp đã gửi lần trước" in shown
