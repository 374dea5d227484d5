"""The footer visitor counter in real Chromium: it never delays the page nor breaks it when the function is down."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE_UA = ("Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")

TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const calls = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/visits'));
  return {loadStart: nav.loadEventStart, starts: calls.map(e => e.startTime)};
}"""


def test_page_works_normally_when_the_counter_is_unreachable(page, live_server):
    attempts: list[str] = []
    page_errors: list[str] = []
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    def down(route):
        attempts.append(route.request.method)
        route.abort()

    page.route("**/api/visits", down)
    page.goto(live_server.url + "/bai-viet/", wait_until="load")
    page.wait_for_function("() => performance.getEntriesByType('resource')"
                           ".filter(e => e.name.includes('/api/visits')).length >= 2", timeout=10000)
    page.wait_for_timeout(300)  # let the failed fetch settle

    assert sorted(attempts) == ["GET", "POST"], attempts  # the widget did try: beacon, then figures
    assert page.locator("h1").first.is_visible()
    assert page.locator("a[href='tel:111']").first.is_visible()
    assert page.locator("#bvte-visits").count() == 1
    assert not page.locator("#bvte-visits").is_visible()  # stays hidden, no error shown
    assert "lỗi" not in page.locator("footer").inner_text().lower()
    assert page_errors == []
    # The only console errors allowed are the browser's own notes about the refused requests.
    assert all("Failed to load resource" in text for text in console_errors), console_errors


def test_counter_runs_after_load_and_shows_figures(chromium, live_server):
    context = chromium.new_context(locale="vi-VN", viewport={"width": 360, "height": 740}, user_agent=PHONE_UA)
    try:
        page = context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.goto(live_server.url + "/", wait_until="load")
        widget = page.locator("#bvte-visits")
        widget.wait_for(state="visible", timeout=10000)
        timings = page.evaluate(TIMINGS)
        assert timings["starts"], "no request to /api/visits"
        assert min(timings["starts"]) >= timings["loadStart"], timings  # nothing before the page has loaded
        assert "Đang truy cập" in widget.inner_text()
        assert "Tổng lượt xem" in widget.inner_text()
        total = page.locator("#bvte-visits [data-visits='total']").inner_text()
        assert total.replace(".", "").isdigit()
        # The visit is stored once the beacon lands, without any cookie.
        page.wait_for_function("async () => (await (await fetch('/api/visits')).json()).total >= 1", polling=1000, timeout=20000)
        assert context.cookies() == []
        script = page.locator("script[src*='visits.js']")
        assert script.get_attribute("defer") is not None
        assert page_errors == []
    finally:
        context.close()
