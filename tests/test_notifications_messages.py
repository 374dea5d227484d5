"""Notices of a receipt holder's new message (issue 16, functions/notifications): a real SMTP server
(aiosmtpd on 127.0.0.1) gets one fixed "Có tin nhắn mới…" notice per officer the message is sealed to,
never a word of the message, and the message is never reminded (nothing marks it opened); the report's own
notice and reminder are unchanged beside it."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

from test_notifications import HOA, LAN, TAM, office_app, post_report, readable, smtp_server, vars_smtp

from functions.notifications import mark_opened, outbox
from functions.notifications.messages import FOOTER, NEW_MESSAGE
from functions.notifications.sender import deliver_once

ANSWER = "Cháu 9 tuổi, tối nay ở nhà bà ngoại bản Huổi Lóng"


def send_message(client, receipt: str, text: str, message_id: str) -> dict:
    answer = client.post("/api/tips/messages", json={"receipt": receipt, "message": text, "message_id": message_id},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def bodies(inbox, start: int) -> list[tuple[tuple[str, ...], str]]:
    with inbox.lock:
        return [(rcpts, message_from_bytes(raw, policy=policy.default).get_content().strip())
                for rcpts, raw in inbox.messages[start:]]


@contextmanager
def reported(config):
    """A real SMTP server and an office app that has one report queued: yields (inbox, storage, config, client,
    receipt, tip id, the report's queue entry)."""
    with smtp_server() as (port, inbox):
        app, storage, cfg = office_app(config, **vars_smtp(port))
        cfg.tip_message_floor_seconds = 0  # the answer floor is measured in test_reporter_messages_http
        client = app.test_client()
        receipt = post_report(client)["receipt"]
        [(_, tip_id, report_entry)] = outbox.queued(storage, datetime.now(timezone.utc))
        yield inbox, storage, cfg, client, receipt, tip_id, report_entry


def test_a_reporter_message_is_told_once_with_fixed_words_and_never_reminded(config):
    with reported(config) as (inbox, storage, cfg, client, receipt, tip_id, report_entry):
        received = datetime.fromisoformat(report_entry["received"])
        assert deliver_once(storage, cfg, now=received).delivered == 2  # the report's own notice
        mark_opened(storage, tip_id)  # an officer opened the case: no report reminder below
        send_message(client, receipt, ANSWER, "message-id-notice-00001")
        send_message(client, receipt, ANSWER + " (thêm)", "message-id-notice-00002")
        send_message(client, receipt, ANSWER, "message-id-notice-00001")  # a retry: no second entry
        entries = [(name, entry) for _, name, entry in outbox.queued(storage, datetime.now(timezone.utc))
                   if name != tip_id]
        # One entry per message (even two in one second), of kind "message", holding no content.
        assert len(entries) == 2 and all(name.startswith(f"{tip_id}-m") for name, _ in entries)
        for _, entry in entries:
            assert sorted(entry) == ["kind", "officers", "received"] and entry["kind"] == "message"
            assert entry["officers"] == ["can-bo-lan", "can-bo-tam"]
        assert outbox.entry_kind(report_entry) == "report"  # entries without a kind are reports (old ones too)
        told = inbox.count()
        later = received + timedelta(minutes=11)  # the next batch window: the two messages are one notice
        assert deliver_once(storage, cfg, now=later).delivered == 2
        got = bodies(inbox, told)
        assert sorted(r for rcpts, _ in got for r in rcpts) == [LAN, TAM] and inbox.to(HOA) == []
        for _, body in got:
            assert body == f"{NEW_MESSAGE}\n\n{FOOTER}"
            assert body == f"Có tin nhắn mới của người báo tin cần xem trong bảng điều khiển.\n\n{FOOTER}"
        for raw in inbox.to(LAN) + inbox.to(TAM):
            text = readable(raw)
            assert "Huổi Lóng" not in text and receipt not in text and tip_id not in text
        # Told once; and through the report's reminder window and past 12 hours: nothing more, ever.
        for hours in (1, 8.1, 9, 11.9, 13):
            assert deliver_once(storage, cfg, now=received + timedelta(hours=hours)).delivered == 0
        assert inbox.count() == told + 2
        assert not outbox.is_opened(storage, entries[0][0])  # nothing marks a message opened, nothing needs it


def test_a_message_to_an_unopened_case_reminds_of_the_report_only(config):
    with reported(config) as (inbox, storage, cfg, client, receipt, tip_id, report_entry):
        received = datetime.fromisoformat(report_entry["received"])
        send_message(client, receipt, ANSWER, "message-id-notice-00003")
        # The report and the message in one batch: one notice each, one sentence per kind.
        assert deliver_once(storage, cfg, now=received).delivered == 2
        for _, body in bodies(inbox, 0):
            assert body.splitlines()[0].startswith("Có tin báo mới cần xem trong bảng điều khiển.")
            assert body.splitlines()[1] == NEW_MESSAGE
        told = inbox.count()
        deliver_once(storage, cfg, now=received + timedelta(hours=8, minutes=1))
        reminders = bodies(inbox, told)
        # The report nobody opened is reminded (once per officer); the message adds no reminder of its own.
        assert len(reminders) == 2
        for _, body in reminders:
            assert body == (body.split("\n")[0] + f"\n\n{FOOTER}")
            assert body.startswith("Có tin báo chưa cán bộ nào mở") and NEW_MESSAGE not in body
        queued = [json.loads(storage.read(k)) for k in storage.list("notices/queue/")]
        assert sorted(outbox.entry_kind(e) for e in queued) == ["message", "report"]
