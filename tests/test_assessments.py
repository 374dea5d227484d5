"""``POST /api/assessments``, access codes, the XLSX template and the office report.

These tests run against the Flask app with an empty site directory (the fallback page shell), so
they do not wait for the full site build; the browser tests use the real built site.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from functions.api.http import Context
from functions.config import Config
from functions.core import access_codes, assessment_template
from functions.core.rubric import load_rubrics, rubrics_dir
from functions.storage import StorageUnavailable, open_storage

YEAR = dt.date.today().year
JSON = {"Accept": "application/json"}
PDF = b"%PDF-1.4\n% test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cfg(tmp_path) -> Config:
    return Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True)


@pytest.fixture
def app_(cfg):
    from functions.web import create_app

    return create_app(cfg)


@pytest.fixture
def api(app_):
    return app_.test_client()


@pytest.fixture
def ctx(app_) -> Context:
    from functions.web import context

    return context(app_)


@pytest.fixture(scope="module")
def rubric():
    return load_rubrics(rubrics_dir(Config().content_dir))[0]


def issue(ctx: Context, commune: str = "muong-ang") -> str:
    code, _ = access_codes.issue(ctx.storage, ctx.secret(), commune)
    return code


def passing_scores(rubric, total=800) -> dict[str, str]:
    """Whole-number scores within known maxima adding up to ``total``."""
    scores = {c.id: (c.max_points if c.max_points is not None else 0) for c in rubric.criteria}
    unknown = [c for c in rubric.criteria if c.max_points is None]
    rest = total - sum(scores.values())
    for i, c in enumerate(unknown):
        scores[c.id] = rest // len(unknown) + (1 if i < rest % len(unknown) else 0)
    assert sum(scores.values()) == total
    return {f"score_{k}": str(v) for k, v in scores.items()}


def form(code: str, rubric, commune="muong-ang", **extra) -> dict:
    return {"commune": commune, "year": str(YEAR), "access_code": code, **passing_scores(rubric), **extra}


def stored(ctx, prefix="assessments/") -> list[str]:
    return list(ctx.storage.list(prefix))


# -- the happy path and versions ----------------------------------------------------------------

def test_typed_scores_with_evidence_are_stored_and_receipted(api, ctx, rubric):
    code = issue(ctx)
    data = form(code, rubric, evidence_tc01=(io.BytesIO(PDF), "bien-ban.pdf"), evidence=(io.BytesIO(PNG), "anh.png"))
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    a = r.get_json()["assessment"]
    assert (a["version"], a["commune"], a["year"], a["source"]) == (1, "muong-ang", YEAR, "form")
    assert a["result"]["total"] == 800 and a["result"]["threshold"] == 800 and a["result"]["verdict"] == "Đạt"
    import hashlib
    files = {f["filename"]: f for f in a["evidence"]}
    assert files["bien-ban.pdf"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert files["bien-ban.pdf"]["size"] == len(PDF) and files["bien-ban.pdf"]["criterion"] == "tc01"
    assert files["anh.png"]["kind"] == "png" and files["anh.png"]["criterion"] is None
    from functions.core.assessments import read_evidence
    assert b"".join(read_evidence(ctx.storage, hashlib.sha256(PDF).hexdigest())) == PDF


def test_html_receipt_lists_scores_verdict_and_files(api, ctx, rubric):
    code = issue(ctx)
    data = form(code, rubric, score_tc03="0", evidence=(io.BytesIO(PDF), "to-trinh.pdf"))
    r = api.post("/api/assessments", data=data, content_type="multipart/form-data")
    assert r.status_code == 201
    page = r.get_data(as_text=True)
    assert "Đã nhận bản tự đánh giá" in page and "Chưa đạt" in page
    assert "Tiêu chí 3 (Trẻ em bị xâm hại) có 0 điểm" in page
    assert "to-trinh.pdf" in page and __import__("hashlib").sha256(PDF).hexdigest() in page
    assert "chưa được ghi nhận" in page


def test_resubmission_is_a_new_version_and_the_latest_counts(api, ctx, rubric, runner, cfg):
    code = issue(ctx)
    first = api.post("/api/assessments", data=form(code, rubric), headers=JSON, content_type="multipart/form-data")
    second = api.post("/api/assessments", data=form(code, rubric, score_tc02="0"), headers=JSON,
                      content_type="multipart/form-data")
    assert first.status_code == second.status_code == 201
    assert second.get_json()["assessment"]["version"] == 2
    from functions.core.assessments import latest, read_submission
    assert latest(ctx.storage, YEAR, "muong-ang")["result"]["verdict"] == "Chưa đạt"
    assert read_submission(ctx.storage, YEAR, "muong-ang", 1)["result"]["verdict"] == "Đạt"
    assert stored(ctx, f"assessments/{YEAR}/muong-ang/") == [
        f"assessments/{YEAR}/muong-ang/v0001.json", f"assessments/{YEAR}/muong-ang/v0002.json"]


def test_same_submission_id_is_stored_once(api, ctx, rubric):
    code = issue(ctx)
    data = lambda: form(code, rubric, submission_id="a" * 32)  # noqa: E731
    one = api.post("/api/assessments", data=data(), headers=JSON, content_type="multipart/form-data")
    two = api.post("/api/assessments", data=data(), headers=JSON, content_type="multipart/form-data")
    assert one.status_code == 201 and two.status_code == 200
    assert two.get_json()["assessment"]["version"] == 1
    assert len(stored(ctx, f"assessments/{YEAR}/")) == 1


# -- access codes -------------------------------------------------------------------------------

def test_wrong_code_is_401_with_a_message_and_nothing_stored(api, ctx, rubric):
    issue(ctx)
    r = api.post("/api/assessments", data=form("AAAA-BBBB-CCCC-DDDD", rubric), headers=JSON,
                 content_type="multipart/form-data")
    assert r.status_code == 401
    err = r.get_json()["error"]
    assert err["status"] == 401 and "mã mới nhất" in err["fields"]["access_code"]
    assert stored(ctx) == []


def test_reissued_code_revokes_the_old_one(api, ctx, rubric):
    old = issue(ctx)
    new = issue(ctx)
    assert old != new
    r = api.post("/api/assessments", data=form(old, rubric), headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 401
    ok = api.post("/api/assessments", data=form(new.lower().replace("-", " "), rubric), headers=JSON,
                  content_type="multipart/form-data")
    assert ok.status_code == 201  # typed in lower case with spaces: still the code


def test_a_code_belongs_to_its_commune(api, ctx, rubric):
    code = issue(ctx, "bung-lao")
    r = api.post("/api/assessments", data=form(code, rubric, commune="muong-ang"), headers=JSON,
                 content_type="multipart/form-data")
    assert r.status_code == 401


def test_wrong_codes_slow_down_their_client_never_the_commune(api, ctx, rubric, cfg, caplog):
    good = issue(ctx)
    for _ in range(cfg.access_code_attempts_per_hour):
        r = api.post("/api/assessments", data=form("WRONG-CODE", rubric), headers=JSON,
                     content_type="multipart/form-data")
        assert r.status_code == 401
    r = api.post("/api/assessments", data=form(good, rubric), headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 429 and "access_code" in r.get_json()["error"]["fields"]
    # Another client may still try (issue 15: no commune-wide lockout — this replaces the earlier rule that
    # the commune's own count of failures locked it for everyone for the hour).
    ctx.config.access_code_commune_attempts_per_hour = cfg.access_code_attempts_per_hour + 1
    r = api.post("/api/assessments", data=form("WRONG", rubric), headers=JSON, content_type="multipart/form-data",
                 environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert r.status_code == 401
    with caplog.at_level("WARNING", logger="functions.api.assessments"):
        r = api.post("/api/assessments", data=form(good, rubric), headers=JSON, content_type="multipart/form-data",
                     environ_base={"REMOTE_ADDR": "127.0.0.10"})
    assert r.status_code == 201  # the commune's holder of the right code is never locked out
    # No client address is stored: rate-limit keys are keyed hashes.
    counters = [p.name for p in (cfg.data_dir / "store" / ".counters").rglob("*") if p.is_file()]
    assert counters and not any("127.0.0" in name for name in counters)


def test_a_flood_of_wrong_codes_from_many_addresses_does_not_stop_the_right_code(api, ctx, rubric, cfg, caplog,
                                                                                   monkeypatch):
    import functions.api.assessments as assessments_api

    # A fixed moment in the middle of an hour: a run crossing hh:00 would split the 50 failures over two
    # hourly counters and the alert would not come (seen once at 05:00 UTC).
    monkeypatch.setattr(assessments_api.time, "time", lambda: 3600.0 * 500_000 + 1800)
    good = issue(ctx)
    ctx.config.access_code_commune_attempts_per_hour = 50
    with caplog.at_level("WARNING", logger="functions.api.assessments"):
        for n in range(50):  # 50 wrong codes from 5 addresses, 10 each (each address up to its own limit)
            r = api.post("/api/assessments", data=form("AAAA-BBBB-CCCC-DDDD", rubric), headers=JSON,
                         content_type="multipart/form-data", environ_base={"REMOTE_ADDR": f"127.0.1.{n % 5 + 1}"})
            assert r.status_code == 401
    alerts = [rec.getMessage() for rec in caplog.records if "wrong codes for commune" in rec.getMessage()]
    assert alerts == ["access code: 50 wrong codes for commune muong-ang this hour (UTC); its code still works"]
    assert not any("AAAA" in rec.getMessage() or "127.0.1" in rec.getMessage() for rec in caplog.records)
    r = api.post("/api/assessments", data=form(good, rubric), headers=JSON, content_type="multipart/form-data",
                 environ_base={"REMOTE_ADDR": "127.0.1.6"})
    assert r.status_code == 201
    # The five guessing addresses are held back, even with the right code.
    r = api.post("/api/assessments", data=form(good, rubric), headers=JSON, content_type="multipart/form-data",
                 environ_base={"REMOTE_ADDR": "127.0.1.1"})
    assert r.status_code == 429


def test_a_client_that_keeps_trying_while_held_back_stays_held_back(api, ctx, rubric, cfg, monkeypatch):
    import functions.api.assessments as assessments_api

    good, clock = issue(ctx), [3600.0 * 500_000]
    monkeypatch.setattr(assessments_api.time, "time", lambda: clock[0])

    def send(code):
        return api.post("/api/assessments", data=form(code, rubric), headers=JSON,
                        content_type="multipart/form-data").status_code

    for _ in range(cfg.access_code_attempts_per_hour):
        assert send("WRONG") == 401
    clock[0] += 3600 + 1800  # half an hour into the next hour: 10 x 0.5 = 5 left in the sliding hour
    assert send(good) == 201
    for _ in range(5):
        assert send("WRONG") == 401
    for _ in range(20):  # held back; each attempt still counts
        assert send(good) == 429
    clock[0] += 1800  # the failures of the previous hour are gone, but not the 25 of this one
    assert send(good) == 429


def test_code_is_hashed_at_rest_and_printed_once_by_the_cli(runner, cfg, monkeypatch):
    from functions.commands import main

    monkeypatch.setenv("BVTE_DATA_DIR", str(cfg.data_dir))
    r = runner.invoke(main, ["communes", "issue-code", "Ẳng Tở"])  # a former name: today's Búng Lao
    assert r.exit_code == 0, r.output
    code = next(line.strip() for line in r.output.splitlines() if line.strip().count("-") == 3)
    assert "xã Búng Lao" in r.output
    keys = list(open_storage(cfg).list("access-codes/"))
    assert keys == ["access-codes/bung-lao/v000001.json"]
    raw = open_storage(cfg).read(keys[0]).decode()
    assert code not in raw and code.replace("-", "") not in raw
    storage = open_storage(cfg)
    from functions.server_secret import load_or_create_secret
    assert access_codes.verify(storage, load_or_create_secret(cfg), "bung-lao", code)
    r2 = runner.invoke(main, ["communes", "issue-code", "bung-lao"])
    assert "lần cấp thứ 2" in r2.output and "hết hiệu lực" in r2.output
    assert not access_codes.verify(storage, load_or_create_secret(cfg), "bung-lao", code)
    bad = runner.invoke(main, ["communes", "issue-code", "Hà Nội"])
    assert bad.exit_code != 0 and "Không tìm thấy xã" in bad.output


# -- field validation ---------------------------------------------------------------------------

def test_bad_fields_get_messages_next_to_each_field_and_keep_what_was_typed(api, ctx, rubric):
    code = issue(ctx)
    data = form(code, rubric, year="1990", score_tc07="51", score_tc02="mười")
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 400
    fields = r.get_json()["error"]["fields"]
    assert fields["score_tc07"] == "Vượt điểm tối đa của tiêu chí này (50 điểm)."
    assert fields["score_tc02"] == "Không phải số."
    assert fields["year"].startswith("Năm đánh giá phải từ")
    html = api.post("/api/assessments", data=form(code, rubric, score_tc07="51", score_tc02="mười"),
                    content_type="multipart/form-data")
    assert html.status_code == 400
    page = html.get_data(as_text=True)
    assert 'id="score_tc07-error"' in page and 'value="51"' in page and 'value="mười"' in page
    assert f'value="{code}"' in page  # the code typed is kept on a 400 (cleared only after a 401)
    assert stored(ctx) == []


def test_missing_commune_and_code(api, rubric):
    r = api.post("/api/assessments", data={"year": str(YEAR)}, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 400
    fields = r.get_json()["error"]["fields"]
    assert set(fields) >= {"commune", "access_code"}


def test_cross_site_post_is_refused(api, ctx, rubric):
    code = issue(ctx)
    r = api.post("/api/assessments", data=form(code, rubric), headers={**JSON, "Origin": "https://evil.example"},
                 content_type="multipart/form-data")
    assert r.status_code == 403
    null_cross = api.post("/api/assessments", data=form(code, rubric), content_type="multipart/form-data",
                          headers={**JSON, "Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert null_cross.status_code == 403
    # A page under a no-referrer policy posts with Origin: null and Sec-Fetch-Site: same-origin.
    own = api.post("/api/assessments", data=form(code, rubric), content_type="multipart/form-data",
                   headers={**JSON, "Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 201


# -- evidence files -----------------------------------------------------------------------------

def test_a_pdf_that_is_really_an_exe_is_415_and_nothing_is_stored(api, ctx, rubric):
    code = issue(ctx)
    data = form(code, rubric, evidence=[(io.BytesIO(PDF), "ok.pdf"), (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "bao-cao.pdf")])
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 415
    assert "tệp chạy được (EXE)" in r.get_json()["error"]["fields"]["evidence"]
    assert stored(ctx) == []


def _docx() -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return raw.getvalue()


def test_docx_and_xlsx_are_recognised_by_their_parts_and_a_plain_zip_is_not(api, ctx, rubric):
    code = issue(ctx)
    wb = Workbook()
    xlsx = io.BytesIO()
    wb.save(xlsx)
    data = form(code, rubric, evidence=[(io.BytesIO(_docx()), "giai-trinh.docx"), (io.BytesIO(xlsx.getvalue()), "so-lieu.xlsx")])
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 201
    assert sorted(f["kind"] for f in r.get_json()["assessment"]["evidence"]) == ["docx", "xlsx"]
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("a.txt", "x")
    r = api.post("/api/assessments", data=form(code, rubric, evidence=(io.BytesIO(plain.getvalue()), "ho-so.docx")),
                 headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 415 and "ZIP" in r.get_json()["error"]["fields"]["evidence"]


def test_files_over_the_limits_are_413(api, ctx, rubric, cfg):
    code = issue(ctx)
    ctx.config.assessment_max_file_bytes = 1000
    big = PDF + b"0" * 2000
    r = api.post("/api/assessments", data=form(code, rubric, evidence=(io.BytesIO(big), "lon.pdf")), headers=JSON,
                 content_type="multipart/form-data")
    assert r.status_code == 413 and "lon.pdf" in r.get_json()["error"]["fields"]["evidence"]
    ctx.config.assessment_max_file_bytes = 10_000
    ctx.config.assessment_max_total_bytes = 5_000
    files = [(io.BytesIO(PDF + bytes([i]) * 2000), f"{i}.pdf") for i in range(3)]
    r = api.post("/api/assessments", data=form(code, rubric, evidence=files), headers=JSON,
                 content_type="multipart/form-data")
    assert r.status_code == 413 and "Tổng dung lượng" in r.get_json()["error"]["fields"]["evidence"]
    assert stored(ctx) == []


def test_storage_failure_is_503_and_leaves_nothing_that_counts(api, ctx, rubric, monkeypatch):
    code = issue(ctx)
    real_create = ctx.storage.create

    def failing(key, data):
        if key.startswith(f"assessments/{YEAR}/"):
            raise StorageUnavailable("disk full")
        return real_create(key, data)

    monkeypatch.setattr(ctx.storage, "create", failing)
    data = form(code, rubric, evidence=(io.BytesIO(PDF), "a.pdf"))
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 503 and "CHƯA" in r.get_json()["error"]["message"]
    assert stored(ctx) == []  # the evidence this request wrote was removed again
    html = api.post("/api/assessments", data=form(code, rubric, score_tc02="77"), content_type="multipart/form-data")
    page = html.get_data(as_text=True)
    assert html.status_code == 503 and "CHƯA được gửi" in page
    assert 'value="77"' in page and '<option value="muong-ang" data-threshold="800" selected>' in page


# -- the XLSX template --------------------------------------------------------------------------

def fill_template(rubric, scores: dict[str, object], commune="Mường Ảng", year=YEAR) -> bytes:
    wb = load_workbook(io.BytesIO(assessment_template.build_template(rubric, ["Mường Ảng"])))
    ws = wb[assessment_template.SHEET]
    ws[assessment_template.COMMUNE_CELL] = commune
    ws[assessment_template.YEAR_CELL] = year
    for i, c in enumerate(rubric.criteria):
        ws[assessment_template.score_cell(i)] = scores[c.id]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_template_is_protected_with_only_input_cells_unlocked(rubric):
    wb = load_workbook(io.BytesIO(assessment_template.build_template(rubric, ["Mường Ảng"])))
    ws = wb[assessment_template.SHEET]
    assert ws.protection.sheet and wb.security.lockStructure
    assert wb[assessment_template.MARKER_SHEET].sheet_state == "veryHidden"
    assert wb[assessment_template.MARKER_SHEET]["B2"].value == rubric.id
    unlocked = {cell.coordinate for row in ws.iter_rows() for cell in row if not cell.protection.locked}
    expected = {"C3", "C4"} | {assessment_template.score_cell(i) for i in range(13)}
    assert unlocked == expected
    assert [ws.cell(row=7 + i, column=2).value for i in range(13)] == [c.wording for c in rubric.criteria]


def test_template_round_trip_gives_the_same_scores(api, ctx, rubric):
    code = issue(ctx)
    scores = {k[len("score_"):]: int(v) for k, v in passing_scores(rubric, 812).items()}
    data = {"commune": "muong-ang", "year": "", "access_code": code,
            "template": (io.BytesIO(fill_template(rubric, scores)), "tu-danh-gia.xlsx")}
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    a = r.get_json()["assessment"]
    assert a["scores"] == scores and a["source"] == "template" and a["year"] == YEAR
    assert a["result"]["total"] == 812
    assert [f["role"] for f in a["evidence"]] == ["template"]


def test_text_in_a_number_cell_is_named_by_address_and_nothing_stored(api, ctx, rubric):
    code = issue(ctx)
    scores = {k[len("score_"):]: int(v) for k, v in passing_scores(rubric).items()}
    scores["tc01"] = "tám mươi"
    scores["tc07"] = 60
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code,
            "template": (io.BytesIO(fill_template(rubric, scores)), "tu-danh-gia.xlsx")}
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 400
    message = r.get_json()["error"]["fields"]["template"]
    assert "ô C7: không phải số" in message
    assert "ô C13: vượt điểm tối đa của tiêu chí này (50 điểm)" in message
    assert stored(ctx) == []


def test_template_for_another_commune_or_year_is_refused(api, ctx, rubric):
    code = issue(ctx)
    scores = {k[len("score_"):]: int(v) for k, v in passing_scores(rubric).items()}
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code,
            "template": (io.BytesIO(fill_template(rubric, scores, commune="Ngối Cáy", year=YEAR - 1)), "t.xlsx")}
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 400
    message = r.get_json()["error"]["fields"]["template"]
    assert "Ô C3" in message and "Ô C4" in message


def _bomb() -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    return raw.getvalue()


def _wrong_sheet() -> bytes:
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.active["C7"] = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name, make, status, words", [
    ("renamed PDF", lambda: PDF, 415, "là tệp PDF, không phải bảng tính XLSX"),
    ("zip, not xlsx", lambda: _docx(), 415, "văn bản Word"),
    ("wrong sheet", _wrong_sheet, 400, "không phải mẫu tự đánh giá"),
    ("zip bomb", _bomb, 413, "giải nén"),
])
def test_malformed_spreadsheets_get_clear_errors_and_nothing_stored(api, ctx, rubric, name, make, status, words):
    code = issue(ctx)
    payload = make()
    if name == "zip bomb":
        assert len(payload) < 200 * 1024  # small on the wire, 60 MB once expanded
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code,
            "template": (io.BytesIO(payload), "tu-danh-gia.xlsx")}
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == status, r.get_json()
    assert words in r.get_json()["error"]["fields"]["template"]
    assert stored(ctx) == []


def test_template_from_another_rubric_version_is_refused(api, ctx, rubric):
    import dataclasses

    code = issue(ctx)
    older = dataclasses.replace(rubric, version=rubric.version + 1)
    wb = load_workbook(io.BytesIO(assessment_template.build_template(older)))
    out = io.BytesIO()
    wb.save(out)
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code, "template": (io.BytesIO(out.getvalue()), "t.xlsx")}
    r = api.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 400 and "Hãy tải mẫu mới" in r.get_json()["error"]["fields"]["template"]


# -- the office report --------------------------------------------------------------------------

def test_report_lists_every_commune_with_latest_version(api, ctx, rubric, runner, cfg, tmp_path, monkeypatch):
    code = issue(ctx)
    api.post("/api/assessments", data=form(code, rubric), headers=JSON, content_type="multipart/form-data")
    api.post("/api/assessments", data=form(code, rubric, score_tc05="0"), headers=JSON, content_type="multipart/form-data")
    code2 = issue(ctx, "na-tau")
    api.post("/api/assessments", data=form(code2, rubric, commune="na-tau", **passing_scores(rubric, 900)),
             headers=JSON, content_type="multipart/form-data")
    from functions.commands import main

    monkeypatch.setenv("BVTE_DATA_DIR", str(cfg.data_dir))
    xlsx, csv_path = tmp_path / "bao-cao.xlsx", tmp_path / "bao-cao.csv"
    r = runner.invoke(main, ["assessments", "report", "--year", str(YEAR), "--xlsx", str(xlsx), "--csv", str(csv_path)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "xã Búng Lao" in r.output and "xã Mường Lạn" in r.output
    assert "4 xã · 2 đã nộp · 1 tự tính Đạt" in r.output
    muong_ang = next(line for line in lines if line.startswith("xã Mường Ảng"))
    assert "Chưa đạt" in muong_ang and " 2 " in muong_ang  # version 2 counts
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8-sig")))
    assert [row["Xã"] for row in rows] == ["xã Mường Ảng", "xã Búng Lao", "xã Mường Lạn", "xã Nà Tấu"]
    assert rows[0]["Lần gửi"] == "2" and rows[0]["Kết quả tự tính"] == "Chưa đạt"
    assert rows[1]["Đã nộp"] == "Chưa" and rows[1]["Kết quả tự tính"] == "Chưa nộp"
    assert rows[1]["Ngưỡng"] == "800" and rows[1]["Tổng điểm"] == "" and "suy luận" in rows[1]["Ghi chú ngưỡng"]
    assert rows[3]["Tổng điểm"] == "900" and rows[3]["Ngưỡng"] == "800" and rows[3]["Kết quả tự tính"] == "Đạt"
    ws = load_workbook(xlsx).active
    assert ws["A1"].value == "Xã" and ws["A5"].value == "xã Nà Tấu" and ws["G5"].value == 900


def test_the_same_handler_answers_through_the_lambda_entry_point(ctx, rubric):
    import base64

    from urllib3 import encode_multipart_formdata

    from functions import lambda_handler

    code = issue(ctx)
    fields = [(k, v) for k, v in form(code, rubric).items()] + [("evidence", ("bien-ban.pdf", PDF, "application/pdf"))]
    body, content_type = encode_multipart_formdata(fields)
    event = {
        "version": "2.0", "rawPath": "/api/assessments", "rawQueryString": "", "isBase64Encoded": True,
        "headers": {"host": "api.example.vn", "content-type": content_type, "accept": "application/json",
                    "origin": "https://api.example.vn", "content-length": str(len(body))},
        "requestContext": {"http": {"method": "POST", "path": "/api/assessments", "sourceIp": "203.0.113.7"}},
        "body": base64.b64encode(body).decode(),
    }
    lambda_handler.set_context(ctx)
    try:
        answer = lambda_handler.handler(event)
    finally:
        lambda_handler.set_context(None)
    assert answer["statusCode"] == 201, answer
    payload = json.loads(base64.b64decode(answer["body"]) if answer.get("isBase64Encoded") else answer["body"])
    assert payload["assessment"]["evidence"][0]["filename"] == "bien-ban.pdf"
    assert payload["assessment"]["result"]["verdict"] == "Đạt"


def test_receipt_escapes_what_was_sent(api, ctx, rubric):
    code = issue(ctx)
    data = form(code, rubric, evidence=(io.BytesIO(PDF), '<img src=x onerror=alert(1)>.pdf'))
    r = api.post("/api/assessments", data=data, content_type="multipart/form-data")
    assert r.status_code == 201
    page = r.get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.pdf" in page
