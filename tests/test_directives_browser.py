"""Directives in a real Chromium: the official layout on a phone, print on A4, filters without JavaScript,
and axe-core on a directive page and on the index."""

from __future__ import annotations

import re

import pytest

from conftest import axe_violations

pytestmark = pytest.mark.browser

DIRECTIVE = "/van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em/"
INDEX = "/van-ban/"


def test_directive_page_has_no_axe_violations(page, live_server):
    page.goto(live_server.url + DIRECTIVE)
    assert axe_violations(page) == []


def test_directives_index_has_no_axe_violations(page, live_server):
    page.goto(live_server.url + INDEX)
    assert axe_violations(page) == []


def test_official_layout_on_a_phone(page, live_server):
    page.goto(live_server.url + DIRECTIVE)
    issuer = page.locator(".nd30-issuer-name").bounding_box()
    motto = page.locator(".nd30-quoc-hieu").bounding_box()
    # Quốc hiệu top right, issuer top left, on the same band, within the 360 px screen.
    assert issuer["x"] + issuer["width"] <= motto["x"] + 1
    assert abs(issuer["y"] - motto["y"]) < 5
    assert motto["x"] + motto["width"] <= 360
    date = page.locator(".nd30-date")
    assert date.inner_text() == "Mường Ảng, ngày … tháng … năm 2024"
    assert date.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
    vv = page.locator("h1.nd30-vv").bounding_box()
    number = page.locator(".nd30-number").bounding_box()
    assert vv["y"] > number["y"] and vv["x"] < motto["x"]  # V/v under the number, in the left column
    signer = page.locator(".nd30-signer").bounding_box()
    distribution = page.locator(".nd30-distribution").bounding_box()
    assert signer["x"] > distribution["x"] + distribution["width"] - 1  # signature right, Nơi nhận left


def test_print_hides_the_chrome_and_uses_nd30_type(page, live_server):
    page.goto(live_server.url + DIRECTIVE)
    assert page.locator(".md-header").is_visible()
    page.emulate_media(media="print")
    for selector in (".bvte-topbar", ".md-header", ".md-footer", ".nd30-web"):
        assert page.locator(selector).count() and not page.locator(selector).first.is_visible(), selector
    style = page.locator(".nd30-body p").first.evaluate(
        "e => { const s = getComputedStyle(e); return [s.fontFamily, s.fontSize]; }")
    assert style[0].startswith('"Times New Roman"')
    assert float(style[1].removesuffix("px")) == pytest.approx(14 * 96 / 72, abs=0.1)  # 14 pt


def test_print_is_a4_with_nd30_margins(page, live_server):
    page.goto(live_server.url + DIRECTIVE)
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = {tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    assert boxes == {(595, 842)}  # A4 in points
    # The @page rules in cascade order (material's own comes first): NĐ 30 margins must win.
    margins = page.evaluate("""() => {
        const out = {};
        for (const sheet of document.styleSheets) {
            for (const rule of sheet.cssRules) {
                if (rule instanceof CSSPageRule) {
                    for (const p of ["size", "margin-top", "margin-right", "margin-bottom", "margin-left"]) {
                        if (rule.style.getPropertyValue(p)) out[p] = rule.style.getPropertyValue(p);
                    }
                }
            }
        }
        return [out["size"], out["margin-top"], out["margin-right"], out["margin-bottom"], out["margin-left"]];
    }""")
    assert margins[0].lower() == "a4"
    top, right, bottom, left = (float(m.removesuffix("mm")) for m in margins[1:])
    assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20


def test_filters_work_without_javascript(no_js_page, live_server):
    page = no_js_page
    page.goto(live_server.url + INDEX)
    with page.expect_navigation():
        page.get_by_role("navigation", name="Lọc văn bản").get_by_role("link", name="2024").click()
    assert page.url == live_server.url + "/van-ban/nam-2024/"
    assert page.locator("h1").inner_text() == "Văn bản chỉ đạo năm 2024"
    rows = page.locator(".bvte-dirlist__subject")
    assert rows.count() >= 1
    assert "V/v tăng cường thực hiện các hoạt động bảo vệ" in rows.first.inner_text()
    page.get_by_role("link", name="Ủy ban nhân dân huyện Mường Ảng").click()
    assert page.url == live_server.url + "/van-ban/co-quan/uy-ban-nhan-dan-huyen-muong-ang/nam-2024/"
    page.get_by_role("link", name="V/v tăng cường thực hiện").click()
    assert page.url == live_server.url + DIRECTIVE




def test_the_index_page_requests_nothing_that_is_missing(page, live_server):
    missing = []
    page.on("response", lambda r: r.status >= 400 and missing.append((r.status, r.url)))
    page.goto(live_server.url + INDEX)
    page.wait_for_load_state("networkidle")
    assert page.locator("link[type='application/atom+xml']").count() == 1
    assert missing == []
