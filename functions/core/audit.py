"""The officers' audit log: one create-only, signed, hash-chained list of entries per officer.

Every time an officer unlocks a key, opens a case, views or saves an attachment, writes an event,
exports or grants access, the officer's tool calls ``append``. An entry says who did what to which
case number, and when; never report content, never a child's name (``subject`` is refused unless it is
a short identifier). ``verify`` replays every chain and reports what is wrong, in Vietnamese.

Layout: ``audit/<officer_id>/<seq:010d>.json`` (seq 1, 2, ...; zero-padded so the storage's lexical
order is the chain's order). Each file holds the canonical JSON (``canonical``: sorted keys, no spaces,
UTF-8) of exactly these members:

- ``format`` ``"bvte-audit-v1"``; ``officer``; ``seq``; ``time`` (UTC, ISO 8601 to the second, ``Z``);
- ``action`` (a key of ``ACTIONS``); ``subject`` (a case number or an officer id, may be empty);
- ``prev``: hex SHA-256 of the stored bytes of the officer's entry ``seq - 1`` (``""`` for seq 1);
- ``signature``: base64 Ed25519 signature, by the officer's signing key, of the canonical JSON of all
  the other members. It covers ``officer`` and ``seq``, so an entry cannot be moved to another place
  or another officer's log without being noticed.

What ``verify`` finds, officer by officer, and why each verdict is sound:

- ``missing``: a seq absent between 1 and the newest file (a deleted entry, or a deleted first entry);
- ``altered``: unreadable JSON, a signature none of the officer's keys accepts (a member edited, or an
  entry signed by someone else), members other than the documented ones, or bytes that are not the
  canonical encoding (an edit that kept the meaning still changes the hash the next entry holds);
- ``unsigned``: no signature at all;
- ``reordered``: a genuine, correctly signed entry in the wrong file (the seq or officer inside differs
  from its file name: files swapped or copied), or two genuine neighbours whose link does not hold (the
  later one's ``prev`` is not the hash of the earlier one: only the key's holder can write such a
  fork, e.g. by replacing an entry with another one they signed);
- ``unknown_officer``: files under an officer id for which ``verify_keys`` knows no key: nothing there
  can be checked, so that officer's entries are neither counted nor trusted.

A link is only judged between two entries that each passed their own checks: when an entry was edited,
its hash changed and the next ``prev`` no longer matches, but the fault is the edited entry's (reported
once, as ``altered``), not the next one's.

What the chain cannot detect, plainly: deleting the NEWEST entries of a chain leaves a shorter chain
that is perfectly valid, and deleting every entry of an officer leaves nothing to check. Nor can it
tell a deleted tail that the officer then re-appended over. An office detects those by remembering
what it saw: ``heads(storage)`` gives each officer's newest ``(seq, hash)``; keep it outside the
storage (printed with the monthly report, say) and pass it back as ``verify(..., seen=...)``, which then
reports the entries that vanished (``missing``) and an entry that was rewritten since (``altered``).
Anyone holding an officer's signing key can, of course, write whatever that officer could.

Two racing appends can produce identical bytes (same officer, action, subject, second and predecessor;
Ed25519 signatures are deterministic). The loser normally gets ``AlreadyExists`` and appends after the
winner, but the S3 backend takes a retried write that finds its own bytes for its own success, so in
that rare case the two are stored as one entry: the log then says it happened, not how many times.

``append`` lists the officer's whole prefix to find the newest entry: fine for thousands of entries;
a much longer log would want a listing that starts after a given key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import nacl.exceptions
import nacl.signing

from functions.core.office_keys import canonical  # the one encoding signatures cover: keyring, events, audit
from functions.core.store import AlreadyExists, NotFound

FORMAT = "bvte-audit-v1"
PREFIX = "audit/"
FIELDS = ("format", "officer", "seq", "time", "action", "subject", "prev", "signature")
ACTIONS = {
    "unlock": "Mở khóa",
    "open_case": "Mở hồ sơ",
    "view_attachment": "Xem tệp đính kèm",
    "save_attachment": "Lưu tệp đính kèm",
    "write_event": "Ghi vào hồ sơ",
    "export": "Xuất dữ liệu",
    "grant": "Chia sẻ hồ sơ",
    "print": "In biểu mẫu",
    "open_inbox": "Xem danh sách hồ sơ",
    "open_assessment": "Mở bản tự đánh giá của xã",
    "view_evidence": "Xem tệp minh chứng",
    "write_review": "Ghi kết quả xem xét tự đánh giá",
    "share_evidence": "Chia sẻ tệp minh chứng cho cán bộ mới",
}
# Concurrent appends by one officer (two computers) race for the same seq; each round has one winner.
MAX_APPEND_ATTEMPTS = 32

_OFFICER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")  # also a valid storage key segment
_SUBJECT = re.compile(r"[A-Za-z0-9._-]{0,64}")  # no spaces, no letters with diacritics: no prose
_ENTRY_FILE = re.compile(r"([0-9]{10})\.json")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_HASH = re.compile(r"[0-9a-f]{64}")


class AuditConflict(Exception):
    """Too many concurrent appends by the same officer won the race; the message is in Vietnamese."""


@dataclass
class Problem:
    """One finding of ``verify``."""

    officer: str
    key: str  # storage key concerned (for a missing entry: where it should be)
    kind: str  # "missing" | "altered" | "reordered" | "unsigned" | "unknown_officer"
    message: str  # Vietnamese, for the officer


def entry_key(officer_id: str, seq: int) -> str:
    return f"{PREFIX}{officer_id}/{seq:010d}.json"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_officer(officer_id: str) -> str:
    if not isinstance(officer_id, str) or not _OFFICER.fullmatch(officer_id):
        raise ValueError(f"invalid officer id: {officer_id!r}")
    return officer_id


def _utc_seconds(now: datetime | None) -> str:
    now = datetime.now(timezone.utc) if now is None else now
    if now.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _chain_files(storage, officer_id: str) -> list[tuple[int, str]]:
    """(seq, key) of the officer's entry files, in order; other names under the prefix are left out."""
    prefix = f"{PREFIX}{officer_id}/"
    files = []
    for key in storage.list(prefix):
        match = _ENTRY_FILE.fullmatch(key[len(prefix):])
        if match and int(match.group(1)) >= 1:
            files.append((int(match.group(1)), key))
    return files


def append(storage, officer_id: str, signing_key: nacl.signing.SigningKey, action: str, subject: str = "",
           now: datetime | None = None) -> str:
    """Append one entry for officer_id; returns its storage key. subject is a case number like "2026-0007"
    or an officer id — never report content (at most 64 characters of [A-Za-z0-9._-], else ValueError)."""
    _check_officer(officer_id)
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action: {action!r}")
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
        raise ValueError("audit subject must be an identifier (at most 64 of A-Z a-z 0-9 . _ -)")
    stamp = _utc_seconds(now)
    for attempt in range(1, MAX_APPEND_ATTEMPTS + 1):
        files = _chain_files(storage, officer_id)
        seq, prev = 1, ""
        try:
            if files:
                last_seq, last_key = files[-1]
                seq, prev = last_seq + 1, digest(storage.read(last_key))
            members = {"format": FORMAT, "officer": officer_id, "seq": seq, "time": stamp, "action": action,
                       "subject": subject, "prev": prev}
            signature = signing_key.sign(canonical(members)).signature
            key = entry_key(officer_id, seq)
            storage.create(key, canonical({**members, "signature": base64.b64encode(signature).decode("ascii")}))
            return key
        except (AlreadyExists, NotFound):
            # Another append took this seq (or the newest entry vanished between list and read):
            # look again, after a short random pause so that two racing writers drift apart.
            time.sleep(random.uniform(0, 0.002 * attempt))
    raise AuditConflict(f"Không ghi được nhật ký của {officer_id}: quá nhiều lần ghi cùng lúc, hãy thử lại.")


def _signed_by(entry: dict, keys: list[nacl.signing.VerifyKey]) -> bool:
    signature = entry["signature"]
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, TypeError, ValueError):
        return False
    if base64.b64encode(raw).decode("ascii") != signature:
        return False  # one signature, one spelling: the stored bytes stay canonical
    message = canonical({name: value for name, value in entry.items() if name != "signature"})
    for key in keys:
        try:
            key.verify(message, raw)
            return True
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            continue
    return False


def _well_formed(entry: dict, data: bytes) -> bool:
    if set(entry) != set(FIELDS) or canonical(entry) != data:
        return False
    seq = entry["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return False
    texts = ("format", "officer", "time", "action", "subject", "prev")
    if not all(isinstance(entry[name], str) for name in texts):
        return False
    prev_ok = entry["prev"] == "" if seq == 1 else bool(_HASH.fullmatch(entry["prev"]))
    return (entry["format"] == FORMAT and entry["action"] in ACTIONS and bool(_TIME.fullmatch(entry["time"]))
            and bool(_SUBJECT.fullmatch(entry["subject"])) and prev_ok)


def _decode(data: bytes) -> dict | None:
    try:
        entry = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _check_entry(officer: str, seq: int, key: str, data: bytes,
                 keys: list[nacl.signing.VerifyKey]) -> tuple[dict | None, Problem | None]:
    """The entry in file ``key`` on its own: (the entry if it passed, else the problem)."""
    where = f"Mục số {seq} trong nhật ký của {officer}"
    entry = _decode(data)
    if entry is None:
        return None, Problem(officer, key, "altered", f"{where} không đọc được: tệp đã bị sửa hoặc hỏng.")
    if not entry.get("signature"):
        return None, Problem(officer, key, "unsigned", f"{where} không có chữ ký.")
    if not _signed_by(entry, keys):
        return None, Problem(officer, key, "altered", f"{where} đã bị sửa: chữ ký không khớp với khóa của cán bộ.")
    if not _well_formed(entry, data):
        return None, Problem(officer, key, "altered", f"{where} đã bị sửa: nội dung không đúng khuôn dạng.")
    if entry["officer"] != officer or entry["seq"] != seq:
        return None, Problem(officer, key, "reordered",
                             f"Tệp số {seq} trong nhật ký của {officer} chứa mục số {entry['seq']} của "
                             f"{entry['officer']}: nhật ký đã bị sắp xếp lại.")
    return entry, None


def _missing(officer: str, first: int, last: int, suffix: str = "") -> Problem:
    which = f"mục số {first}" if first == last else f"các mục số {first}–{last}"
    return Problem(officer, entry_key(officer, first), "missing",
                   f"Thiếu {which} trong nhật ký của {officer}{suffix}.")


def _verify_chain(storage, officer: str, files: list[tuple[int, str]],
                  keys: list[nacl.signing.VerifyKey]) -> tuple[int, list[Problem], dict[int, tuple[bytes, bool]]]:
    """One officer's chain: (entries checked, problems, seq -> (stored bytes, passed its own checks))."""
    problems: list[Problem] = []
    stored: dict[int, tuple[bytes, bool]] = {}
    expected = 1
    for seq, key in files:
        if seq > expected:
            problems.append(_missing(officer, expected, seq - 1))
        expected = seq + 1
        data = storage.read(key)
        entry, problem = _check_entry(officer, seq, key, data, keys)
        stored[seq] = (data, problem is None)
        before = stored.get(seq - 1)
        if problem is None and before is not None and before[1] and entry["prev"] != digest(before[0]):
            problem = Problem(officer, key, "reordered",
                              f"Mục số {seq} trong nhật ký của {officer} không nối tiếp mục số {seq - 1}: "
                              "nhật ký đã bị sắp xếp lại hoặc bị thay mục.")
        if problem is not None:
            problems.append(problem)
    return len(files), problems, stored


def _compare_with_seen(officer: str, seen_head: tuple[int, str],
                       stored: dict[int, tuple[bytes, bool]]) -> list[Problem]:
    """What changed since an earlier ``heads``: entries gone from the end, or the old head rewritten."""
    seq, head_hash = seen_head
    top = max(stored, default=0)
    if top < seq:
        return [_missing(officer, top + 1, seq, f" (lần kiểm trước có đến mục số {seq})")]
    data, passed = stored.get(seq, (None, False))
    if data is not None and passed and digest(data) != head_hash:
        return [Problem(officer, entry_key(officer, seq), "altered",
                        f"Mục số {seq} trong nhật ký của {officer} khác với lần kiểm trước: "
                        "nhật ký đã bị xóa bớt rồi ghi lại.")]
    return []


def _officers(storage) -> dict[str, list[tuple[int, str]]]:
    """Officer id -> their entry files; any other key under ``audit/`` is collected under ``""``."""
    grouped: dict[str, list[tuple[int, str]]] = {}
    for key in storage.list(PREFIX):
        parts = key[len(PREFIX):].split("/")
        match = _ENTRY_FILE.fullmatch(parts[-1]) if len(parts) == 2 else None
        if match and int(match.group(1)) >= 1 and _OFFICER.fullmatch(parts[0]):
            grouped.setdefault(parts[0], []).append((int(match.group(1)), key))
        else:
            grouped.setdefault("", []).append((0, key))
    return grouped


def verify(storage, verify_keys: Callable[[str], list[nacl.signing.VerifyKey]],
           seen: Mapping[str, tuple[int, str]] | None = None) -> tuple[int, list[Problem]]:
    """Check every officer's chain; returns (entries checked, problems). verify_keys(officer_id) gives every
    signing key that officer has had (empty list = unknown officer: reported once, entries not checked).
    ``seen``: an earlier ``heads(storage)``, to find entries removed from the end of a chain since then."""
    grouped = _officers(storage)
    strays = grouped.pop("", [])
    problems = [Problem(key.split("/")[1] if key.count("/") > 1 else "", key, "altered",
                        f"Tệp {key} không phải một mục nhật ký: có người đã thêm hoặc đổi tên tệp.")
                for _seq, key in strays]
    checked = 0
    seen = seen or {}
    for officer in sorted(set(grouped) | set(seen)):
        files = grouped.get(officer, [])
        stored: dict[int, tuple[bytes, bool]] = {}
        if files:
            keys = list(verify_keys(officer))
            if not keys:
                problems.append(Problem(officer, f"{PREFIX}{officer}/", "unknown_officer",
                                        f"Nhật ký của {officer} không thuộc cán bộ nào có khóa đã biết: "
                                        "không kiểm được các mục trong đó."))
                continue
            count, found, stored = _verify_chain(storage, officer, files, keys)
            checked += count
            problems.extend(found)
        if officer in seen:
            problems.extend(_compare_with_seen(officer, seen[officer], stored))
    return checked, problems


def heads(storage) -> dict[str, tuple[int, str]]:
    """Each officer's newest entry as (seq, hex SHA-256 of its stored bytes): the office keeps this outside
    the storage and passes it to ``verify(seen=...)`` later, which is how a deleted tail is noticed."""
    result = {}
    for officer, files in _officers(storage).items():
        if officer:
            seq, key = files[-1]
            result[officer] = (seq, digest(storage.read(key)))
    return result


def entries(storage, officer_id: str | None = None) -> list[dict]:
    """Decoded entries, in order (by officer, then seq), for display. They are NOT verified here and
    unreadable files are left out: show ``verify``'s problems beside them, never trust these alone."""
    if officer_id is not None:
        files = _chain_files(storage, _check_officer(officer_id))
    else:
        grouped = _officers(storage)
        files = [item for officer in sorted(grouped) if officer for item in grouped[officer]]
    decoded = (_decode(storage.read(key)) for _seq, key in files)
    return [entry for entry in decoded if entry is not None]
