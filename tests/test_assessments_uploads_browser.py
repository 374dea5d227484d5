"""Large evidence files from the self-assessment page in real Chromium (local backend): sent ahead
through ``POST /api/uploads`` and the signed post, hashed in the browser, claimed by token in the
form; wrong types and failed uploads shown next to the field with what was typed kept; the plain
form post when the upload API cannot be reached."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from conftest import axe_violations

from functions.config import Config
from functions.core.assessment_view import size_label

pytestmark = pytest.mark.browser
YEAR = dt.date.today().year
SMALL_PDF = b"%PDF-1.4\n% to trinh\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"

# Records, across the navigation to the receipt, what the upload status showed while it ran.
WATCH_STATUS = """() => {
  const seen = [];
  const save = () => sessionStorage.setItem("seen", JSON.stringify(seen));
  new MutationObserver(() => {
    document.querySelectorAll(".bvte-upload [role=status]").forEach((el) => {
      const bar = el.parentNode.querySelector("progress");
      seen.push({text: el.textContent, value: bar ? bar.value : null});
    });
    save();
  }).observe(document.getElementById("tu-danh-gia"), {subtree: true, childList: true, characterData: true, attributes: true});
}"""


@pytest.fixture
def form_posts(app) -> list[dict]:
    """What reached POST /api/assessments, as the server saw it (Chromium does not hand test code
    the body of a multipart post that holds files): its length, plain fields and file fields. Read by a
    WSGI layer in front of the app, which parses a copy of the body with the server's own parser and hands
    the app the body untouched."""
    import io

    from functions.api.body import read_body
    from functions.api.http import Request

    seen: list[dict] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ.get("PATH_INFO") == "/api/assessments":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            copy = Request(method="POST", path="/api/assessments", body=io.BytesIO(body),
                           headers={"content-type": environ.get("CONTENT_TYPE", "")})
            read_body(copy, len(body) + 1)
            seen.append({"length": length, "fields": sorted(copy.form),
                         "files": sorted((u.field, u.filename) for u in copy.files if u.filename)})
            copy.close()
        return inner(environ, start_response)

    app.wsgi_app = recording
    return seen


def big_pdf(size: int) -> bytes:
    body = b"%PDF-1.4\n% ho so minh chung\n"
    tail = b"\n%%EOF\n"
    return body + b"0" * (size - len(body) - len(tail)) + tail


def open_form(page, live_server, code, rubric) -> int:
    """The page filled in at exactly the threshold; returns the page's upload-ahead limit."""
    page.goto(f"{live_server.url}/tu-danh-gia/")
    page.wait_for_load_state("networkidle")
    page.select_option("#commune", "muong-ang")
    page.fill("#year", str(YEAR))
    page.fill("#access_code", code)
    known = sum(c.max_points for c in rubric.criteria if c.max_points)
    unknown = [c for c in rubric.criteria if c.max_points is None]
    rest = 800 - known
    for c in rubric.criteria:
        value = c.max_points if c.max_points else rest // len(unknown) + (1 if unknown.index(c) < rest % len(unknown) else 0)
        page.fill(f"#{c.field}", str(value))
    assert page.locator("[data-total]").inner_text() == "800"
    ahead = page.get_attribute("#tu-danh-gia", "data-upload-ahead")
    assert ahead == str(Config().assessment_upload_ahead_bytes)  # rendered from the configuration
    return int(ahead)


def typed_scores(page, rubric) -> dict[str, str]:
    return {c.field: page.input_value(f"#{c.field}") for c in rubric.criteria}


def record_posts(page) -> list:
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and (
        "/api/uploads" in r.url or "/api/assessments" in r.url) else None)  # not the visits beacon
    return posts


def receipt_rows(page) -> list[list[str]]:
    """The receipt's table of files: [name, kind, for, size, SHA-256] per file."""
    rows = page.locator("table:has(caption:text('SHA-256')) tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()] for i in range(rows.count())]


def paths(posts) -> list[str]:
    return [p.url.split("/", 3)[3].split("?")[0] for p in posts]


def test_a_large_file_goes_ahead_and_the_receipt_shows_its_size_and_hash(page, form_posts, live_server, app, code,
                                                                          rubric):
    ahead = open_form(page, live_server, code, rubric)
    big = big_pdf(ahead + 65_536)
    posts = record_posts(page)
    page.set_input_files("#evidence_tc01", files=[{"name": "bien-ban-lon.pdf", "mimeType": "application/pdf", "buffer": big}])
    page.set_input_files("#evidence", files=[{"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}])
    page.evaluate(WATCH_STATUS)
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

    assert paths(posts) == ["api/uploads", "api/uploads/local", "api/assessments"]
    announced = json.loads(posts[0].post_data)
    assert announced == {"filename": "bien-ban-lon.pdf", "content_type": "application/pdf", "size": len(big),
                         "sha256": hashlib.sha256(big).hexdigest()}  # hashed in the browser
    from functions.web import context

    from functions.api.uploads import _decrypt_waiting

    stored = context(app).storage
    [key] = stored.list("uploads/")  # what the signed post put in storage: the whole file, never in the clear
    assert big[-4096:] not in stored.read(key)
    assert _decrypt_waiting(context(app), key, stored.read(key)) == big
    [form_post] = form_posts
    assert "upload_evidence_tc01" in form_post["fields"]
    assert form_post["files"] == [("evidence", "to-trinh.pdf")]  # the small file stays in the form
    assert form_post["length"] < 64_000  # the large one did not travel in it

    body = page.locator("body").inner_text()
    assert "Đã nhận bản tự đánh giá" in body
    assert sorted(receipt_rows(page)) == [
        ["bien-ban-lon.pdf", "PDF", "Tiêu chí 1", size_label(len(big)), hashlib.sha256(big).hexdigest()],
        ["to-trinh.pdf", "PDF", "Hồ sơ chung", size_label(len(SMALL_PDF)), hashlib.sha256(SMALL_PDF).hexdigest()],
    ]
    seen = json.loads(page.evaluate("sessionStorage.getItem('seen')"))
    texts = [s["text"] for s in seen]
    assert any(t.startswith("Đang tải lên tệp “bien-ban-lon.pdf”") for t in texts), texts
    assert any(t.startswith("Đã tải lên tệp “bien-ban-lon.pdf”") and hashlib.sha256(big).hexdigest() in t
               and s["value"] == 100 for s, t in zip(seen, texts)), seen


def test_wrong_types_are_shown_next_to_the_field_and_scores_stay(page, live_server, code, rubric):
    ahead = open_form(page, live_server, code, rubric)
    posts = record_posts(page)
    scores = typed_scores(page, rubric)
    # Not a type the office takes: refused in the page, before any byte is sent.
    page.set_input_files("#evidence_tc02", files=[{"name": "danh-sach.html", "mimeType": "text/html",
                                                   "buffer": b"<html>" + b"x" * (ahead + 10)}])
    error = page.locator("#evidence_tc02-error")
    assert "Chỉ nhận PDF, ảnh JPEG, ảnh PNG, bảng tính XLSX hoặc văn bản DOCX." in error.inner_text()
    assert page.get_attribute("#evidence_tc02", "aria-invalid") == "true"
    assert "evidence_tc02-error" in page.get_attribute("#evidence_tc02", "aria-describedby")
    page.click("button[type=submit]")
    assert page.url.endswith("/tu-danh-gia/") and posts == []
    assert error.is_visible() and typed_scores(page, rubric) == scores

    # Announced as PDF but an image inside: it goes ahead, the server checks the content on claim
    # and answers with the same form, the message next to the field, every score kept.
    disguised = PNG_HEAD + b"\x00" * (ahead + 100)
    page.set_input_files("#evidence_tc02", files=[])
    assert page.locator("#evidence_tc02-error").count() == 0
    page.set_input_files("#evidence_tc03", files=[{"name": "anh-chup.pdf", "mimeType": "application/pdf", "buffer": disguised}])
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert paths(posts) == ["api/uploads", "api/uploads/local", "api/assessments"]
    assert "không đúng loại đã khai" in page.locator("#evidence_tc03-error").inner_text()
    assert typed_scores(page, rubric) == scores and page.input_value("#access_code") == code
    assert "Các tệp đã chọn chưa được lưu" in page.locator("#loi-bieu-mau").inner_text()
    # The re-rendered form carries the same upload-ahead setting (from the server's configuration).
    assert page.get_attribute("#tu-danh-gia", "data-upload-ahead") == str(ahead)


def test_a_failed_upload_is_shown_and_can_be_retried(page, live_server, code, rubric):
    ahead = open_form(page, live_server, code, rubric)
    big = big_pdf(ahead + 4096)
    posts = record_posts(page)
    page.route("**/api/uploads/local", lambda route: route.abort("internetdisconnected"))
    page.set_input_files("#evidence_tc04", files=[{"name": "ho-so.pdf", "mimeType": "application/pdf", "buffer": big}])
    page.click("button[type=submit]")
    error = page.locator("#evidence_tc04-error")
    error.wait_for(timeout=30_000)
    assert "Mất kết nối khi đang tải lên tệp “ho-so.pdf”" in error.inner_text()
    assert page.url.endswith("/tu-danh-gia/") and page.input_value("#access_code") == code
    assert page.locator("button[type=submit]").is_enabled()
    assert page.locator("input[name=upload_evidence_tc04]").count() == 0
    violations = axe_violations(page)
    assert violations == [], violations
    page.unroute("**/api/uploads/local")
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert paths(posts)[-3:] == ["api/uploads", "api/uploads/local", "api/assessments"]
    body = page.locator("body").inner_text()
    assert "Đã nhận bản tự đánh giá" in body
    assert [r[0::2] for r in receipt_rows(page)] == [["ho-so.pdf", "Tiêu chí 4", hashlib.sha256(big).hexdigest()]]


def test_without_the_upload_api_the_file_travels_in_the_form(page, form_posts, live_server, code, rubric):
    ahead = open_form(page, live_server, code, rubric)
    big = big_pdf(ahead + 4096)
    posts = record_posts(page)
    page.route("**/api/uploads", lambda route: route.abort())
    page.set_input_files("#evidence_tc05", files=[{"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": big}])
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert paths(posts) == ["api/uploads", "api/assessments"]
    [form_post] = form_posts
    assert form_post["files"] == [("evidence_tc05", "bao-cao.pdf")] and form_post["length"] > len(big)
    assert not [f for f in form_post["fields"] if f.startswith("upload_")]
    body = page.locator("body").inner_text()
    assert "Đã nhận bản tự đánh giá" in body
    assert [r[0::3] for r in receipt_rows(page)] == [["bao-cao.pdf", size_label(len(big))]]
    assert hashlib.sha256(big).hexdigest() in body


def test_files_that_together_pass_the_limit_go_ahead_largest_first(page, form_posts, live_server, code, rubric):
    ahead = open_form(page, live_server, code, rubric)
    larger, smaller = big_pdf(ahead * 6 // 10), big_pdf(ahead * 5 // 10)  # each under, both over the limit
    posts = record_posts(page)
    page.set_input_files("#evidence_tc06", files=[{"name": "nho.pdf", "mimeType": "application/pdf", "buffer": smaller}])
    page.set_input_files("#evidence_tc07", files=[{"name": "lon.pdf", "mimeType": "application/pdf", "buffer": larger}])
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert paths(posts) == ["api/uploads", "api/uploads/local", "api/assessments"]
    assert json.loads(posts[0].post_data)["filename"] == "lon.pdf"
    [form_post] = form_posts
    assert form_post["files"] == [("evidence_tc06", "nho.pdf")] and "upload_evidence_tc07" in form_post["fields"]
    assert form_post["length"] < ahead  # what Lambda receives stays under the limit
    assert sorted(r[0] for r in receipt_rows(page)) == ["lon.pdf", "nho.pdf"]


def test_when_the_page_says_all_even_a_small_file_goes_ahead(page, form_posts, live_server, code, rubric):
    open_form(page, live_server, code, rubric)
    # What a site built with BVTE_ASSESSMENT_UPLOAD_AHEAD_BYTES=0 (Lambda: every byte counts) renders.
    page.evaluate("document.getElementById('tu-danh-gia').setAttribute('data-upload-ahead', 'all')")
    posts = record_posts(page)
    page.set_input_files("#evidence", files=[{"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}])
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert paths(posts) == ["api/uploads", "api/uploads/local", "api/assessments"]
    [form_post] = form_posts
    assert form_post["files"] == [] and "upload_evidence" in form_post["fields"]
    assert [r[0] for r in receipt_rows(page)] == ["to-trinh.pdf"]


def test_the_form_renders_the_configured_upload_ahead_setting(rubric):
    from functions.core.assessment_view import render_form
    from functions.core.places import load_places

    places = load_places(Config().content_dir)
    assert 'data-upload-ahead="all"' in render_form(rubric, places, base="/", upload_ahead_bytes=0)
    assert 'data-upload-ahead="1048576"' in render_form(rubric, places, base="/", upload_ahead_bytes=1048576)
    assert 'data-uploads="/api/uploads"' in render_form(rubric, places, base="/")
