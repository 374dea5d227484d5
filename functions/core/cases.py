"""Case records: a report sealed for several officers and the root, and its signed, append-only history.

Storage layout of a case (every object create-only, none ever overwritten or deleted):

- ``tips/<tip id>/report.v2.json`` — THE COMMIT POINT: the report (fields, attachment list, time received,
  reporter key, case number) encrypted with the case's random **content key**, and that content key sealed
  to the root and to every officer whose communes cover the report's commune (keyring in force then);
- ``tips/<tip id>/attachments/<random>.box`` — each attachment encrypted with the content key;
- ``cases/<year>/<number>`` — the case number's index entry (names the tip): numbers come from an atomic
  counter per Vietnam year, so a write that failed after taking one leaves a visible gap;
- ``tips/<tip id>/grants/<officer>-<random>.sealed`` — the content key sealed to a colleague (handover);
- ``tips/<tip id>/case/<time>-<random>.event`` — one **event**: author, time, kind, the hash of the newest
  event the author saw (``follows``), the payload encrypted with the content key, and the author's Ed25519
  signature over all of it. Internal: the reporter never sees an event;
- ``tips/<tip id>/events/<time>-<random>.box`` — what the receipt holder sees (a public status, a message,
  the withdrawal of a message), encrypted with the reporter key; written only by an explicit reply,
  status or withdraw, right after the signed event that records it.

State is derived by replaying the events that verify (signature valid, author in the keyring in force at the
event's time): the six steps by ``functions.core.case_steps`` (which also checks each move against the decree),
the rest — public status, notes, replies, assignment, grants — here; others are kept and shown as "không xác thực" but change nothing. Two events that follow the
same predecessor were written concurrently: both count, and the fork is reported as a conflict.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import nacl.utils
from nacl.public import PrivateKey
from nacl.signing import VerifyKey

from . import crypto
from .office_keys import Identity, Keyring, Officer, box_public_key, keyring_at, signature_valid, utcnow
from .store import NotFound
from .vietnam import VIETNAM

RECORD_V2 = "report.v2.json"
RECORD_V1 = "report.sealed"  # sealed to the office's single key, before the keyring
TIP_FORMAT = "bvte-tip-v2"
EVENT_FORMAT = "bvte-event-v1"
ROOT = "root"  # the holder name of the root key, in key maps and as an author
UNVERIFIED = "không xác thực"
PUBLIC_STATES = {
    "received": "Đã tiếp nhận",
    "verifying": "Đang xác minh",
    "handling": "Đang xử lý",
    "closed": "Đã đóng",
}
KINDS = {
    "note": "Ghi chú nội bộ",
    "form": "Lưu biểu mẫu",
    "step": "Chuyển bước",
    "assign": "Phân công",
    "grant": "Chia sẻ hồ sơ",
    "reply": "Nhắn cho người báo tin",
    "withdraw": "Rút lại tin nhắn",
    "status": "Trạng thái công khai",
    "close": "Đóng hồ sơ",
    "reopen": "Mở lại hồ sơ",
    "messages_read": "Đã đọc tin nhắn của người báo tin",  # functions.core.reporter_messages: unread counts
}


class CaseError(ValueError):
    """A case that cannot be opened or written as asked; the message is Vietnamese."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


# -- sealing a new report (intake) ------------------------------------------------------------------

@dataclass
class CaseLock:
    """How intake encrypts one new report: a fresh content key, sealed to the root and the officers
    covering the report's commune. Used by ``functions.core.tips.store``."""

    root: VerifyKey
    keyring: Keyring
    commune: str
    content_key: bytes = field(default_factory=lambda: nacl.utils.random(32))
    record_name: str = RECORD_V2
    attachment_suffix: str = ".box"

    def recipients(self) -> list[Officer]:
        return self.keyring.recipients(self.commune)

    def sealed_keys(self) -> dict[str, str]:
        keys = {ROOT: crypto.b64(crypto.seal(box_public_key(self.root), self.content_key))}
        for officer in self.recipients():
            keys[f"officer/{officer.id}"] = crypto.b64(crypto.seal(box_public_key(officer.verify_key),
                                                                   self.content_key))
        return keys

    def encrypt_attachment(self, data: bytes) -> bytes:
        return crypto.box_encrypt(self.content_key, data)

    def assign_number(self, storage, tip_id: str, received: datetime) -> tuple[str, str]:
        """Take the next case number of the report's Vietnam year and write its index entry."""
        year = vietnam_year(received)
        number = storage.increment(f"case-numbers/{year}")
        index = case_index_key(year, number)
        storage.create(index, tip_id.encode("ascii"))
        return f"{year}-{number:04d}", index

    def encrypt_record(self, record: dict) -> bytes:
        envelope = {
            "format": TIP_FORMAT,
            "keyring_version": self.keyring.version,
            "keys": self.sealed_keys(),
            "report": crypto.b64(crypto.box_encrypt(self.content_key, json.dumps(record, ensure_ascii=False)
                                                    .encode("utf-8"))),
        }
        return json.dumps(envelope).encode("utf-8")


def vietnam_year(moment: datetime) -> int:
    return moment.astimezone(VIETNAM).year


def case_index_key(year: int, number: int) -> str:
    return f"cases/{year}/{number:06d}"


# -- opening a case (the officer's computer) --------------------------------------------------------

@dataclass
class Case:
    tip_id: str
    case_number: str  # "" for a report stored before case numbers
    received: str
    fields: dict
    attachments: list[dict]
    reporter_key: bytes
    content_key: bytes | None  # None: an old report sealed to the single office key (no internal events)
    keyring_version: int = 0
    holders: list[str] = field(default_factory=list)  # who the content key was sealed to at intake

    @property
    def legacy(self) -> bool:
        return self.content_key is None


def record_keys(tip_id: str) -> tuple[str, str]:
    return f"tips/{tip_id}/{RECORD_V2}", f"tips/{tip_id}/{RECORD_V1}"


def has_record(storage, tip_id: str) -> bool:
    """True when either format's commit point exists (both are always asked: same work for any answer)."""
    found = [storage.exists(key) for key in record_keys(tip_id)]
    return any(found)


def tip_ids(storage) -> list[str]:
    """Every committed report, of either format (orphan attachments and index entries are not reports)."""
    ids = set()
    for key in storage.list("tips/"):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] in (RECORD_V1, RECORD_V2):
            ids.add(parts[1])
    return sorted(ids)


def _holder_label(officer_id: str | None) -> str:
    return ROOT if officer_id is None else f"officer/{officer_id}"


def content_key_for(storage, tip_id: str, envelope: dict, identity: Identity, officer_id: str | None) -> bytes:
    """The content key, from the copy sealed to this holder at intake or from a grant; ``CaseError`` if none."""
    sealed = envelope["keys"].get(_holder_label(officer_id))
    candidates = [crypto.unb64(sealed)] if sealed else []
    if officer_id is not None:
        for key in storage.list(f"tips/{tip_id}/grants/{officer_id}-"):
            try:
                candidates.append(crypto.unb64(json.loads(storage.read(key))["sealed_key"]))
            except (NotFound, ValueError, KeyError, TypeError):
                continue
    for candidate in candidates:
        try:
            return crypto.unseal(identity.box_key, candidate)
        except crypto.CryptoError:
            continue
    raise CaseError("Hồ sơ này không được chia sẻ cho khóa của bạn.")


def open_case(storage, tip_id: str, identity: Identity | None, officer_id: str | None,
              legacy_key: PrivateKey | None = None) -> Case:
    """Decrypt a case for an officer (``officer_id``) or the root (``officer_id=None``); an old single-key
    report opens with ``legacy_key``. ``CaseError`` when this holder cannot open it."""
    new_key, old_key = record_keys(tip_id)
    try:
        envelope = json.loads(storage.read(new_key))
    except NotFound:
        return _open_legacy(storage, tip_id, old_key, legacy_key)
    if identity is None:
        raise CaseError("Cần khóa của cán bộ để mở hồ sơ này.")
    content_key = content_key_for(storage, tip_id, envelope, identity, officer_id)
    try:
        record = json.loads(crypto.box_decrypt(content_key, crypto.unb64(envelope["report"])))
    except (crypto.CryptoError, ValueError, KeyError):
        raise CaseError("Hồ sơ bị hỏng: không giải mã được nội dung.") from None
    return Case(tip_id, record.get("case_number", ""), record["received"], record["fields"], record["attachments"],
                crypto.unb64(record["reporter_key"]), content_key, int(envelope.get("keyring_version", 0)),
                sorted(envelope["keys"]))


def _open_legacy(storage, tip_id: str, key: str, legacy_key: PrivateKey | None) -> Case:
    if legacy_key is None:
        raise CaseError("Tin báo này được lưu theo cách cũ: cần khóa riêng cũ của văn phòng (--legacy-key).")
    try:
        record = json.loads(crypto.unseal(legacy_key, storage.read(key)))
    except NotFound:
        raise CaseError(f"Không có tin báo {tip_id}.") from None
    except crypto.CryptoError:
        raise CaseError("Khóa riêng cũ không mở được tin báo này.") from None
    return Case(tip_id, "", record["received"], record["fields"], record["attachments"],
                crypto.unb64(record["reporter_key"]), None)


def read_attachment(storage, case: Case, attachment: dict, legacy_key: PrivateKey | None = None) -> bytes:
    data = storage.read(attachment["key"])
    if case.legacy:
        if legacy_key is None:
            raise CaseError("Cần khóa riêng cũ của văn phòng để mở tệp này.")
        return crypto.unseal(legacy_key, data)
    return crypto.box_decrypt(case.content_key, data)


# -- events -------------------------------------------------------------------------------------------

@dataclass
class Event:
    key: str
    hash: str
    author: str
    time: str
    kind: str
    follows: str
    payload: dict
    verified: bool
    problem: str = ""

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind) if self.verified else f"{KINDS.get(self.kind, self.kind)} ({UNVERIFIED})"


def _require_content_key(case: Case) -> bytes:
    if case.content_key is None:
        raise CaseError("Tin báo lưu theo cách cũ: hãy chạy `bvte office migrate` trước khi ghi vào hồ sơ.")
    return case.content_key


def _parse_event(key: str, data: bytes, case: Case, root: VerifyKey, keyrings: list[Keyring]) -> Event:
    digest = hashlib.sha256(data).hexdigest()
    try:
        document = json.loads(data)
        signed = {k: v for k, v in document.items() if k != "signature"}
        author, time, kind = str(document["author"]), str(document["time"]), str(document["kind"])
        follows = str(document.get("follows", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return Event(key, digest, "?", "", "?", "", {}, False, "không đọc được")
    try:
        payload = json.loads(crypto.box_decrypt(case.content_key, crypto.unb64(document["body"])))
    except (crypto.CryptoError, ValueError, KeyError, TypeError):
        payload, problem = {}, "không giải mã được"
    else:
        problem = ""
    signer = root if author == ROOT else _officer_key(keyrings, author, time)
    if signer is None:
        problem = problem or "người ghi không có trong danh sách cán bộ lúc đó"
    elif document.get("format") != EVENT_FORMAT or document.get("tip") != case.tip_id or \
            not signature_valid(signer, signed, str(document.get("signature", ""))):
        problem = problem or "chữ ký không hợp lệ"
    return Event(key, digest, author, time, kind, follows, payload if isinstance(payload, dict) else {},
                 not problem, problem)


def _officer_key(keyrings: list[Keyring], officer_id: str, time: str) -> VerifyKey | None:
    officer = keyring_at(keyrings, time).officer(officer_id)
    return officer.verify_key if officer else None


def read_events(storage, case: Case, root: VerifyKey, keyrings: list[Keyring]) -> list[Event]:
    """Every event of the case, verified or not, in time order (then storage order)."""
    if case.content_key is None:
        return []
    events = []
    for key in storage.list(f"tips/{case.tip_id}/case/"):
        try:
            events.append(_parse_event(key, storage.read(key), case, root, keyrings))
        except NotFound:
            continue
    events.sort(key=lambda e: (e.time, e.key))
    return events


def write_event(storage, case: Case, author: str, identity: Identity, kind: str, payload: dict,
                seen: list[Event], now: datetime | None = None) -> Event:
    """Append one signed event after the newest of ``seen`` (what the author read); returns it."""
    if kind not in KINDS:
        raise CaseError(f"Loại sự kiện không hợp lệ: {kind}")
    content_key = _require_content_key(case)
    now = now or utcnow()
    verified = [e for e in seen if e.verified]
    document = {
        "format": EVENT_FORMAT, "tip": case.tip_id, "author": author, "time": now.isoformat(timespec="microseconds"),
        "kind": kind, "follows": verified[-1].hash if verified else "",
        "body": crypto.b64(crypto.box_encrypt(content_key, json.dumps(payload, ensure_ascii=False).encode("utf-8"))),
    }
    document["signature"] = identity.sign(document)
    data = json.dumps(document, ensure_ascii=False).encode("utf-8")
    key = f"tips/{case.tip_id}/case/{_stamp(now)}-{secrets.token_hex(4)}.event"
    storage.create(key, data)
    return Event(key, hashlib.sha256(data).hexdigest(), author, document["time"], kind, document["follows"],
                 payload, True)


# -- what the receipt holder sees ------------------------------------------------------------------------

def write_public_entry(storage, tip_id: str, reporter_key: bytes, entry: dict, now: datetime) -> str:
    """One entry of what the receipt holder reads (encrypted with the reporter key); its storage key."""
    key = f"tips/{tip_id}/events/{_stamp(now)}-{secrets.token_hex(4)}.box"
    storage.create(key, crypto.box_encrypt(reporter_key, json.dumps(entry, ensure_ascii=False).encode()))
    return key


def _write_public(storage, case: Case, entry: dict, now: datetime) -> None:
    write_public_entry(storage, case.tip_id, case.reporter_key, entry, now)


def reply(storage, case: Case, author: str, identity: Identity, text: str, seen: list[Event],
          now: datetime | None = None) -> Event:
    """A message to the receipt holder: the signed event, then the entry the reporter reads."""
    text = text.strip()
    if not text:
        raise CaseError("Tin nhắn trống.")
    now = now or utcnow()
    message_id = secrets.token_hex(8)
    event = write_event(storage, case, author, identity, "reply", {"message_id": message_id, "text": text}, seen, now)
    _write_public(storage, case, {"time": now.isoformat(timespec="seconds"), "state": None, "message": text,
                                  "message_id": message_id}, now)
    return event


def set_public_status(storage, case: Case, author: str, identity: Identity, state: str, seen: list[Event],
                      now: datetime | None = None) -> Event:
    """The public status the reporter sees, chosen explicitly."""
    if state not in PUBLIC_STATES:
        raise CaseError("Trạng thái công khai phải là một trong: " + ", ".join(PUBLIC_STATES) + ".")
    now = now or utcnow()
    event = write_event(storage, case, author, identity, "status", {"state": state}, seen, now)
    _write_public(storage, case, {"time": now.isoformat(timespec="seconds"), "state": state, "message": ""}, now)
    return event


def withdraw(storage, case: Case, author: str, identity: Identity, message_id: str, reason: str,
             seen: list[Event], now: datetime | None = None) -> Event:
    """Hide a message from the reporter; the office's record keeps it, with who withdrew it and why."""
    sent = {e.payload.get("message_id") for e in seen if e.verified and e.kind == "reply"}
    if message_id not in sent:
        raise CaseError(f"Không có tin nhắn {message_id} trong hồ sơ này.")
    if not reason.strip():
        raise CaseError("Hãy ghi lý do rút lại tin nhắn.")
    now = now or utcnow()
    event = write_event(storage, case, author, identity, "withdraw",
                        {"message_id": message_id, "reason": reason.strip()}, seen, now)
    _write_public(storage, case, {"time": now.isoformat(timespec="seconds"), "state": None, "message": "",
                                  "withdraw": message_id}, now)
    return event


# -- handover -------------------------------------------------------------------------------------------

def grant(storage, case: Case, author: str, identity: Identity, colleague: Officer, seen: list[Event],
          now: datetime | None = None) -> Event:
    """Seal the content key to a colleague (create-only), then the key of each reporter message already
    there (messages arriving from now on are sealed to the colleague on arrival), and record the grant."""
    from . import reporter_messages  # it imports this module

    content_key = _require_content_key(case)
    sealed = crypto.seal(box_public_key(colleague.verify_key), content_key)
    storage.create(f"tips/{case.tip_id}/grants/{colleague.id}-{secrets.token_hex(4)}.sealed",
                   json.dumps({"officer": colleague.id, "by": author, "sealed_key": crypto.b64(sealed)}).encode())
    reporter_messages.seal_to_colleague(storage, case, author, identity, colleague)
    return write_event(storage, case, author, identity, "grant", {"officer": colleague.id}, seen, now)


# -- replay -------------------------------------------------------------------------------------------------

@dataclass
class CaseState:
    public_status: str = "received"
    closed: bool = False
    assigned: str = ""
    notes: list[Event] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)  # {"message_id", "text", "time", "author", "withdrawn"}
    granted: list[str] = field(default_factory=list)
    unverified: list[Event] = field(default_factory=list)
    conflicts: list[tuple[Event, Event]] = field(default_factory=list)


def replay(events: list[Event]) -> CaseState:
    """The state the verified events lead to, in time order; unverified ones are listed, never applied."""
    state = CaseState()
    by_parent: dict[str, Event] = {}
    replies: dict[str, dict] = {}
    for event in events:
        if not event.verified:
            state.unverified.append(event)
            continue
        if event.follows in by_parent:  # two writers followed the same event: both count, the fork is shown
            state.conflicts.append((by_parent[event.follows], event))
        else:
            by_parent[event.follows] = event
        _apply(state, event, replies)
    state.replies = list(replies.values())
    return state


def _apply(state: CaseState, event: Event, replies: dict[str, dict]) -> None:
    payload, kind = event.payload, event.kind
    if kind == "note":
        state.notes.append(event)
    elif kind == "status" and payload.get("state") in PUBLIC_STATES:
        state.public_status = payload["state"]
    elif kind == "assign":
        state.assigned = str(payload.get("officer", ""))
    elif kind == "grant":
        state.granted.append(str(payload.get("officer", "")))
    elif kind == "reply":
        replies[str(payload.get("message_id"))] = {"message_id": payload.get("message_id"), "text": payload.get("text", ""),
                                                   "time": event.time, "author": event.author, "withdrawn": None}
    elif kind == "withdraw" and str(payload.get("message_id")) in replies:
        replies[str(payload["message_id"])]["withdrawn"] = {"by": event.author, "reason": payload.get("reason", ""),
                                                            "time": event.time}
    elif kind in ("close", "reopen"):
        state.closed = kind == "close"




# -- lists and numbers ------------------------------------------------------------------------------------

@dataclass
class Gap:
    """A case number taken by a write that then failed: shown in the list, never reused."""

    case_number: str


def case_numbers(storage) -> dict[str, str]:
    """Case number → tip id, from the index entries (``cases/<year>/<number>``)."""
    numbers = {}
    for key in storage.list("cases/"):
        parts = key.split("/")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            try:
                numbers[f"{parts[1]}-{int(parts[2]):04d}"] = storage.read(key).decode("ascii")
            except (NotFound, UnicodeDecodeError):
                continue
    return numbers


def gaps(storage, numbers: dict[str, str]) -> list[Gap]:
    """Numbers the counters gave out that no committed case holds (a failed write), per year."""
    missing = []
    for year in sorted({n.split("-")[0] for n in numbers} | _counter_years(storage)):
        highest = storage.increment(f"case-numbers/{year}", 0)
        for number in range(1, highest + 1):
            label = f"{year}-{number:04d}"
            tip = numbers.get(label)
            if tip is None or not has_record(storage, tip):
                missing.append(Gap(label))
    return missing


def _counter_years(storage) -> set[str]:
    return {key.split("/")[1] for key in storage.list("cases/") if key.count("/") == 2}


def find_case(storage, case_number: str) -> str:
    """The tip id of a case number (``2026-0007``, also ``2026-7``); ``CaseError`` if there is none."""
    try:
        year, number = case_number.strip().split("-")
        key = case_index_key(int(year), int(number))
        tip_id = storage.read(key).decode("ascii")
    except (ValueError, NotFound, UnicodeDecodeError):
        raise CaseError(f"Không có hồ sơ số {case_number}.") from None
    if not has_record(storage, tip_id):
        raise CaseError(f"Số {case_number} không có hồ sơ (lần ghi đó đã thất bại).")
    return tip_id


# -- reports of the first format -------------------------------------------------------------------------

def migrate(storage, tip_id: str, legacy_key: PrivateKey, lock: CaseLock, now: datetime | None = None) -> str:
    """Re-wrap a report of the first format for the keyring: a new content key, the attachments
    re-encrypted with it, a case number, and the new commit point. The old objects stay (create-only).
    Returns the new case number; ``CaseError`` if it is already migrated or the key cannot open it."""
    new_key, old_key = record_keys(tip_id)
    if storage.exists(new_key):
        raise CaseError(f"Tin báo {tip_id} đã được chuyển sang hồ sơ mới.")
    old = _open_legacy(storage, tip_id, old_key, legacy_key)
    received = datetime.fromisoformat(old.received)
    attachments = []
    for attachment in old.attachments:
        key = f"tips/{tip_id}/attachments/{secrets.token_hex(8)}{lock.attachment_suffix}"
        storage.create(key, lock.encrypt_attachment(crypto.unseal(legacy_key, storage.read(attachment["key"]))))
        attachments.append({**attachment, "key": key})
    case_number, _index = lock.assign_number(storage, tip_id, received)
    record = {"version": 2, "received": old.received, "fields": old.fields, "attachments": attachments,
              "reporter_key": crypto.b64(old.reporter_key), "case_number": case_number,
              "migrated": (now or utcnow()).isoformat(timespec="seconds")}
    storage.create(new_key, lock.encrypt_record(record))
    return case_number
