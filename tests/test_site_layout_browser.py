"""Nothing in the way, in real Chromium at 360×640 (a cheap phone) and 1280×800 (a desktop): the
self-assessment's running total never covers the field being edited and the page never scrolls sideways,
open search leaves "Gọi 111" and "Thoát nhanh" usable, the receipt code is in view after sending, the
hotline bar stays while scrolling, quick exit is 44 px tall and works before any script file arrives,
directives read well on a phone and print without the visitor counter, and no English where a reader looks.

Every request is watched (``Guard`` of test_site_browser): one for a host other than 127.0.0.1 fails the
test; the neutral quick-exit site is answered locally for the tests that leave by it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from test_site_browser import QUICK_EXIT_URL, Guard

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}
DIRECTIVE = "/van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em/"


@pytest.fixture(params=sorted(VIEWPORTS))
def screen(request, chromium):
    """A page at 360×640 (touch phone) or 1280×800, its requests guarded; ``.viewport`` and ``.name``."""
    mobile = request.param == "phone"
    context = chromium.new_context(locale="vi-VN", viewport=VIEWPORTS[request.param], is_mobile=mobile,
                                   has_touch=mobile)
    guard = Guard(context)
    page = context.new_page()
    page.viewport = VIEWPORTS[request.param]
    page.name = request.param
    page.guard = guard
    yield page
    context.close()
    assert not guard.foreign, f"requests to other hosts: {guard.foreign}"


def _rect(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }")


def _on_top(page, selector: str) -> bool:
    """True when the element is what a tap at its centre would hit (nothing covers it)."""
    return page.locator(selector).first.evaluate("""e => {
        const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit === e || e.contains(hit);
    }""")


# --- the self-assessment form ---------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["#commune", "#year", "#access_code", "#score_tc01"])
def test_the_running_total_never_covers_the_field_being_edited(screen, live_server, field):
    screen.goto(f"{live_server.url}/tu-danh-gia/")
    screen.wait_for_selector("#tong-ket:not([hidden])")
    summary = _rect(screen, "#tong-ket")
    assert summary["bottom"] - summary["top"] <= 0.3 * screen.viewport["height"] + 1, "the running total is not compact"
    screen.click(field, timeout=3000)  # a real click: fails when another element would receive it
    assert screen.evaluate("document.activeElement.id") == field[1:]
    box, summary = _rect(screen, field), _rect(screen, "#tong-ket")
    assert box["bottom"] <= summary["top"] or box["top"] >= summary["bottom"], (field, box, summary)


CLEAR_OF_SUMMARY = """id => {
    const box = document.getElementById(id).getBoundingClientRect();
    return box.bottom <= document.getElementById("tong-ket").getBoundingClientRect().top + 1;
}"""


def test_tabbing_through_the_form_keeps_each_field_clear_of_the_running_total(screen, live_server):
    screen.goto(f"{live_server.url}/tu-danh-gia/")
    screen.wait_for_selector("#tong-ket:not([hidden])")
    # Material's script arrives after the load event (or at the first key) and reveals the search controls,
    # which moves the page: wait for it, so each field is judged on the page the person keeps using.
    screen.wait_for_load_state("networkidle")
    screen.focus("#commune")
    for _ in range(8):
        screen.keyboard.press("Tab")
        focused = screen.evaluate("document.activeElement.id")
        if focused in ("tong-ket", ""):
            continue
        try:  # the page lifts the field in the frame after focus: wait for that frame, not a fixed time
            screen.wait_for_function(CLEAR_OF_SUMMARY, arg=focused, timeout=3000)
        except PlaywrightTimeout:
            pass
        box, summary = _rect(screen, f"[id='{focused}']"), _rect(screen, "#tong-ket")
        assert box["bottom"] <= summary["top"] + 1, (focused, box, summary)


@pytest.mark.parametrize("width, height", [(320, 640), (360, 640), (640, 400)])  # 640×400: 1280×800 at 200 %
def test_the_self_assessment_page_never_scrolls_sideways(chromium, live_server, width, height):
    context = chromium.new_context(locale="vi-VN", viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/tu-danh-gia/")
        page.wait_for_selector("#tong-ket:not([hidden])")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _rect(page, "#commune")["right"] <= width
    finally:
        context.close()


# --- search, the hotline bar and quick exit ---------------------------------------------------------------------

def _open_search(page) -> None:
    if page.name == "phone":
        page.click("label.md-header__button[for='__search']")
    else:
        page.click(".md-search__input")
    page.wait_for_function("() => document.getElementById('__search').checked")
    page.wait_for_function("() => getComputedStyle(document.querySelector('.md-search__inner')).opacity === '1'")


def test_open_search_hides_neither_111_nor_quick_exit_and_one_click_exits(screen, live_server):
    screen.guard.answer_neutral_site()
    screen.goto(live_server.url + "/")
    _open_search(screen)
    for selector in (".bvte-topbar__call", "a[data-bvte-exit]"):
        assert screen.locator(selector).is_visible() and _on_top(screen, selector), f"{selector} is covered"
    search_box = _rect(screen, ".md-search__input")
    assert search_box["top"] >= _rect(screen, ".bvte-topbar")["bottom"] - 1  # the search field is not hidden either
    screen.locator("a[data-bvte-exit]").click(timeout=3000)
    screen.wait_for_url(QUICK_EXIT_URL)


def test_the_hotline_bar_stays_in_view_while_scrolling_and_quick_exit_is_44px(screen, live_server):
    screen.goto(live_server.url + "/duong-day-nong/")
    screen.mouse.wheel(0, 3000)
    screen.wait_for_function("() => window.scrollY > 300")
    for selector in (".bvte-topbar__call", "a[data-bvte-exit]"):
        box = _rect(screen, selector)
        assert 0 <= box["top"] and box["bottom"] <= 60, (selector, box)
        assert _on_top(screen, selector), f"{selector} is covered after scrolling"
    exit_box = screen.locator("a[data-bvte-exit]").bounding_box()
    assert exit_box["height"] >= 44 and exit_box["width"] >= 44, exit_box


def test_quick_exit_works_before_any_script_file_arrives(screen, live_server):
    # Every script file is held back (a slow link): quick exit must already be the script, not the plain link.
    screen.guard.answer_neutral_site()
    screen.route("**/*.js", lambda route: route.abort())
    screen.goto(live_server.url + "/duong-day-nong/", wait_until="commit")
    screen.wait_for_selector("a[data-bvte-exit]")
    assert screen.evaluate("typeof window.bvteQuickExit") == "function"
    screen.locator("a[data-bvte-exit]").click()
    screen.wait_for_url(QUICK_EXIT_URL)
    assert screen.evaluate("history.length") == 2  # about:blank, then the neutral site: the page was replaced


# --- the receipt after sending with JavaScript -----------------------------------------------------------------

@pytest.mark.usefixtures("dev_keys")
def test_after_sending_the_receipt_code_is_in_view_and_no_group_is_split(screen, live_server):
    screen.goto(f"{live_server.url}/bao-tin/")
    screen.fill("#description", "Em bé nhà bên cạnh bị bố mẹ bỏ đi, ở một mình nhiều ngày")
    screen.check("#category-bo-roi-bo-mac")
    screen.fill("#commune", "Ang Cang")
    screen.click("button.bvte-submit")
    code = screen.wait_for_selector("[data-receipt-shown] [data-receipt]")
    screen.wait_for_function("""() => { const r = document.querySelector('[data-receipt-shown] [data-receipt]')
        .getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }""")
    box = _rect(screen, "[data-receipt-shown] [data-receipt]")
    header = _rect(screen, ".md-header")
    assert box["top"] >= header["bottom"] - 1 and box["bottom"] <= screen.viewport["height"], (box, header)
    assert _on_top(screen, "[data-receipt-shown] [data-receipt]")
    # Each group of four is on one line: its characters' boxes share one top.
    tops = code.evaluate("""e => {
        const text = e.textContent, groups = [];
        const node = () => { /* the text nodes, in order, with their offsets */
            const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT); const out = []; let n, at = 0;
            while ((n = walker.nextNode())) { out.push([n, at]); at += n.length; } return out; };
        const nodes = node();
        const rectOf = i => { for (const [n, at] of nodes) if (i < at + n.length) {
            const r = document.createRange(); r.setStart(n, i - at); r.setEnd(n, i - at + 1);
            return Math.round(r.getBoundingClientRect().top); } };
        for (let g = 0; g < text.length; g += 5) groups.push([0, 1, 2, 3].map(k => rectOf(g + k)));
        return groups;
    }""")
    assert len(tops) == 5 and all(len(set(group)) == 1 for group in tops), tops
    assert screen.evaluate("document.activeElement.hasAttribute('data-receipt-shown')")


# --- directives --------------------------------------------------------------------------------------------------

def test_a_directive_reads_well_on_screen_names_stay_whole_and_text_is_not_justified(screen, live_server):
    screen.goto(live_server.url + DIRECTIVE)
    # "ỦY BAN NHÂN DÂN" (the issuer's first words) on one line, not broken as "ỦY BAN NHÂN / DÂN".
    tops = screen.locator(".nd30-issuer-name").evaluate("""e => {
        const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT); const n = walker.nextNode();
        const words = n.textContent.split(' ').slice(0, 4).join(' '); const r = document.createRange();
        r.setStart(n, 0); r.setEnd(n, words.length);
        return [words, [...r.getClientRects()].map(x => Math.round(x.top))];
    }""")
    assert tops[0] == "ỦY BAN NHÂN DÂN" and len(set(tops[1])) == 1, tops
    assert screen.evaluate("document.documentElement.scrollWidth") <= screen.viewport["width"]
    assert screen.locator(".nd30-body").evaluate("e => getComputedStyle(e).textAlign") != "justify"
    screen.emulate_media(media="print")
    assert screen.locator(".nd30-body").evaluate("e => getComputedStyle(e).textAlign") == "justify"  # A4 as before


def test_the_official_header_stacks_below_360px(chromium, live_server):
    context = chromium.new_context(locale="vi-VN", viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto(live_server.url + DIRECTIVE)
        issuer, motto = _rect(page, ".nd30-issuer-name"), _rect(page, ".nd30-quoc-hieu")
        assert motto["top"] >= issuer["bottom"], (issuer, motto)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


def test_the_visitor_counter_is_not_printed_on_an_official_document(screen, live_server):
    screen.goto(live_server.url + DIRECTIVE)
    screen.evaluate("document.getElementById('bvte-visits').hidden = false")  # as when figures arrived
    assert screen.locator("#bvte-visits").is_visible()
    screen.emulate_media(media="print")
    assert not screen.locator("#bvte-visits").is_visible()


# --- no English where a reader looks ------------------------------------------------------------------------------

def test_no_made_with_material_and_a_vietnamese_404_with_the_hotline_and_a_way_home(screen, live_server):
    screen.goto(live_server.url + "/")
    assert "Made with" not in screen.locator("footer").inner_text()
    response = screen.goto(live_server.url + "/khong-co-trang-nay/o-day/")
    assert response.status == 404
    assert screen.locator("h1").inner_text() == "Không tìm thấy trang này"
    assert "Not found" not in screen.content()
    assert screen.locator("article a[href='tel:111']").is_visible()
    screen.locator("article a", has_text="Về trang chủ").click()
    screen.wait_for_url(live_server.url + "/")


@pytest.mark.parametrize("path", ["/tu-danh-gia/", "/van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em/", "/"])
def test_no_sideways_scroll_before_materials_script_has_run(chromium, live_server, path):
    """Material's script arrives after the load event (or never, on a lost connection): until it runs, the
    header's hidden second title must not widen a 360 px page (it made it 373 px)."""
    context = chromium.new_context(locale="vi-VN", viewport={"width": 360, "height": 640})
    try:
        page = context.new_page()
        page.route("**/assets/javascripts/bundle.*.js", lambda route: route.abort())
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.classList.contains('no-js')")  # the state under test
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
