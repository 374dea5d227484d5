"""The self-assessment page in real Chromium: with JavaScript (running total, what is missing)
and without (the server's re-render of the same form), evidence upload, and axe-core."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from conftest import axe_violations

pytestmark = pytest.mark.browser
YEAR = dt.date.today().year
PDF = b"%PDF-1.4\n% bien ban hop\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_scores(page, rubric, overrides=None):
    """Known maxima at full marks, the rest shared to reach 800 (the mountainous threshold)."""
    known = sum(c.max_points for c in rubric.criteria if c.max_points)
    unknown = [c for c in rubric.criteria if c.max_points is None]
    rest = 800 - known
    for i, c in enumerate(rubric.criteria):
        value = c.max_points if c.max_points else rest // len(unknown) + (1 if unknown.index(c) < rest % len(unknown) else 0)
        value = (overrides or {}).get(c.id, value)
        page.fill(f"#{c.field}", str(value))


@pytest.fixture
def csp_free_page(chromium):
    """A phone-sized page whose context lets axe-core be injected into pages the API answers with a
    strict CSP (``script-src 'self'`` blocks the inline axe script, not our own scripts)."""
    context = chromium.new_context(locale="vi-VN", viewport={"width": 360, "height": 740}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_with_javascript_running_total_missing_items_and_upload(csp_free_page, live_server, code, rubric):
    page = csp_free_page
    page.goto(f"{live_server.url}/tu-danh-gia/")
    page.wait_for_load_state("networkidle")
    summary = page.locator("#tong-ket")
    assert summary.is_visible()
    assert "chọn xã để biết ngưỡng" in summary.inner_text()
    violations = axe_violations(page)
    assert violations == [], violations
    page.select_option("#commune", "muong-ang")
    page.fill("#year", str(YEAR))
    page.fill("#access_code", code)
    fill_scores(page, rubric, {"tc03": 0})
    text = summary.inner_text()
    assert "ngưỡng 800 điểm" in text
    assert "Tiêu chí 3 đang 0 điểm" in text
    running = int(page.locator("[data-total]").inner_text())
    assert running < 800 and f"Còn thiếu {800 - running} điểm so với ngưỡng 800 điểm." in text
    # Give criterion 3 its points back, one of them taken from criterion 2: exactly the threshold.
    page.fill("#score_tc02", str(int(page.input_value("#score_tc02")) - 1))
    page.fill("#score_tc03", str(800 - running + 1))
    assert page.locator("[data-total]").inner_text() == "800"
    assert "Đã đủ điểm các tiêu chí và đạt ngưỡng" in summary.inner_text()
    page.fill("#score_tc07", "51")  # above a known maximum: blocks the send
    assert "Tiêu chí 7: vượt điểm tối đa 50." in summary.inner_text()
    page.click("button[type=submit]")
    assert page.url.endswith("/tu-danh-gia/")
    page.fill("#score_tc07", "50")
    # A wrong code passes the page's own checks: the server answers 401 with the same form.
    page.fill("#access_code", "SAI0-SAI0-SAI0-SAI0")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Mã truy cập không đúng" in page.locator("#access_code-error").inner_text()
    assert page.input_value("#score_tc07") == "50" and page.input_value("#access_code") == ""
    violations = axe_violations(page)
    assert violations == [], violations
    page.fill("#access_code", code)
    page.set_input_files("#evidence_tc01", files=[{"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    body = page.locator("body").inner_text()
    assert "Đã nhận bản tự đánh giá" in body and "Đạt" in body
    assert "bien-ban.pdf" in body and hashlib.sha256(PDF).hexdigest() in body
    violations = axe_violations(page)
    assert violations == [], violations


def test_without_javascript_errors_come_back_in_the_same_form(no_js_page, live_server, code, rubric):
    page = no_js_page
    page.goto(f"{live_server.url}/tu-danh-gia/")
    assert page.locator("#tong-ket").is_hidden()
    page.select_option("#commune", "muong-ang")
    page.fill("#year", str(YEAR))
    page.fill("#access_code", code)
    fill_scores(page, rubric, {"tc07": "60", "tc02": "mười"})
    page.set_input_files("#evidence", files=[{"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/api/assessments")
    assert page.locator("#score_tc07-error").inner_text() == "Vượt điểm tối đa của tiêu chí này (50 điểm)."
    assert page.locator("#score_tc02-error").inner_text() == "Không phải số."
    assert page.input_value("#score_tc02") == "mười" and page.input_value("#year") == str(YEAR)
    assert page.input_value("#access_code") == code
    assert "Các tệp đã chọn chưa được lưu" in page.locator("#loi-bieu-mau").inner_text()
    page.fill("#score_tc07", "50")
    page.fill("#score_tc02", page.input_value("#score_tc04"))
    page.set_input_files("#evidence", files=[{"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_navigation():
        page.click("button[type=submit]")
    body = page.locator("body").inner_text()
    assert "Đã nhận bản tự đánh giá" in body and "to-trinh.pdf" in body
    assert hashlib.sha256(PDF).hexdigest() in body
    # A wrong code without JavaScript: 401, the message next to the code, the code cleared.
    page.goto(f"{live_server.url}/tu-danh-gia/")
    page.select_option("#commune", "muong-ang")
    page.fill("#year", str(YEAR))
    page.fill("#access_code", "SAI0-SAI0-SAI0-SAI0")
    fill_scores(page, rubric)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Mã truy cập không đúng" in page.locator("#access_code-error").inner_text()
    assert page.input_value("#access_code") == "" and page.input_value("#score_tc01") == "100"


