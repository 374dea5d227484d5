"""``bvte cases list/show`` and the receipt holder's messages (issue 16): unread per officer until that officer
opens the case, shown in full by ``show`` (which signs a "messages_read" marker), attachments saved decrypted."""

from __future__ import annotations

import io
import json

from PIL import Image

from functions.web import context

from test_cases_cli import post_report

ANSWER = "Cháu ở với bà ngoại, bản Huổi Lóng"


def photo() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 2.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_reporter_message_is_unread_until_the_officer_shows_the_case(office, client, app, tmp_path):  # noqa: F811
    context(app).config.tip_message_floor_seconds = 0
    receipt = post_report(client, "muong-ang", "cli-messages-0000000001")
    answer = client.post("/api/tips/messages", data={"receipt": receipt, "message": ANSWER,
                                                     "message_id": "cli-message-000000001",
                                                     "attachments": (io.BytesIO(photo()), "a.jpg")},
                         headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert answer.status_code == 201 and answer.get_json()["sent"]
    [row] = office.listed("can-bo-lan")
    assert row["unread_messages"] == 1
    assert "1 tin nhắn mới của người báo tin" in office.as_officer("can-bo-lan", "list").output
    folder = tmp_path / "saved"
    shown = office.as_officer("can-bo-lan", "show", row["case_number"], "--save-attachments", str(folder)).output
    assert "Tin nhắn của người báo tin: 1" in shown and f"MỚI " in shown and ANSWER in shown
    [saved] = [p for p in folder.iterdir() if "tin-nhan" in p.name]
    assert not Image.open(saved).getexif().get_ifd(0x8825)
    [row] = office.listed("can-bo-lan")
    assert row["unread_messages"] == 0  # shown means read: a signed marker of this officer
    again = office.as_officer("can-bo-lan", "show", row["case_number"]).output
    assert ANSWER in again and "MỚI " not in again and "Đã đọc tin nhắn của người báo tin" in again
    # Another officer's marker is their own: the root has not read it.
    root_rows = json.loads(office.run("cases", "list", "--json", "--key", str(office.root_key)).output)["cases"]
    assert [r["unread_messages"] for r in root_rows if not r["gap"]] == [1]
