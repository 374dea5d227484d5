"""What the office's storage holds about notices: the queue intake writes, "opened" markers, the failure log.

Keys (all create-only; nothing here says anything about a report's content):

- ``notices/queue/<UTC day>/<tip id>.json``: ``{"officers": [ids], "received": UTC ISO time}`` plus
  ``"urgent": true`` only when the office turned urgent wording on and the reporter ticked it. Written by
  intake right after the report is durable; the day in the key lets the sender list only recent entries.
  Its kind (``entry_kind``) is a new report: told at once, reminded 4 hours before its 12-hour deadline;
- ``notices/queue/<UTC day>/<tip id>-m<message name>.json``: ``{"kind": "message", "officers", "received"}``,
  a receipt holder's new message (``queue_message``): told once, never reminded (it has no deadline of its
  own; the case's clocks run from the report);
- ``notices/opened/<tip id>``: some officer opened the case (the console, ``bvte cases show``): the
  server-side 12-hour reminder is then not sent. It tells the server nothing it did not know;
- ``notices/failures/<UTC day>/<time>-<random>.json``: a delivery that failed — channel, officer id, reason
  and the error's type name only (never an address, never text), read by ``delivery_failures``.

Imports only the standard library and the storage contract: intake imports this module.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from datetime import datetime, timedelta, timezone

from ..core.store import AlreadyExists, NotFound

log = logging.getLogger(__name__)

QUEUE = "notices/queue/"
OPENED = "notices/opened/"
FAILURES = "notices/failures/"
FAILURE_LABEL = "không gửi được thông báo"
# A sender in the same process (``bvte serve``) waits on this between rounds; a new report wakes it.
WAKE = threading.Event()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def day_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d")


def recent_days(now: datetime, days: int) -> list[str]:
    """The UTC days ``now`` and the ``days - 1`` before it, oldest first (as keys name them)."""
    return [day_of(now - timedelta(days=back)) for back in range(days - 1, -1, -1)]


REPORT_KIND, MESSAGE_KIND = "report", "message"


def queue_key(day: str, tip_id: str) -> str:
    return f"{QUEUE}{day}/{tip_id}.json"


def entry_kind(entry: dict) -> str:
    """What a queue entry tells of: a message, or (no kind: entries written before messages existed) a report."""
    return MESSAGE_KIND if entry.get("kind") == MESSAGE_KIND else REPORT_KIND


# -- intake ------------------------------------------------------------------------------------------

def queue_new_report(storage, tip_id: str, officer_ids: list[str], received: datetime, urgent: bool = False) -> str:
    """Queue the notice of one stored report (create-only; a second call for the same report is a no-op)."""
    entry = {"officers": sorted(set(officer_ids)), "received": received.astimezone(timezone.utc).isoformat()}
    if urgent:
        entry["urgent"] = True
    return _queue(storage, queue_key(day_of(received), tip_id), entry)


def queue_message(storage, tip_id: str, message_name: str, officer_ids: list[str], received: datetime) -> str:
    """Queue the notice of one stored reporter message (create-only; one entry per message, whatever its time)."""
    entry = {"kind": MESSAGE_KIND, "officers": sorted(set(officer_ids)),
             "received": received.astimezone(timezone.utc).isoformat()}
    return _queue(storage, queue_key(day_of(received), f"{tip_id}-m{message_name}"), entry)


def _queue(storage, key: str, entry: dict) -> str:
    try:
        storage.create(key, json.dumps(entry, sort_keys=True).encode("ascii"))
    except AlreadyExists:
        pass
    WAKE.set()
    return key


def after_commit(ctx, stored, lock, fields: dict) -> None:
    """Intake's one call once a report is durable: queue its notice. Never raises, never waits on a mail
    server; a failure to queue is logged by its type only (the report itself is stored and answered)."""
    try:
        if stored.existing:
            return  # a retry of a stored report is not a new report
        recipients = lock.recipients() if hasattr(lock, "recipients") else []
        urgent = bool(getattr(ctx.config, "notify_urgent_wording", False) and fields.get("urgent"))
        queue_new_report(ctx.storage, stored.tip_id, [o.id for o in recipients], utcnow(), urgent)
    except Exception as exc:  # noqa: BLE001 - the reporter's answer must not depend on a notice
        log.error("notice not queued: %s", type(exc).__name__)


def after_reporter_message(ctx, sent) -> None:
    """Intake's one call once a receipt holder's message is durable: a content-free "new message" notice to
    the officers it is sealed to, queued under the tip id and the message's storage name (so each message
    is its own entry). Never raises."""
    try:
        received = datetime.fromisoformat(sent.time) if sent.time else utcnow()
        queue_message(ctx.storage, sent.tip_id, sent.name, sent.officers, received)
    except Exception as exc:  # noqa: BLE001 - the reporter's answer must not depend on a notice
        log.error("notice not queued: %s", type(exc).__name__)


def queued(storage, now: datetime, days: int = 2) -> list[tuple[str, str, dict]]:
    """``(day, tip id, entry)`` of every report queued in the last ``days`` UTC days; unreadable ones skipped."""
    found = []
    for day in recent_days(now, days):
        for key in storage.list(f"{QUEUE}{day}/"):
            try:
                entry = json.loads(storage.read(key))
            except (NotFound, ValueError):
                log.warning("queued notice unreadable: skipped")
                continue
            found.append((day, key.rsplit("/", 1)[1].removesuffix(".json"), entry))
    return found


# -- opened markers --------------------------------------------------------------------------------------

def mark_opened(storage, tip_id: str) -> None:
    """Record that an officer opened this case (no server-side reminder then); idempotent."""
    try:
        storage.create(f"{OPENED}{tip_id}", b"1")
    except AlreadyExists:
        pass


def is_opened(storage, tip_id: str) -> bool:
    return storage.exists(f"{OPENED}{tip_id}")


# -- failures ---------------------------------------------------------------------------------------------

def record_failure(storage, channel: str, recipient: str, reason: str, error: str, now: datetime) -> None:
    """Log a failed delivery (no address, no text); a failure to log it is itself only logged."""
    entry = {"at": now.astimezone(timezone.utc).isoformat(timespec="seconds"), "channel": channel,
             "recipient": recipient, "reason": reason, "error": error}
    log.warning("notice not delivered: channel=%s reason=%s error=%s", channel, reason, error)
    key = f"{FAILURES}{day_of(now)}/{now.astimezone(timezone.utc):%H%M%S}-{secrets.token_hex(4)}.json"
    try:
        storage.create(key, json.dumps(entry, sort_keys=True).encode("ascii"))
    except Exception as exc:  # noqa: BLE001 - the log line above already says it
        log.error("failure record not written: %s", type(exc).__name__)


def delivery_failures(storage, now: datetime | None = None, days: int = 7) -> list[dict]:
    """Failed deliveries of the last ``days`` UTC days, newest first: what the console shows as
    "không gửi được thông báo" (time, channel, officer id, reason; no address, no content)."""
    now = now or utcnow()
    found = []
    for day in recent_days(now, days):
        for key in storage.list(f"{FAILURES}{day}/"):
            try:
                found.append(json.loads(storage.read(key)))
            except (NotFound, ValueError):
                continue
    return sorted(found, key=lambda f: f.get("at", ""), reverse=True)
