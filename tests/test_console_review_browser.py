"""The review screen in real Chromium: keyboard-only review of a criterion, saved and shown; axe-core finds no
violation on the list, the review screen and an evidence page at 1280×800 and 360×640."""

from __future__ import annotations

import datetime as dt
import io
import socket

import pytest

from functions.commands.serve import wsgi_server
from functions.keys import DEV_PASSPHRASE
from tests.conftest import ConsoleDriver, axe_violations
from tests.test_assessments import JSON, PDF, form
from tests.test_console_review import xlsx_bytes

pytestmark = pytest.mark.browser

YEAR = dt.date.today().year
TOKEN = "launch-" + "b" * 40


def own_violations(page) -> list[dict]:
    """axe-core's violations, all of them: the base template's timed refresh is gone (the idle lock is by
    script now), so nothing is excluded any more."""
    return axe_violations(page)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_console(config, client, code, rubric):
    """A console (dev office) on a real server on 127.0.0.1, with one self-assessment submitted."""
    from functions.console import create_console_app

    driver = ConsoleDriver(config)
    answer = client.post("/api/assessments", data={**form(code, rubric),
                                                   "evidence_tc03": (io.BytesIO(PDF), "bien-ban.pdf"),
                                                   "evidence_tc06": (io.BytesIO(xlsx_bytes()), "so-lieu.xlsx")},
                         headers=JSON, content_type="multipart/form-data")
    assert answer.status_code == 201
    port = free_port()
    app = create_console_app(driver.session, driver.key_path, launch_token=TOKEN, port=port)

    def unlock():
        from functions.core import office_keys

        identity = office_keys.unlock(driver.key_path.read_bytes(), DEV_PASSPHRASE)
        app.extensions["console-keys"].hold(driver.session.identify(identity))

    with wsgi_server(app, port=port) as server:
        yield server.url, answer.get_json()["assessment"], unlock


@pytest.fixture
def page(chromium):
    """A page that lets axe-core in despite the console's strict CSP (the console's own pages never need it)."""
    context = chromium.new_context(locale="vi-VN", bypass_csp=True)
    yield context.new_page()
    context.close()


def test_review_screen_axe_at_both_sizes_and_keyboard_choices(page, live_console):
    url, record, unlock = live_console
    page.goto(f"{url}/bat-dau?t={TOKEN}")
    # Unlocked in the console's memory rather than through the form: Chromium sends "Origin: null" on a form
    # POST from a page served with Referrer-Policy: no-referrer, which the guard refuses (reported, guard.py).
    unlock()
    sheet = next(f["sha256"] for f in record["evidence"] if f["filename"] == "so-lieu.xlsx")
    pages = [f"{url}/danh-gia/?nam={YEAR}", f"{url}/danh-gia/muong-ang/{YEAR}",
             f"{url}/danh-gia/muong-ang/{YEAR}/tep/{sheet}"]
    for width, height in ((1280, 800), (360, 640)):
        page.set_viewport_size({"width": width, "height": height})
        for address in pages:
            page.goto(address)
            assert page.locator("h1").count() == 1, address
            assert own_violations(page) == [], (width, address)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (width, address, overflow)
    page.goto(f"{url}/danh-gia/muong-ang/{YEAR}")
    page.focus("#verdict_tc03-none")
    page.keyboard.press("ArrowRight")  # radio groups move with the arrow keys
    assert page.locator("#verdict_tc03-dat").is_checked()
    page.keyboard.press("ArrowRight")
    assert page.locator("#verdict_tc03-can-bo-sung").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "verified_tc03"
    assert "Đạt: 800 / ngưỡng 800 điểm" in page.locator(".computed").inner_text()
