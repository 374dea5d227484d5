"""The conversation on /tra-cuu/ in real Chromium (issue 16), with JavaScript and without: report → the office
asks → the reporter answers with a photo (GPS gone once the officer decrypts it) → the officer reads it → the
reporter sees the office's next message; axe-core finds nothing on the conversation."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from conftest import axe_violations
from functions.core import cases, reporter_messages
from functions.keys import DEV_OFFICER_ID

from test_reporter_messages_http import fast, reported  # noqa: F401 - fixtures
from test_tips_browser import _photo, axe_violations_nojs

pytestmark = pytest.mark.browser

QUESTION = "Cháu mấy tuổi? Tối nay cháu có an toàn không?"
ANSWER = "Cháu 9 tuổi, tối nay ngủ ở nhà bà ngoại"
NEXT = "Cảm ơn bạn. Sáng mai cán bộ xã sẽ đến."


def office_asks(reported, text: str, later: int = 0):  # noqa: F811
    console, case, identity, _receipt = reported
    storage = console.session.storage
    events = cases.read_events(storage, case, console.session.root, console.session.versions)
    cases.reply(storage, case, DEV_OFFICER_ID, identity, text, events,
                datetime.now(timezone.utc) + timedelta(seconds=later))


def officer_reads(reported) -> reporter_messages.ReporterMessage:  # noqa: F811
    console, case, identity, _receipt = reported
    [message] = reporter_messages.read_messages(console.session.storage, case, identity, DEV_OFFICER_ID)
    return message


def check_photo(reported, message) -> None:  # noqa: F811
    data = reporter_messages.read_attachment(reported[0].session.storage, message, message.attachments[0])
    assert not Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)


def look_up(page, url: str, receipt: str) -> None:
    page.goto(f"{url}/tra-cuu/")
    page.fill("#receipt", receipt)
    page.click("form[data-status-form] button[type=submit]")
    page.wait_for_selector("[data-conversation]")


def test_with_javascript_the_reporter_answers_in_place(page, live_server, reported, tmp_path):  # noqa: F811
    receipt = reported[3]
    office_asks(reported, QUESTION)
    look_up(page, live_server.url, receipt)
    assert QUESTION in page.inner_text("[data-conversation]")
    page.click("form[data-message-form] button[type=submit]")  # empty: said next to the field, nothing sent
    assert "Hãy viết tin nhắn." in page.inner_text("[data-error-for=message]")
    page.fill("#message", ANSWER)
    page.set_input_files("#attachments", str(_photo(tmp_path)))
    page.click("form[data-message-form] button[type=submit]")
    page.wait_for_selector("[data-message-sent]")
    assert page.inner_text("[data-conversation]").index(QUESTION) < page.inner_text("[data-conversation]").index(ANSWER)
    assert "Bạn" in page.inner_text("[data-conversation]") and page.input_value("#message") == ""
    assert axe_violations(page) == []
    message = officer_reads(reported)
    assert message.text == ANSWER
    check_photo(reported, message)
    office_asks(reported, NEXT, later=2)
    look_up(page, live_server.url, receipt)
    assert NEXT in page.inner_text("[data-conversation]")


def test_without_javascript_the_reporter_answers_with_a_plain_post(no_js_page, live_server, reported, tmp_path):  # noqa: F811
    page, receipt = no_js_page, reported[3]
    office_asks(reported, QUESTION)
    look_up(page, live_server.url, receipt)
    page.fill("#message", ANSWER)
    page.set_input_files("#attachments", str(_photo(tmp_path)))
    page.click("form[data-message-form] button[type=submit]")
    page.wait_for_selector("[data-message-sent]")
    assert ANSWER in page.inner_text("[data-conversation]")
    assert axe_violations_nojs(page) == []
    page.reload()  # the browser sends the form again: still one message
    page.wait_for_selector("[data-message-sent]")
    message = officer_reads(reported)
    check_photo(reported, message)
    office_asks(reported, NEXT, later=2)
    look_up(page, live_server.url, receipt)
    assert NEXT in page.inner_text("[data-conversation]")


def test_a_closed_case_says_so_in_the_browser(page, live_server, reported):  # noqa: F811
    console, case, identity, receipt = reported
    storage = console.session.storage
    events = cases.read_events(storage, case, console.session.root, console.session.versions)
    cases.set_public_status(storage, case, DEV_OFFICER_ID, identity, "closed", events)
    look_up(page, live_server.url, receipt)
    assert page.inner_text("[data-closed]") == reporter_messages.CLOSED_MESSAGE
    assert page.locator("form[data-message-form]").count() == 0
