"""The console's review of self-assessments (functions/console/review.py) through Flask's test client: the list,
the review screen, saving a signed review (and the messages next to the fields when it cannot be saved), a
resubmission while the screen is open, and evidence opened inline from memory (PDF/PNG under a sandbox CSP,
XLSX as a table, DOCX as text)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from functions.core import audit
from tests.test_assessments import JSON, PDF, PNG, form

YEAR = dt.date.today().year
DEADLINE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
SHEET_MARKER = "Bảng-số-liệu-7f3a"
DOC_MARKER = "Biên-bản-họp-9c2e"


def xlsx_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    ws.append(["Thôn", "Số trẻ", SHEET_MARKER])
    ws.append(["Bản Mới", 12, None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{DOC_MARKER}</w:t></w:r></w:p><w:p><w:r>'
                   '<w:t>&lt;script&gt;x&lt;/script&gt;</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


def submit(client, code, rubric, **extra):
    data = form(code, rubric, **extra)
    answer = client.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["assessment"]


@pytest.fixture
def submitted(console, client, code, rubric) -> dict:
    record = submit(client, code, rubric, evidence_tc03=(io.BytesIO(PDF), "bien-ban.pdf"),
                    evidence_tc06=(io.BytesIO(xlsx_bytes()), "so-lieu.xlsx"),
                    evidence_tc01=(io.BytesIO(docx_bytes()), "bao-cao.docx"),
                    evidence=(io.BytesIO(PNG), "anh.png"))
    console.unlock()
    return record


def screen(console) -> str:
    answer = console.get(f"/danh-gia/muong-ang/{YEAR}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def review_form(console, rubric, record, **values) -> dict:
    sha = hashlib.sha256(console.session.storage.read(f"assessments/{YEAR}/muong-ang/v{record['version']:04d}.json"))
    return {"version": str(record["version"]), "sha": sha.hexdigest(), "action": "luu", **values}


def test_the_list_shows_each_commune_latest_version_and_status(console, submitted):
    answer = console.get(f"/danh-gia/?nam={YEAR}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'href="/danh-gia/muong-ang/{YEAR}"' in page and "Đã nhận" in page and "Chưa nộp" in page
    assert 'href="/danh-gia/"' in page  # the nav link


def test_locked_console_shows_no_assessment(console, client, code, rubric):
    submit(client, code, rubric)
    assert console.get(f"/danh-gia/muong-ang/{YEAR}").status_code == 303


def test_the_screen_shows_criteria_files_and_the_computed_verdict_and_saves_a_signed_review(console, submitted, rubric):
    page = screen(console)
    assert "Tiêu chí 13." in page and "bien-ban.pdf" in page and "anh.png" in page
    assert "Kết quả tính theo điểm xác minh" in page and "Đạt: 800 / ngưỡng 800 điểm" in page
    assert "Đối chiếu của văn phòng" in page and "không có hồ sơ nào được tính cho tiêu chí này" in page
    values = review_form(console, rubric, submitted, outcome="tra-lai", deadline=DEADLINE, verdict_tc03="can-bo-sung",
                         comment_tc03="Thiếu biên bản <họp>", verified_tc06="100", reason_tc06="Một kế hoạch trễ hạn")
    answer = console.post(f"/danh-gia/muong-ang/{YEAR}", values)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/danh-gia/muong-ang/{YEAR}?da-luu=1"
    stored = json.loads(console.session.storage.read(f"assessment-reviews/{YEAR}/muong-ang/v0001/r0001.json"))
    assert stored["author"] == "can-bo-phat-trien" and stored["outcome"] == "tra-lai" and stored["verified_total"] == 775
    after = console.get(f"/danh-gia/muong-ang/{YEAR}?da-luu=1").get_data(as_text=True)
    assert "Đã lưu kết quả xem xét" in after and "Trả lại để bổ sung" in after
    assert "Thiếu biên bản &lt;họp&gt;" in after and "<họp>" not in after
    assert "Chưa đạt: 775 / ngưỡng 800 điểm" in after
    actions = [(e["action"], e["subject"]) for e in audit.entries(console.session.storage, "can-bo-phat-trien")]
    assert ("write_review", f"muong-ang.{YEAR}.v1") in actions and ("open_assessment", f"muong-ang.{YEAR}.v1") in actions


def test_a_review_that_cannot_be_saved_keeps_what_was_typed_with_messages_by_the_fields(console, submitted, rubric):
    values = review_form(console, rubric, submitted, outcome="de-nghi-cong-nhan", verified_tc07="0",
                         comment_tc07="Không có sổ tiêm chủng")
    answer = console.post(f"/danh-gia/muong-ang/{YEAR}", values)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="loi-reason_tc07"' in page and 'aria-describedby="loi-reason_tc07"' in page
    assert "Không có sổ tiêm chủng" in page and 'value="0"' in page
    assert list(console.session.storage.list("assessment-reviews/")) == []
    values.update(reason_tc07="Không có sổ", **{f"verdict_{c.id}": "dat" for c in rubric.criteria})
    blocked = console.post(f"/danh-gia/muong-ang/{YEAR}", values).get_data(as_text=True)
    assert "Chưa thể đề nghị công nhận" in blocked and "Tiêu chí 7 (" in blocked and "0 điểm" in blocked
    preview = console.post(f"/danh-gia/muong-ang/{YEAR}", {**values, "action": "tinh-lai"})
    assert preview.status_code == 200 and "Chưa đạt: 750 / ngưỡng 800 điểm" in preview.get_data(as_text=True)
    assert list(console.session.storage.list("assessment-reviews/")) == []


def test_a_resubmission_while_the_screen_is_open_is_not_reviewed_blindly_and_differences_show(
        console, submitted, client, code, rubric):
    values = review_form(console, rubric, submitted, outcome="khong-du-dieu-kien")
    submit(client, code, rubric, score_tc01="95", score_tc02=str(int(form(code, rubric)["score_tc02"]) + 5))
    answer = console.post(f"/danh-gia/muong-ang/{YEAR}", values)
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "Xã đã gửi bản mới (lần 2)" in page and "Lần trước: 100 điểm" in page
    assert list(console.session.storage.list("assessment-reviews/")) == []


def test_evidence_opens_inline_from_memory(console, submitted):
    files = {f["filename"]: f["sha256"] for f in submitted["evidence"]}
    base = f"/danh-gia/muong-ang/{YEAR}/tep"
    pdf = console.get(f"{base}/{files['bien-ban.pdf']}")
    assert pdf.status_code == 200 and "<iframe" in pdf.get_data(as_text=True)
    raw = console.get(f"{base}/{files['bien-ban.pdf']}/noi-dung")
    assert raw.status_code == 200 and raw.data == PDF and raw.mimetype == "application/pdf"
    assert raw.headers["Content-Security-Policy"].endswith("; sandbox") and raw.headers["Cache-Control"] == "no-store"
    assert "attachment" not in raw.headers.get("Content-Disposition", "")
    png = console.get(f"{base}/{files['anh.png']}/noi-dung")
    assert png.data == PNG and png.mimetype == "image/png"
    sheet = console.get(f"{base}/{files['so-lieu.xlsx']}").get_data(as_text=True)
    assert "<table" in sheet and SHEET_MARKER in sheet and "<td>12</td>" in sheet and "Số liệu" in sheet
    assert console.get(f"{base}/{files['so-lieu.xlsx']}/noi-dung").status_code == 404
    doc = console.get(f"{base}/{files['bao-cao.docx']}").get_data(as_text=True)
    assert DOC_MARKER in doc and "&lt;script&gt;x&lt;/script&gt;" in doc and "<script>x" not in doc
    assert console.get(f"{base}/{'0' * 64}").status_code == 404  # only files of this submission
    assert ("view_evidence", f"muong-ang.{YEAR}.{files['anh.png'][:16]}") not in \
        [(e["action"], e["subject"]) for e in audit.entries(console.session.storage, "can-bo-phat-trien")]
    assert ("view_evidence", f"muong-ang.{YEAR}.{files['bien-ban.pdf'][:16]}") in \
        [(e["action"], e["subject"]) for e in audit.entries(console.session.storage, "can-bo-phat-trien")]


def test_an_officer_of_another_commune_sees_none_of_it(console, submitted, runner, config, tmp_path):
    from cli_office import PASSPHRASE
    from functions.commands import main
    from functions.console import create_console_app
    from functions.keys import keys_dir, DEV_PASSPHRASE, DEV_ROOT_KEY_NAME

    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE)
    root_pass = tmp_path / "root.txt"
    root_pass.write_text(DEV_PASSPHRASE)
    key = tmp_path / "can-bo-minh.key"
    added = runner.invoke(main, ["officers", "add", "can-bo-minh", "--name", "Minh", "--communes", "bung-lao",
                                 "--key", str(key), "--root-key", str(keys_dir(config) / DEV_ROOT_KEY_NAME),
                                 "--kdf", "interactive"],
                          env={"BVTE_DATA_DIR": str(config.data_dir), "BVTE_NEW_PASSPHRASE_FILE": str(secret),
                               "BVTE_ROOT_PASSPHRASE_FILE": str(root_pass)})
    assert added.exit_code == 0, added.output
    console.session.forget_keyring()
    other = create_console_app(console.session, key, launch_token="t" * 40, port=console.PORT)
    browser = other.test_client()
    base = console.base_url
    assert browser.get(f"/bat-dau?t={'t' * 40}", base_url=base).status_code == 303
    guard = other.extensions["console-guard"]
    assert browser.post("/mo-khoa", data={"mat_khau": PASSPHRASE, "csrf": guard.csrf_token},
                        base_url=base).status_code == 303
    listing = browser.get(f"/danh-gia/?nam={YEAR}", base_url=base).get_data(as_text=True)
    assert "Búng Lao" in listing and "Mường Ảng" not in listing
    assert browser.get(f"/danh-gia/muong-ang/{YEAR}", base_url=base).status_code == 404
    sha = submitted["evidence"][0]["sha256"]
    assert browser.get(f"/danh-gia/muong-ang/{YEAR}/tep/{sha}/noi-dung", base_url=base).status_code == 404


def test_criterion_6_shows_the_offices_own_figure_from_the_communes_cases(console, submitted, client):
    from tests.test_cases_cli import post_report

    post_report(client, "muong-ang", "s" * 24, category="xam-hai-tinh-duc")
    post_report(client, "bung-lao", "t" * 24, category="xam-hai-tinh-duc")  # another commune: not counted here
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=12)  # the plan's legal times have passed
    console.app.extensions["console-now"] = lambda: later
    page = screen(console)
    assert "0/1 trường hợp (0,0 %) có kế hoạch hỗ trợ, can thiệp được phê duyệt đúng thời hạn" in page
    assert "Xã tự chấm: <strong>125</strong>" in page  # the commune's own answer is untouched
