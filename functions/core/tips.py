"""Storing tips exactly once, encrypted, with nothing half-written; status events; reading them back.

Storage layout (every object create-only, none ever overwritten):

- ``tips/<tip id>/attachments/<random>.sealed`` — each attachment sealed to the office key;
- ``receipts/<keyed hash of the receipt>`` — the receipt index, encrypted with the reporter key
  (a keyed hash of the receipt): it names the tip and the day it arrived;
- ``tips/<tip id>/report.sealed`` — THE COMMIT POINT: the report (fields, attachment list, time
  received, reporter key) sealed to the office key. A tip exists if and only if this exists;
- ``tips/<tip id>/events/<time>-<random>.box`` — status changes and messages to the reporter,
  written by officers, encrypted with the reporter key (readable by the office and by whoever
  holds the receipt, by no one else).

The tip id and the receipt are keyed hashes of the client's ``submission_id``: a retry finds the
record it already wrote and answers with the same receipt. Writes go attachments → index →
record; on a failure before the record's write was attempted, the attachments this request created
are deleted (best effort) and the error propagates; after it, nothing is deleted (see ``store``).
Attachments or an index entry without a record never count: listing reads records, lookups check
the record, and the local prune removes such leftovers once they are old.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nacl.public import PrivateKey, PublicKey

from .store import AlreadyExists, NotFound, OutcomeUnknown, StorageError
from . import cases, crypto, receipts, reporter_messages
from .images import CleanFile

STATES = cases.PUBLIC_STATES  # what the receipt holder may be told: one table for both record formats
RECORD = "report.sealed"
_DUMMY = crypto.box_encrypt(b"\0" * 32, b'{"tip": "0"}')


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def record_key(tip_id: str) -> str:
    """The commit point of a report of the first format (sealed to the single office key)."""
    return f"tips/{tip_id}/{RECORD}"


@dataclass
class SingleKeyLock:
    """How intake encrypted reports before the keyring: everything sealed to one office key.
    ``functions.core.cases.CaseLock`` is the same shape for the keyring."""

    public_key: PublicKey
    record_name: str = RECORD
    attachment_suffix: str = ".sealed"

    def encrypt_attachment(self, data: bytes) -> bytes:
        return crypto.seal(self.public_key, data)

    def assign_number(self, storage, tip_id: str, received: datetime) -> tuple[str, str | None]:
        return "", None  # case numbers come with the keyring

    def encrypt_record(self, record: dict) -> bytes:
        return crypto.seal(self.public_key, json.dumps(record, ensure_ascii=False).encode("utf-8"))


def index_storage_key(secret: bytes, receipt: str) -> str:
    return f"receipts/{receipts.index_key(secret, receipt)}"


@dataclass
class Stored:
    receipt: str
    tip_id: str
    existing: bool  # True when this was a retry of a submission already stored


def exists(storage, secret: bytes, submission_id: str) -> bool:
    return cases.has_record(storage, receipts.tip_id(secret, submission_id))


class SubmissionConflict(Exception):
    """The ``submission_id`` is already taken by a report with other content: nothing was stored."""


def content_fingerprint(secret: bytes, fields: dict, files: list[CleanFile]) -> str:
    """A keyed hash of what was reported (fields and attachments): tells a retry from another report sent
    with the same ``submission_id``. Keyed, so storage alone cannot test guesses of the content."""
    digest = hmac.new(secret, b"tip-content|", hashlib.sha256)
    digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8", "replace"))
    for item in files:
        digest.update(hashlib.sha256(item.data).digest())
    return digest.hexdigest()[:32]


def _index_payload(secret: bytes, receipt: str, tip_id: str, received: datetime) -> bytes:
    body = json.dumps({"tip": tip_id, "received": received.date().isoformat()}).encode()
    return crypto.box_encrypt(receipts.reporter_key(secret, receipt), body)


def _ensure_index(storage, secret: bytes, receipt: str, tip_id: str, received: datetime) -> bool:
    """Create the receipt index entry; True if this call created it (so a failure may undo it)."""
    try:
        storage.create(index_storage_key(secret, receipt), _index_payload(secret, receipt, tip_id, received))
        return True
    except AlreadyExists:
        return False


def fingerprint_key(tip_id: str) -> str:
    """Where the content fingerprint of a committed report lies: written only by the attempt whose record
    write succeeded, after it, so it always describes the stored report (never a failed attempt's)."""
    return f"fingerprints/{tip_id}"


def _check_same_content(storage, tip_id: str, content: str) -> None:
    """``SubmissionConflict`` when the stored report's fingerprint differs from ``content``; without one
    (a report stored before fingerprints, or whose writer died just after its record) a retry passes."""
    try:
        stored = storage.read(fingerprint_key(tip_id)).decode("ascii", "replace")
    except NotFound:
        return
    if not hmac.compare_digest(stored, content):
        raise SubmissionConflict(tip_id)


def store(storage, secret: bytes, lock, submission_id: str, fields: dict, files: list[CleanFile],
          now: datetime | None = None) -> Stored:
    """Store one tip exactly once, encrypted as ``lock`` says (``cases.CaseLock`` or ``SingleKeyLock``);
    returns only after the record is durable. Raises on failure, leaving nothing that counts.

    What is undone after a failure, and when: only objects this call created, and only when the commit
    point certainly did not happen. When the record's write fails with ``OutcomeUnknown`` (an S3 answer
    lost after the request arrived, a folder fsync failing after the link) the record may exist: then
    nothing is deleted — a retry finds the record and answers its receipt, and if the record was not
    written the leftovers never count and the prune (``bvte data prune``, the server's hourly prune) removes them
    once they are old.

    The receipt index race: a concurrent retry of the same submission (B) may rely on the index entry
    this call (A) created and is undoing. A deletes it, then looks for the record and writes the entry
    again if B's record is there; B, when it did not create the entry itself, writes it again after its
    record. Whichever order the storage sees, a committed record ends with its index entry."""
    now = now or utcnow()
    tip_id = receipts.tip_id(secret, submission_id)
    receipt = receipts.derive(secret, submission_id)
    content = content_fingerprint(secret, fields, files)
    if cases.has_record(storage, tip_id):
        return _stored_again(storage, secret, receipt, tip_id, now, content)

    created: list[str] = []
    index = functools.partial(_ensure_index, storage, secret, receipt, tip_id, now)
    try:
        attachments = _store_attachments(storage, lock, tip_id, files, created)
        if index():
            created.append(index_storage_key(secret, receipt))
        case_number, number_key = lock.assign_number(storage, tip_id, now)
        if number_key:
            created.append(number_key)
        record = {
            "version": 2 if case_number else 1,
            "received": now.isoformat(timespec="seconds"),
            "fields": fields,
            "attachments": attachments,
            "reporter_key": crypto.b64(receipts.reporter_key(secret, receipt)),
            **({"case_number": case_number} if case_number else {}),
        }
        payload = lock.encrypt_record(record)
    except BaseException:
        _undo(storage, created, tip_id, index)  # the record was never attempted: certainly not committed
        raise
    try:
        storage.create(f"tips/{tip_id}/{lock.record_name}", payload)
    except AlreadyExists:
        # A concurrent retry of the same submission committed first: one record, same receipt. Its record
        # names its own attachments and case number, never these: these are certainly unreferenced.
        _undo(storage, created, tip_id, index)
        return Stored(receipt, tip_id, existing=True)
    except OutcomeUnknown:
        raise  # the record may be stored: what it names must stay
    except BaseException:
        _undo(storage, created, tip_id, index)  # the backend says the record was certainly not written
        raise
    if index_storage_key(secret, receipt) not in created:
        _best_effort(index)  # another attempt made the entry and may be undoing it (see the race above)
    _best_effort(lambda: storage.create(fingerprint_key(tip_id), content.encode("ascii")))
    return Stored(receipt, tip_id, existing=False)


def _undo(storage, created: list[str], tip_id: str, index) -> None:
    """Delete what this call created (best effort); then, if a concurrent attempt's record exists, its
    receipt index entry is written again (this call may just have deleted it)."""
    _cleanup(storage, created)
    if any(key.startswith("receipts/") for key in created):
        _best_effort(lambda: cases.has_record(storage, tip_id) and index())


def _best_effort(action) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - a retry repairs it (``_stored_again``)
        pass


def _cleanup(storage, keys: list[str]) -> None:
    for key in reversed(keys):
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - best effort: orphans never count as a tip
            pass


def _store_attachments(storage, lock, tip_id: str, files: list[CleanFile], created: list[str]) -> list[dict]:
    """Write each attachment create-only under a random name (noting it in ``created``); their list entries."""
    attachments = []
    for number, item in enumerate(files, start=1):
        key = f"tips/{tip_id}/attachments/{secrets.token_hex(8)}{lock.attachment_suffix}"
        storage.create(key, lock.encrypt_attachment(item.data))
        created.append(key)
        attachments.append({"key": key, "name": f"tep-{number}.{item.extension}",
                            "content_type": item.content_type, "size": len(item.data)})
    return attachments


def _stored_again(storage, secret: bytes, receipt: str, tip_id: str, now: datetime, content: str) -> Stored:
    """A retry of a stored report: its receipt, whatever the storage can still write (``SubmissionConflict``
    when the stored report's content differs). The index entry is repaired when it is missing (a first
    attempt that died before writing it), but a failure to do so (a full disk) never turns the answer
    into "not sent": the report IS stored."""
    _check_same_content(storage, tip_id, content)
    try:
        _ensure_index(storage, secret, receipt, tip_id, now)
    except StorageError:
        pass
    return Stored(receipt, tip_id, existing=True)


# -- status, as the receipt holder sees it ----------------------------------------------------

def _event_payloads(storage, tip_id: str) -> list[bytes]:
    out = []
    for key in storage.list(f"tips/{tip_id}/events/"):
        try:
            out.append(storage.read(key))
        except NotFound:
            continue
    return out


def _events(storage, tip_id: str, key: bytes) -> list[dict]:
    """The tip's status events that open with its reporter key, oldest first."""
    events = []
    for payload in _event_payloads(storage, tip_id):
        try:
            events.append(json.loads(crypto.box_decrypt(key, payload)))
        except (crypto.CryptoError, ValueError):
            continue
    events.sort(key=lambda e: e.get("time", ""))
    return events


def current_state(events: list[dict]) -> str:
    """The last recognised state in ``events`` (oldest first); "received" before any."""
    state = "received"
    for event in events:
        if event.get("state") in STATES:
            state = event["state"]
    return state


def lookup(storage, secret: bytes, receipt: str) -> dict:
    """The public status of a receipt. Known or not, the same work is done and the same shape returned."""
    key = receipts.reporter_key(secret, receipt)
    answer = {"receipt": receipt, "found": False, "status": None, "status_label": None,
              "received": None, "updated": None, "messages": [], "conversation": [], "closed": False}
    try:
        blob = storage.read(index_storage_key(secret, receipt))
    except NotFound:
        blob = None
    if blob is None:
        # Unknown receipt: the same reads and the same decryption as a known one, on nothing.
        try:
            crypto.box_decrypt(key, _DUMMY)
        except crypto.CryptoError:
            pass
        cases.has_record(storage, "0" * 32)
        _event_payloads(storage, "0" * 32)
        reporter_messages.conversation(storage, "0" * 32, key, [])
        return answer
    try:
        entry = json.loads(crypto.box_decrypt(key, blob))
    except (crypto.CryptoError, ValueError):
        return answer
    tip_id = entry["tip"]
    if not cases.has_record(storage, tip_id):
        return answer  # an index entry left by a failed write: no tip
    events = _events(storage, tip_id, key)
    state = current_state(events)
    updated = next((e["time"] for e in reversed(events) if e.get("time")), entry.get("received"))
    withdrawn = {e["withdraw"] for e in events if e.get("withdraw")}
    messages = [{"time": e.get("time"), "text": e["message"]} for e in events
                if e.get("message") and e.get("message_id") not in withdrawn]
    answer.update(found=True, status=state, status_label=STATES[state], received=entry.get("received"),
                  updated=updated, messages=messages, closed=state == "closed",
                  conversation=reporter_messages.conversation(storage, tip_id, key, events))
    return answer


# -- the office's side: needs the private key ----------------------------------------------------

@dataclass
class Tip:
    id: str
    received: str
    fields: dict
    attachments: list[dict]
    reporter_key: bytes
    events: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return current_state(self.events)


def tip_ids(storage) -> list[str]:
    """Every committed tip of the first format (records only: orphan attachments and index entries are not tips)."""
    return [key.split("/")[1] for key in storage.list("tips/") if key.endswith("/" + RECORD) and key.count("/") == 2]


def read(storage, private_key: PrivateKey, tip_id: str) -> Tip:
    record = json.loads(crypto.unseal(private_key, storage.read(record_key(tip_id))))
    key = crypto.unb64(record["reporter_key"])
    return Tip(tip_id, record["received"], record["fields"], record["attachments"], key,
               _events(storage, tip_id, key))


def read_attachment(storage, private_key: PrivateKey, attachment: dict) -> bytes:
    return crypto.unseal(private_key, storage.read(attachment["key"]))


def add_event(storage, tip: Tip, state: str | None, message: str = "", now: datetime | None = None) -> str:
    """Record a status change and/or a message to the reporter; returns the event's storage key."""
    if state is not None and state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    now = now or utcnow()
    body = {"time": now.isoformat(timespec="seconds"), "state": state, "message": message}
    key = cases.write_public_entry(storage, tip.id, tip.reporter_key, body, now)
    tip.events.append(body)
    return key
