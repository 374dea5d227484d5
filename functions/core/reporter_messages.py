"""Messages from the receipt holder to the office: sealed on arrival like the report, stored exactly once.

Storage layout (create-only, like the rest of a case):

- ``tips/<tip id>/messages/<name>/<random>.box`` — an attachment of the message (cleaned like a report's:
  checked by content, metadata stripped), encrypted with the message's random key K; written first;
- ``tips/<tip id>/messages/<name>.json`` — THE COMMIT POINT: ``{"format", "time", "keys", "office",
  "reporter"}``. ``keys``: K sealed to each holder's X25519 public key (the root, every officer who can open
  the case: the holders named in the report's envelope and granted colleagues, resolved through the
  keyring in force now; a report of the first format: the single office key). ``office``: K's box of
  ``{text, time, attachments}``; ``reporter``: the reporter key's box of ``{text, time, from, fingerprint}``
  so the conversation shows both sides to whoever holds the receipt. ``time`` is also in clear: when the
  object arrived (storage knows that anyway), so unread counts need no decryption.

- ``tips/<tip id>/messages/<name>.<officer id>-<random>.grant`` — a handover (``seal_to_colleague``): K
  sealed to a colleague granted the case after the message arrived, written by the granting holder, who
  opened K with its own key; ``{"message", "officer", "by", "sealed_key"}``. Messages arriving after a
  grant are sealed to the colleague in ``keys`` already (grants are among the holders).

``<name>`` is a keyed hash of (receipt, message_id): the same message sent again finds its commit point
and answers the same (``Sent.existing``); the same id with other content is ``MessageConflict``. An
unknown receipt does the same reads and the same encryption on nothing and stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

import nacl.utils
from nacl.public import PrivateKey, PublicKey

from . import cases, crypto, receipts
from .images import CleanFile
from .office_keys import Identity, Keyring, box_public_key, utcnow
from .store import AlreadyExists, NotFound, OutcomeUnknown

FORMAT = "bvte-reporter-message-v1"
OFFICE_KEY = "office"  # the holder label of the single office key (reports of the first format)
MESSAGE_MAX = 2000  # characters of one message
FROM_REPORTER = "reporter"
FROM_OFFICE = "office"
WHO = {FROM_REPORTER: "Bạn", FROM_OFFICE: "Văn phòng"}  # never an officer's name
CLOSED_MESSAGE = ("Hồ sơ đã đóng nên không nhận thêm tin nhắn; nếu có điều mới cần báo, hãy gửi tin báo mới "
                  "hoặc gọi 111.")
_NOWHERE = "0" * 32  # the tip id an unknown receipt's work is done on
_DUMMY_KEY = PrivateKey.generate().public_key


class MessageConflict(Exception):
    """This ``message_id`` already carries another message of this receipt: nothing was stored."""


class CaseClosed(Exception):
    """The case's public status is "closed": no new message is taken."""


@dataclass
class Sealing:
    """Who the office copies are sealed to: the office root and keyring in force, or (before the keyring)
    the single office key; any of them may be missing on a deployment that does not have it."""

    root: object | None = None  # nacl VerifyKey of the root
    keyring: Keyring | None = None
    single_key: PublicKey | None = None


@dataclass
class Sent:
    found: bool  # False: the receipt names no report (nothing stored)
    existing: bool = False  # a retry of a message already stored
    tip_id: str = ""
    time: str = ""
    officers: list[str] = field(default_factory=list)  # who can read it (for the content-free notice)
    name: str = ""  # its storage name (a keyed hash): the notice's queue entry is named by it


def message_name(secret: bytes, receipt: str, message_id: str) -> str:
    """The storage name of one message: keyed, so neither the receipt nor the id can be read from it."""
    return hmac.new(secret, f"reporter-message|{receipt}|{message_id}".encode("utf-8", "replace"),
                    hashlib.sha256).hexdigest()[:40]


def fingerprint(secret: bytes, text: str, files: list[CleanFile]) -> str:
    """A keyed hash of what was sent: tells a retry from another message under the same id."""
    digest = hmac.new(secret, b"reporter-message-content|" + text.encode("utf-8", "replace"), hashlib.sha256)
    for item in files:
        digest.update(hashlib.sha256(item.data).digest())
    return digest.hexdigest()[:32]


def _commit_key(tip_id: str, name: str) -> str:
    return f"tips/{tip_id}/messages/{name}.json"


# -- whom the office copy is sealed to ------------------------------------------------------------------

def _granted(storage, tip_id: str) -> set[str]:
    officers = set()
    for key in storage.list(f"tips/{tip_id}/grants/"):
        try:
            officers.add(str(json.loads(storage.read(key))["officer"]))
        except (NotFound, ValueError, KeyError, TypeError):
            continue
    return officers


def holders(storage, tip_id: str, sealing: Sealing) -> dict[str, PublicKey]:
    """Holder label → X25519 public key of everyone who can open this case now (see the module docstring).
    An officer no longer in the keyring gets nothing; an empty map means the office cannot be reached."""
    new_key, _old_key = cases.record_keys(tip_id)
    try:
        envelope = json.loads(storage.read(new_key))
    except NotFound:
        envelope = None
    granted = _granted(storage, tip_id)
    if envelope is None:
        return {OFFICE_KEY: sealing.single_key} if sealing.single_key is not None else {}
    found: dict[str, PublicKey] = {}
    if sealing.root is not None:
        found[cases.ROOT] = box_public_key(sealing.root)
    labelled = {label.split("/", 1)[1] for label in envelope.get("keys", {}) if label.startswith("officer/")}
    for officer_id in sorted(labelled | granted):
        officer = sealing.keyring.officer(officer_id) if sealing.keyring is not None else None
        if officer is not None:
            found[f"officer/{officer_id}"] = box_public_key(officer.verify_key)
    return found


# -- the receipt holder's side (intake) ------------------------------------------------------------------

@dataclass
class Found:
    """What a receipt opens, read with the same work whether it names a report or not."""

    tip_id: str
    reporter_key: bytes
    known: bool
    closed: bool = False
    events: list[dict] = field(default_factory=list)


def find(storage, secret: bytes, receipt: str) -> Found:
    """The report a receipt names (via its index entry), its public events and whether it is closed."""
    from . import tips  # tips imports this module for the conversation

    key = receipts.reporter_key(secret, receipt)
    try:
        entry = json.loads(crypto.box_decrypt(key, storage.read(tips.index_storage_key(secret, receipt))))
        tip_id = str(entry["tip"])
    except (NotFound, crypto.CryptoError, ValueError, KeyError, TypeError):
        tip_id = ""
    known = bool(tip_id) and cases.has_record(storage, tip_id)
    if not tip_id:
        cases.has_record(storage, _NOWHERE)  # the same reads as a known receipt, on nothing
    events = tips._events(storage, tip_id if known else _NOWHERE, key)
    return Found(tip_id if known else "", key, known, tips.current_state(events) == "closed", events)


def existing_message(storage, found: Found, name: str, content: str) -> dict | None:
    """The stored message of this name, when this is a retry of it (``MessageConflict`` when its content
    differs); None when there is none yet. An unknown receipt asks the same on nothing."""
    try:
        document = json.loads(storage.read(_commit_key(found.tip_id or _NOWHERE, name)))
        mine = json.loads(crypto.box_decrypt(found.reporter_key, crypto.unb64(document["reporter"])))
    except NotFound:
        return None
    except (crypto.CryptoError, ValueError, KeyError, TypeError):
        raise MessageConflict(name) from None
    if not hmac.compare_digest(str(mine.get("fingerprint", "")), content):
        raise MessageConflict(name)
    return mine


def _seal_document(found: Found, recipients: dict[str, PublicKey], message_key: bytes, text: str, now: str,
                   attachments: list[dict], content: str) -> bytes:
    office = {"text": text, "time": now, "attachments": attachments}
    mine = {"text": text, "time": now, "from": FROM_REPORTER, "fingerprint": content}
    document = {
        "format": FORMAT, "time": now,
        "keys": {label: crypto.b64(crypto.seal(public, message_key)) for label, public in recipients.items()},
        "office": crypto.b64(crypto.box_encrypt(message_key, json.dumps(office, ensure_ascii=False).encode())),
        "reporter": crypto.b64(crypto.box_encrypt(found.reporter_key, json.dumps(mine, ensure_ascii=False).encode())),
    }
    return json.dumps(document).encode("utf-8")


def send(storage, secret: bytes, sealing: Sealing, receipt: str, message_id: str, text: str,
         files: list[CleanFile], now: datetime | None = None) -> Sent:
    """Store one message of the receipt holder exactly once, sealed for the office and readable with the
    receipt; returns only once it is durable. An unknown receipt: the same reads and encryption, nothing
    written, ``Sent(found=False)``. Raises ``CaseClosed``, ``MessageConflict`` or the storage's errors."""
    # To the microsecond: two messages of one second keep their order (entries stored to the second still
    # read as that second, ".000000", so old and new compare correctly).
    stamp = (now or utcnow()).isoformat(timespec="microseconds")
    found = find(storage, secret, receipt)
    name = message_name(secret, receipt, message_id)
    content = fingerprint(secret, text, files)
    stored = existing_message(storage, found, name, content)
    if stored is not None:
        return Sent(True, True, found.tip_id, str(stored.get("time", "")))
    recipients = holders(storage, found.tip_id or _NOWHERE, sealing)
    if found.known and found.closed:
        raise CaseClosed(found.tip_id)
    message_key = nacl.utils.random(32)
    encrypted = [crypto.box_encrypt(message_key, item.data) for item in files]
    if not found.known:
        # The same encryption as below, on nothing, and no write (the answer's floor covers the writes).
        _seal_document(found, recipients or {OFFICE_KEY: _DUMMY_KEY}, message_key, text, stamp, [], content)
        return Sent(False)
    if not recipients:
        raise cases.CaseError("no holder to seal a reporter message to")
    created: list[str] = []
    try:
        attachments = _write_attachments(storage, found.tip_id, name, files, encrypted, created)
        document = _seal_document(found, recipients, message_key, text, stamp, attachments, content)
        storage.create(_commit_key(found.tip_id, name), document)
    except AlreadyExists:
        _delete(storage, created)  # a concurrent send of the same message committed first
        return _sent_again(storage, found, name, content)
    except OutcomeUnknown:
        raise  # the commit point may exist: what it names must stay
    except BaseException:
        _delete(storage, created)
        raise
    officers = [label.split("/", 1)[1] for label in recipients if label.startswith("officer/")]
    return Sent(True, False, found.tip_id, stamp, officers, name)


def _sent_again(storage, found: Found, name: str, content: str) -> Sent:
    stored = existing_message(storage, found, name, content)
    return Sent(True, True, found.tip_id, str((stored or {}).get("time", "")))


def _write_attachments(storage, tip_id: str, name: str, files: list[CleanFile], encrypted: list[bytes],
                       created: list[str]) -> list[dict]:
    """Each encrypted attachment under a random name (a concurrent send of the same message writes its own,
    and the loser deletes its); their list entries for the office copy."""
    attachments = []
    for number, (item, data) in enumerate(zip(files, encrypted), start=1):
        key = f"tips/{tip_id}/messages/{name}/{secrets.token_hex(8)}.box"
        storage.create(key, data)
        created.append(key)
        attachments.append({"key": key, "name": f"tin-nhan-tep-{number}.{item.extension}",
                            "content_type": item.content_type, "size": len(item.data)})
    return attachments


def _delete(storage, keys: list[str]) -> None:
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - best effort: an attachment no commit point names never counts
            pass


def message_keys(storage, tip_id: str, listing: list[str] | None = None) -> list[str]:
    """The commit points of a tip's reporter messages (attachments are one level deeper)."""
    listing = storage.list(f"tips/{tip_id}/messages/") if listing is None else listing
    return [key for key in listing if key.endswith(".json") and key.count("/") == 3]


def _documents(storage, tip_id: str, listing: list[str] | None = None) -> list[tuple[str, dict]]:
    found = []
    for key in message_keys(storage, tip_id, listing):
        try:
            found.append((key, json.loads(storage.read(key))))
        except (NotFound, ValueError):
            continue
    return found


def conversation(storage, tip_id: str, reporter_key: bytes, events: list[dict]) -> list[dict]:
    """What the receipt holder reads, oldest first: the office's messages (withdrawn ones left out) and the
    holder's own, each ``{"time", "text", "from", "who"}``. Nothing else of the case is in it."""
    withdrawn = {e["withdraw"] for e in events if e.get("withdraw")}
    items = [{"time": e.get("time"), "text": e["message"], "from": FROM_OFFICE, "who": WHO[FROM_OFFICE]}
             for e in events if e.get("message") and e.get("message_id") not in withdrawn]
    for _key, document in _documents(storage, tip_id):
        try:
            mine = json.loads(crypto.box_decrypt(reporter_key, crypto.unb64(document["reporter"])))
        except (crypto.CryptoError, ValueError, KeyError, TypeError):
            continue
        items.append({"time": mine.get("time"), "text": str(mine.get("text", "")), "from": FROM_REPORTER,
                      "who": WHO[FROM_REPORTER]})
    items.sort(key=lambda item: moment_of(item.get("time")))  # stable: office entries keep their stored order
    for item in items:
        item["time_label"] = time_label(item.get("time"))
    return items


_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def moment_of(value) -> datetime:
    """An ISO time (to the second or finer, UTC when it names no zone) as a comparable moment; the earliest
    possible one when it is not a time."""
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return _EARLIEST
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def time_label(value) -> str:
    """An ISO time as read in Việt Nam ("14:05 thứ Hai 30/11/2026"); "" when it is not one."""
    from .clocks import vietnam_time_label

    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return vietnam_time_label(moment)


# -- the office's side (the officer's computer) ------------------------------------------------------------

@dataclass
class ReporterMessage:
    key: str
    time: str
    text: str  # "" when this key cannot open it (``readable`` False)
    attachments: list[dict]
    readable: bool
    message_key: bytes | None = None
    holders: set[str] = field(default_factory=set)  # labels K is sealed to (in the message or by a grant)

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[1].removesuffix(".json")


GRANT_SUFFIX = ".grant"


def _grant_storage_key(tip_id: str, name: str, officer_id: str) -> str:
    return f"tips/{tip_id}/messages/{name}.{officer_id}-{secrets.token_hex(4)}{GRANT_SUFFIX}"


def _grant_names(listing: list[str]) -> list[tuple[str, str, str]]:
    """``(storage key, message name, officer id)`` of each handover object in a tip's message listing."""
    found = []
    for key in listing:
        base = key.rsplit("/", 1)[1]
        if key.count("/") != 3 or not base.endswith(GRANT_SUFFIX) or "." not in base.removesuffix(GRANT_SUFFIX):
            continue
        name, rest = base.removesuffix(GRANT_SUFFIX).split(".", 1)
        found.append((key, name, rest.rsplit("-", 1)[0]))
    return found


def _granted_keys(storage, listing: list[str], officer_id: str | None) -> dict[str, list[str]]:
    """Message name → K sealed to ``officer_id`` by handovers (base64; only this officer's are read)."""
    found: dict[str, list[str]] = {}
    for key, name, officer in _grant_names(listing):
        if officer_id is None or officer != officer_id:
            continue
        try:
            found.setdefault(name, []).append(str(json.loads(storage.read(key))["sealed_key"]))
        except (NotFound, ValueError, KeyError, TypeError):
            continue
    return found


def message_times(storage, tip_id: str) -> list[str]:
    """When each reporter message of a tip arrived (read in clear, no key needed: for unread counts)."""
    return sorted((str(document.get("time", "")) for _key, document in _documents(storage, tip_id)), key=moment_of)


def read_messages(storage, case: cases.Case, identity: Identity | None, officer_id: str | None,
                  legacy_key: PrivateKey | None = None) -> list[ReporterMessage]:
    """The reporter's messages of a case, oldest first, decrypted with this holder's key (the root when
    ``officer_id`` is None; ``legacy_key`` for a report of the first format); one it cannot open is listed
    as unreadable."""
    label = cases.ROOT if officer_id is None else f"officer/{officer_id}"
    keys = []
    if identity is not None:
        keys.append((label, identity.box_key))
    if legacy_key is not None:
        keys.append((OFFICE_KEY, legacy_key))
    listing = list(storage.list(f"tips/{case.tip_id}/messages/"))
    granted = _granted_keys(storage, listing, officer_id) if identity is not None else {}
    handed = {}
    for _key, name, officer in _grant_names(listing):
        handed.setdefault(name, set()).add(f"officer/{officer}")
    found = []
    for key, document in _documents(storage, case.tip_id, listing):
        name = key.rsplit("/", 1)[1].removesuffix(".json")
        sealed = [(private, document.get("keys", {}).get(held)) for held, private in keys]
        sealed += [(identity.box_key, extra) for extra in granted.get(name, [])]
        message = _open_one(key, document, [(private, box) for private, box in sealed if box])
        message.holders = set(document.get("keys", {})) | handed.get(name, set())
        found.append(message)
    found.sort(key=lambda m: (moment_of(m.time), m.key))
    return found


def _open_one(key: str, document: dict, sealed: list[tuple[PrivateKey, str]]) -> ReporterMessage:
    """The message opened with the first ``(private key, K sealed to it)`` that works; else unreadable."""
    time = str(document.get("time", ""))
    for private, box in sealed:
        try:
            message_key = crypto.unseal(private, crypto.unb64(box))
            body = json.loads(crypto.box_decrypt(message_key, crypto.unb64(document["office"])))
        except (crypto.CryptoError, ValueError, KeyError, TypeError):
            continue
        return ReporterMessage(key, time, str(body.get("text", "")), list(body.get("attachments", [])), True,
                               message_key)
    return ReporterMessage(key, time, "", [], False)


def seal_to_colleague(storage, case: cases.Case, author: str, identity: Identity, colleague) -> int:
    """Handover of the messages already there: each one ``author`` can open and ``colleague`` cannot yet
    gets K sealed to the colleague beside it (create-only); returns how many were handed over."""
    label = f"officer/{colleague.id}"
    public = box_public_key(colleague.verify_key)
    handed = 0
    for message in read_messages(storage, case, identity, None if author == cases.ROOT else author):
        if not message.readable or label in message.holders:
            continue
        grant = {"message": message.name, "officer": colleague.id, "by": author,
                 "sealed_key": crypto.b64(crypto.seal(public, message.message_key))}
        storage.create(_grant_storage_key(case.tip_id, message.name, colleague.id), json.dumps(grant).encode())
        handed += 1
    return handed


def read_attachment(storage, message: ReporterMessage, attachment: dict) -> bytes:
    """One attachment of a message this holder opened, decrypted."""
    if message.message_key is None:
        raise cases.CaseError("Khóa của bạn không mở được tin nhắn này.")
    return crypto.box_decrypt(message.message_key, storage.read(attachment["key"]))


# -- read markers ------------------------------------------------------------------------------------------

READ_KIND = "messages_read"


def last_read(events: list[cases.Event], author: str) -> str:
    """The newest message time ``author`` has marked read (its signed ``messages_read`` events); "" if none."""
    marks = [str(e.payload.get("until", "")) for e in events
             if e.verified and e.kind == READ_KIND and e.author == author]
    return max(marks, key=moment_of, default="")


def unread(times: list[str], events: list[cases.Event], author: str) -> int:
    """How many reporter messages arrived after ``author``'s last read marker."""
    until = moment_of(last_read(events, author))
    return sum(1 for time in times if moment_of(time) > until)


def mark_read(storage, case: cases.Case, author: str, identity: Identity, times: list[str],
              seen: list[cases.Event], now: datetime | None = None) -> cases.Event | None:
    """Sign a ``messages_read`` event up to the newest of ``times`` when that is past the author's last
    marker (nothing written otherwise); the event, or None."""
    newest = max(times, key=moment_of, default="")
    if not newest or moment_of(newest) <= moment_of(last_read(seen, author)):
        return None
    return cases.write_event(storage, case, author, identity, READ_KIND, {"until": newest}, seen, now)
