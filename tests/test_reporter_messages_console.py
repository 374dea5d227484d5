"""The console and the receipt holder's messages (issue 16): the inbox counts them unread for this officer,
the case page shows them (photo inline, GPS gone) and marks them read with a signed event written before the
page is made, so the officer's next write follows it (no fork)."""

from __future__ import annotations

import io
import re

from PIL import Image

from functions.core import cases
from functions.web import context

from test_console_case import events_of, post_case, post_report, text_of
from test_reporter_messages_http import gps_jpeg

ANSWER = "Cháu vẫn ở nhà bà ngoại, tối nay an toàn"


def send(client, receipt: str, message_id: str, photo: bytes | None = None):
    data = {"receipt": receipt, "message": ANSWER, "message_id": message_id}
    if photo:
        data["attachments"] = (io.BytesIO(photo), "anh.jpg")
    answer = client.post("/api/tips/messages", data=data, headers={"Accept": "application/json"},
                         content_type="multipart/form-data")
    assert answer.status_code == 201 and answer.get_json()["sent"]


def unread_cell(page: str) -> str:
    assert "Tin chưa đọc" in page
    return re.search(r"<td>(\d+)</td>\s*</tr>", page).group(1)


def test_the_inbox_counts_unread_messages_and_the_case_page_shows_and_marks_them_read(console, client, app):
    context(app).config.tip_message_floor_seconds = 0
    receipt = post_report(client, "console-messages-00000001")
    assert console.unlock().status_code == 303
    [number] = cases.case_numbers(console.session.storage)
    assert "Tin chưa đọc" not in text_of(console.get("/"))  # no column until a message counts
    send(client, receipt, "console-message-0000001", gps_jpeg())
    assert unread_cell(text_of(console.get("/"))) == "1"
    page = text_of(console.get(f"/ho-so/{number}"))
    assert "Tin nhắn của người báo tin" in page and ANSWER in page and "<strong>Mới</strong>" in page
    image = console.get(f"/ho-so/{number}/tin-nhan/0/tep/0")
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and "sandbox" in image.headers["Content-Security-Policy"]
    assert not Image.open(io.BytesIO(image.data)).getexif().get_ifd(0x8825)
    assert console.get(f"/ho-so/{number}/tin-nhan/3/tep/0").status_code == 404
    assert "Tin chưa đọc" not in text_of(console.get("/"))  # read: no row counts one any more
    again = text_of(console.get(f"/ho-so/{number}"))
    assert ANSWER in again and "<strong>Mới</strong>" not in again
    # The marker is a signed event of this officer, and the next write follows it: no conflict.
    assert post_case(console, number, "ghi-chu", {"ghi_chu": "Đã đọc tin nhắn"}).status_code == 303
    events = events_of(console, number)
    assert [e.kind for e in events].count("messages_read") == 1 and all(e.verified for e in events)
    assert not cases.replay(events).conflicts
