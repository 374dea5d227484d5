"""The report form and the status page in real Chromium, with JavaScript on and off, and axe-core."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from conftest import axe_violations
from functions.core import receipts, tips

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dev_keys")]

RECEIPT = re.compile(r"^([2-9A-HJKMNP-TV-Z]{4}-){4}[2-9A-HJKMNP-TV-Z]{4}$")


def _fill(page, description="Em bé nhà bên cạnh bị bố mẹ bỏ đi, ở một mình nhiều ngày"):
    page.fill("#description", description)
    page.check("#category-bo-roi-bo-mac")
    page.fill("#commune", "Ang Cang")
    page.fill("#child_age", "6")


def _photo(tmp_path):
    path = tmp_path / "anh.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 2.0, 3.0)}
    Image.new("RGB", (800, 600), (10, 90, 200)).save(path, "JPEG", exif=exif, quality=95)
    return path


def _lookup(page, base_url, receipt, expect):
    page.goto(f"{base_url}/tra-cuu/")
    page.fill("#receipt", receipt.lower().replace("-", " "))
    page.click("form[data-status-form] button[type=submit]")
    page.wait_for_selector("[data-status-label]")
    assert expect in page.inner_text(".bvte-status")


def test_with_javascript_the_form_sends_in_place_and_shows_the_receipt(page, live_server, storage, tmp_path):
    page.goto(f"{live_server.url}/bao-tin/")
    assert page.input_value("[data-submission-id]")  # the script gave this report its id
    _fill(page)
    page.set_input_files("#attachments", str(_photo(tmp_path)))
    seen = []
    page.on("request", lambda r: seen.append((r.method, r.url, r.headers.get("accept"))))
    page.click("button.bvte-submit")
    page.wait_for_selector("[data-receipt-shown] [data-receipt]")
    receipt = page.inner_text("[data-receipt-shown] [data-receipt]").strip()
    assert RECEIPT.match(receipt)
    assert page.url.endswith("/bao-tin/")  # never left the page
    assert ("POST", f"{live_server.url}/api/tips", "application/json") in seen
    assert page.is_hidden("form[data-tip-form]")
    assert page.locator("[data-receipt-shown] a[href*='tra-cuu']").count() == 1
    assert len(tips.tip_ids(storage)) == 1
    _lookup(page, live_server.url, receipt, "Đã tiếp nhận")


def test_without_javascript_the_plain_form_post_gives_the_receipt_page(no_js_page, live_server, storage):
    page = no_js_page
    page.goto(f"{live_server.url}/bao-tin/")
    assert page.input_value("[data-submission-id]") == ""
    _fill(page)
    page.click("button.bvte-submit")
    page.wait_for_load_state()
    assert page.url.endswith("/api/tips")
    receipt = page.inner_text("[data-receipt]").strip()
    assert RECEIPT.match(receipt)
    assert "113" in page.inner_text("main") and "111" in page.inner_text("main")
    assert len(tips.tip_ids(storage)) == 1
    _lookup(page, live_server.url, receipt, "Đã tiếp nhận")
    assert page.url.endswith("/api/tips/status")


def test_without_javascript_errors_come_back_with_everything_typed(no_js_page, live_server, storage):
    page = no_js_page
    page.goto(f"{live_server.url}/bao-tin/")
    page.fill("#description", "ngắn")
    page.check("#category-tao-hon")
    page.fill("#commune", "Thành phố Hồ Chí Minh")
    page.fill("#reporter_name", "Cà Thị Én")
    page.fill("#reporter_phone", "12345")
    with page.expect_navigation():
        page.click("button.bvte-submit")
    assert page.title().startswith("Lỗi:")
    assert page.input_value("#description") == "ngắn"
    assert page.is_checked("#category-tao-hon")
    assert page.input_value("#commune") == "Thành phố Hồ Chí Minh"
    assert page.input_value("#reporter_name") == "Cà Thị Én"
    assert page.input_value("#reporter_phone") == "12345"
    assert page.locator(".bvte-error-summary li").count() == 3
    assert page.is_visible("#reporter_phone-error")
    # Fix the fields and send again: accepted.
    page.fill("#description", "Cháu gái 15 tuổi sắp bị gia đình ép lấy chồng")
    page.fill("#commune", "Búng Lao")
    page.fill("#reporter_phone", "0912 345 678")
    page.click("button.bvte-submit")
    page.wait_for_selector("[data-receipt]")
    assert len(tips.tip_ids(storage)) == 1
    assert axe_violations_nojs(page) == []  # the confirmation page


def test_with_javascript_inline_checks_mirror_the_server(page, live_server, storage):
    page.goto(f"{live_server.url}/bao-tin/")
    page.click("button.bvte-submit")
    page.wait_for_selector(".bvte-error-summary:not([hidden])")
    assert page.is_visible("#description-error") and page.is_visible("#category-error") and page.is_visible("#commune-error")
    assert tips.tip_ids(storage) == []
    page.fill("#child_age", "25")
    page.locator("#child_age").blur()
    assert "từ 0 đến 17" in page.inner_text("#child_age-error")
    page.fill("#child_age", "5")
    page.locator("#child_age").blur()
    assert page.is_hidden("#child_age-error")
    assert axe_violations(page) == []  # error state, drawn by the script


def test_a_lost_answer_is_retried_with_the_same_id_one_report_one_receipt(page, live_server, storage):
    page.goto(f"{live_server.url}/bao-tin/")
    _fill(page)
    calls = []

    def lose_first_answer(route):
        calls.append(route.request.post_data_buffer)
        if len(calls) == 1:
            route.fetch()  # the server stores the report…
            route.abort()  # …but the phone never hears back
        else:
            route.continue_()

    page.route("**/api/tips", lose_first_answer)
    page.click("button.bvte-submit")
    page.wait_for_selector(".bvte-error-summary:not([hidden])")
    assert "CHƯA" in page.inner_text(".bvte-error-summary")
    assert page.input_value("#description").startswith("Em bé")  # input kept
    assert len(tips.tip_ids(storage)) == 1
    page.click("button.bvte-submit")
    page.wait_for_selector("[data-receipt-shown] [data-receipt]")
    assert len(calls) == 2
    assert len(tips.tip_ids(storage)) == 1  # the retry did not make a second report
    receipt = page.inner_text("[data-receipt-shown] [data-receipt]").strip()
    ids = [re.search(rb'name="submission_id"\r\n\r\n([A-Za-z0-9_-]+)', c).group(1) for c in calls]
    assert ids[0] == ids[1]
    from functions.web import context

    assert receipts.derive(context(live_server.server.app).secret(), ids[0].decode()) == receipt


def test_an_id_taken_by_another_report_gets_a_new_one_so_sending_again_files_it(page, live_server, storage):
    from functions.core.tip_validation import submission_id_problem

    page.goto(f"{live_server.url}/bao-tin/")
    _fill(page)
    taken = page.input_value("input[name=submission_id]")
    assert submission_id_problem(taken) is None  # the page's own id is strong enough for the server
    live_server.server.app.test_client().post("/api/tips", json={
        "description": "Một tin báo khác đã gửi trước với cùng mã", "category": "khac", "commune": "khong-ro",
        "submission_id": taken})
    sent = []
    page.on("request", lambda r: sent.append(r.post_data_buffer) if r.url.endswith("/api/tips") else None)
    page.click("button.bvte-submit")
    page.wait_for_selector(".bvte-error-summary:not([hidden])")
    assert "CHƯA được" in page.inner_text(".bvte-error-summary")
    assert page.input_value("#description").startswith("Em bé")
    fresh = page.input_value("input[name=submission_id]")
    assert fresh != taken and submission_id_problem(fresh) is None
    page.click("button.bvte-submit")
    page.wait_for_selector("[data-receipt-shown] [data-receipt]")
    ids = [re.search(rb'name="submission_id"\r\n\r\n([A-Za-z0-9_-]+)', c).group(1).decode() for c in sent]
    assert ids == [taken, fresh] and len(tips.tip_ids(storage)) == 2


def test_nothing_typed_stays_after_leaving_the_page(page, live_server):
    page.goto(f"{live_server.url}/bao-tin/")
    _fill(page, "Nội dung riêng tư không được ở lại trên máy")
    page.goto(f"{live_server.url}/")
    page.go_back()
    page.wait_for_selector("#description")
    assert page.input_value("#description") == ""
    assert page.evaluate("() => window.localStorage.length + window.sessionStorage.length") == 0
    assert page.get_attribute("form[data-tip-form]", "autocomplete") == "off"


def test_axe_report_form_and_status_page_with_a_result(page, live_server, client):
    page.goto(f"{live_server.url}/bao-tin/")
    assert axe_violations(page) == []
    receipt = client.post("/api/tips", json={"description": "Một trẻ bị bạn cùng lớp đánh nhiều lần",
                                             "category": "bat-nat-truong-hoc", "commune": "Nà Tấu"}).get_json()["receipt"]
    page.goto(f"{live_server.url}/tra-cuu/")
    assert axe_violations(page) == []
    _lookup(page, live_server.url, receipt, "Đã tiếp nhận")
    assert axe_violations(page) == []


def test_axe_server_pages_without_javascript(no_js_page, live_server, client):
    page = no_js_page
    page.goto(f"{live_server.url}/bao-tin/")
    page.click("button.bvte-submit")
    page.wait_for_selector(".bvte-error-summary")
    assert axe_violations_nojs(page) == []
    page.goto(f"{live_server.url}/tra-cuu/")
    page.fill("#receipt", receipts.random_receipt())
    page.click("form[data-status-form] button[type=submit]")
    page.wait_for_selector("[data-status-label]")
    assert "Không tìm thấy" in page.inner_text(".bvte-status")
    assert axe_violations_nojs(page) == []


def axe_violations_nojs(page):
    """axe needs script: run it in a JS-enabled page holding the same HTML the server sent."""
    html = page.content()
    context = page.context.browser.new_context(locale="vi-VN", viewport={"width": 360, "height": 740})
    try:
        other = context.new_page()
        other.goto(page.url.split("/api/")[0] + "/")
        other.set_content(html.replace("<script", "<template").replace("</script>", "</template>"))
        return axe_violations(other)
    finally:
        context.close()
