"""Referrer policy in Chromium: other sites learn nothing, our own form posts carry a real Origin.

A real Origin lets the cross-site check accept plain form posts from old phone browsers that do not
send Sec-Fetch-Site (with a no-referrer policy they would post "Origin: null" and be refused).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_plain_form_post_from_our_page_carries_our_origin(no_js_page, live_server):
    page = no_js_page
    page.goto(f"{live_server.url}/tra-cuu/")
    page.fill("#receipt", "ABCD-EFGH-JKMN-PQRS-TVWX")
    with page.expect_request(lambda r: r.url.endswith("/api/tips/status")) as posted:
        page.click("form button[type=submit]")
    origin = posted.value.headers.get("origin")
    assert origin == live_server.url
    page.wait_for_load_state()
    assert "yêu cầu bị từ chối" not in page.inner_text("body").lower()


def test_a_link_to_another_site_sends_no_referrer(page, live_server):
    seen = {}

    def neutral(route):
        seen["referer"] = route.request.headers.get("referer")
        route.fulfill(status=200, content_type="text/html", body="<title>x</title>ok")

    page.route("https://**/*", neutral)  # answered here: nothing leaves 127.0.0.1
    page.goto(f"{live_server.url}/")
    href = page.get_attribute("a.bvte-exit", "href")
    assert href.startswith("https://")
    page.evaluate("href => { const a = document.createElement('a'); a.href = href; document.body.append(a); a.click(); }", href)
    page.wait_for_url(href.rstrip("/") + "**")
    assert seen.get("referer") in (None, "")
