"""Site chrome in real Chromium against the live server: 111 in the first viewport of a phone, quick exit
(history does not lead back; the keyboard shortcut; without JavaScript), search without tones, the search
index loaded only when the reader searches, and axe-core on the home and hotline pages.

Every request is watched: one for a host other than 127.0.0.1 fails the test, and the browser could not
reach it anyway (conftest's CHROMIUM_ARGS resolve no other name). The neutral quick-exit site is answered
locally for the tests that leave by it. No test touches an address outside 127.0.0.0/8.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import axe_violations
from functions.config import REPO_ROOT

pytestmark = pytest.mark.browser

NEUTRAL_PAGE = "<!doctype html><html lang='en'><title>Neutral</title><p>neutral site stand-in</p></html>"


def _quick_exit_url() -> str:
    text = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    block = re.search(r"^extra:\n((?:[ #].*\n|\n)+)", text, re.MULTILINE)
    return yaml.safe_load("extra:\n" + block.group(1))["extra"]["quick_exit_url"]


QUICK_EXIT_URL = _quick_exit_url()


class Guard:
    """Watches a browser context's requests: each one for a host other than 127.0.0.1 is recorded, and the
    tests fail on any. The browser cannot reach such a host anyway (``CHROMIUM_ARGS`` resolve every other
    name to nothing); watching rather than intercepting every request leaves the HTTP cache on and costs
    the browser nothing. ``answer_neutral_site()`` serves the quick-exit destination locally, for the tests
    that leave by it."""

    def __init__(self, context):
        self.context = context
        self.foreign: list[str] = []
        self.requests: list[str] = []
        self._neutral = False
        context.on("request", self._seen)

    def _seen(self, request):
        url = request.url
        self.requests.append(url)
        local = (urlsplit(url).hostname or "") == "127.0.0.1"
        if not local and not (self._neutral and url.startswith(QUICK_EXIT_URL)):
            self.foreign.append(url)

    def answer_neutral_site(self) -> "Guard":
        self._neutral = True
        self.context.route(re.compile("^" + re.escape(QUICK_EXIT_URL)),
                           lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE))
        return self


@pytest.fixture
def guard(browser_context):
    guard = Guard(browser_context)
    yield guard
    assert not guard.foreign, f"requests to other hosts: {guard.foreign}"


@pytest.fixture
def phone(chromium):
    """A 360×640 phone: the smallest screen the site is designed for."""
    context = chromium.new_context(locale="vi-VN", viewport={"width": 360, "height": 640},
                                   device_scale_factor=2, is_mobile=True, has_touch=True)
    guard = Guard(context)
    page = context.new_page()
    yield page
    context.close()
    assert not guard.foreign, f"requests to other hosts: {guard.foreign}"


def test_a_request_to_another_host_is_recorded_and_never_leaves_the_machine(chromium, live_server):
    """What every guarded test relies on: the guard sees a request for another host (a name or an IP
    literal), and the browser fails it before any packet leaves (no name but 127.0.0.1 resolves)."""
    context = chromium.new_context(bypass_csp=True)  # the site's own CSP would stop these requests first
    guard = Guard(context)
    failures: list[tuple[str, str]] = []
    context.on("requestfailed", lambda request: failures.append((request.url, request.failure)))
    page = context.new_page()
    page.goto(live_server.url + "/")
    outside = ["https://example.com/tracker.png", "http://10.255.255.1/a.png"]
    page.evaluate("urls => Promise.all(urls.map(u => fetch(u, {mode: 'no-cors'}).catch(() => null)))", outside)
    context.close()
    assert guard.foreign == outside
    assert sorted(failures) == sorted((url, "net::ERR_NAME_NOT_RESOLVED") for url in outside)


def _pages_to_check(built_site) -> list[str]:
    paths = ["/", "/duong-day-nong/", "/an-toan-khi-truy-cap/"]
    directives = sorted(p.parent for p in (built_site / "van-ban").glob("*/index.html")) if (
        built_site / "van-ban").is_dir() else []
    if directives:
        paths.append("/" + directives[0].relative_to(built_site).as_posix() + "/")
    for extra in ("bao-tin", "tra-cuu"):
        if (built_site / extra / "index.html").is_file():
            paths.append(f"/{extra}/")
    return paths


# --- 111 and quick exit in the first viewport -------------------------------------------------------------

def test_111_and_quick_exit_are_in_the_first_viewport_of_a_360x640_phone(phone, live_server, built_site):
    for path in _pages_to_check(built_site):
        phone.goto(live_server.url + path)
        for selector in ('a[href="tel:111"]', "a[data-bvte-exit]"):
            link = phone.locator(selector).first
            assert link.is_visible(), f"{path}: {selector} not visible"
            box = link.bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= 640 and box["x"] + box["width"] <= 360, (
                f"{path}: {selector} outside the first viewport: {box}")
            assert box["height"] >= 24, f"{path}: {selector} too small to tap: {box}"
        assert phone.locator("a[data-bvte-exit]").inner_text().startswith("Thoát nhanh")


def test_111_and_quick_exit_stay_on_screen_after_scrolling_on_a_phone(phone, live_server):
    phone.goto(live_server.url + "/duong-day-nong/")
    phone.mouse.wheel(0, 2000)
    phone.wait_for_function("window.scrollY > 500")
    for selector in ('a[href="tel:111"]', "a[data-bvte-exit]"):
        box = phone.locator(selector).first.bounding_box()
        assert box and 0 <= box["y"] < 60, f"{selector} scrolled away: {box}"


# --- quick exit ------------------------------------------------------------------------------------------------

def test_quick_exit_replaces_the_page_clears_what_it_can_and_back_does_not_return(page, guard, live_server):
    guard.answer_neutral_site()
    page.goto(live_server.url + "/duong-day-nong/")
    page.evaluate("""() => {
        sessionStorage.setItem('draft', 'chuyện của con tôi');
        const input = document.createElement('textarea'); input.id = 'typed';
        document.body.append(input); input.value = 'chuyện của con tôi';
        // Other scripts of the site hear about the exit (to forget drafts); by then all is cleared.
        document.addEventListener('bvte:quick-exit', () => console.log('exit-state ' + JSON.stringify([
            sessionStorage.length, input.value, document.documentElement.style.visibility])));
    }""")
    # The old page's console message and the new page's address come from different processes, in no
    # fixed order: wait for the message itself rather than read what has arrived by the navigation.
    with page.expect_console_message(lambda message: message.text.startswith("exit-state")) as exit_state:
        page.locator("a[data-bvte-exit]").click()
    page.wait_for_url(QUICK_EXIT_URL)
    assert "neutral site stand-in" in page.content()
    assert exit_state.value.text == 'exit-state [0,"","hidden"]'
    page.go_back()
    page.wait_for_timeout(300)
    assert not page.url.startswith(live_server.url), f"Back returned to the site: {page.url}"
    assert page.evaluate("history.length") == 2  # about:blank, then the neutral site: no site entry left


def test_quick_exit_keyboard_shortcut_is_shift_three_times_and_typing_capitals_does_not_trigger_it(
        page, guard, live_server):
    guard.answer_neutral_site()
    page.goto(live_server.url + "/")
    page.wait_for_load_state("load")
    for key in ("Shift+T", "Shift+H", "Shift+O"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert page.url.startswith(live_server.url)
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(QUICK_EXIT_URL)
    page.go_back()
    page.wait_for_timeout(300)
    assert not page.url.startswith(live_server.url)


def test_quick_exit_without_javascript_is_a_plain_link_to_the_neutral_site(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 360, "height": 640})
    guard = Guard(context).answer_neutral_site()
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.locator("a[data-bvte-exit]").click()
    page.wait_for_url(QUICK_EXIT_URL)
    context.close()
    assert not guard.foreign


# --- search ----------------------------------------------------------------------------------------------------

def _search(page, query: str) -> tuple[str, list[str]]:
    """Type ``query`` into material's search box as a reader would; return the count line and result paths."""
    box = page.locator("input[data-md-component=search-query]")
    if not box.is_visible():
        page.locator("label[for=__search]").first.click()
    texts = page.evaluate("JSON.parse(document.getElementById('__config').textContent).translations")
    waiting = [texts["search.result.placeholder"]]
    # Clear first, so that the answer read below is the answer to this query and not to the last one.
    box.fill("")
    box.press("End")  # material reads the box on keyup, as when a reader types
    page.wait_for_function(
        "t => document.querySelector('.md-search-result__meta').textContent.trim() === t", arg=waiting[0])
    box.fill(query)
    box.press("End")
    page.wait_for_function(
        """waiting => { const m = document.querySelector('.md-search-result__meta').textContent.trim();
                        return m && !waiting.includes(m) && !/^Đang|^Initializing/.test(m); }""",
        arg=waiting, timeout=15000)
    return page.evaluate("""() => [
        document.querySelector('.md-search-result__meta').textContent.trim(),
        [...document.querySelectorAll('.md-search-result__item > a.md-search-result__link')]
            .map(a => new URL(a.href).pathname)]""")


def test_search_index_is_not_downloaded_until_the_reader_searches(page, guard, live_server):
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert not [u for u in guard.requests if "search_index.json" in u or "/workers/" in u], guard.requests
    with page.expect_request(re.compile(r"search/search_index\.json")):
        page.locator("label[for=__search]").first.click()
    meta, hrefs = _search(page, "111")
    assert "/duong-day-nong/" in hrefs, (meta, hrefs)


@pytest.mark.parametrize(("plain", "toned"), [
    ("tong dai 111", "tổng đài 111"),
    ("xam hai tre em", "xâm hại trẻ em"),
    ("danh gia", "đánh giá"),
])
def test_search_without_tones_finds_the_same_pages_as_with_tones(page, guard, live_server, built_site, plain, toned):
    # Pages whose title holds the toned words (e.g. the hotline page for "tổng đài") must be found.
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    words = toned.split()[:2]
    titled = {"/" + doc["location"].split("#")[0] for doc in index["docs"]
              if all(w in doc["title"].lower() for w in words)}
    assert titled, f"no page title holds {words}: the test needs one"
    page.goto(live_server.url + "/")
    plain_meta, plain_hrefs = _search(page, plain)
    toned_meta, toned_hrefs = _search(page, toned)
    assert titled & set(toned_hrefs), (toned_meta, toned_hrefs, titled)
    assert (plain_meta, plain_hrefs) == (toned_meta, toned_hrefs)
    # A word that is nowhere finds nothing: the results above are not everything.
    none_meta, none_hrefs = _search(page, "qqzzxx")
    assert none_hrefs == []


# --- accessibility ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/duong-day-nong/"])
def test_axe_finds_no_violations(page, guard, live_server, path):
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
