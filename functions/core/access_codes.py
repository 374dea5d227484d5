"""Per-commune access codes for the self-assessment: issued by the office, checked on submission.

A code is 16 characters from a 32-letter alphabet without look-alikes (80 bits), shown as
``ABCD-EFGH-JKMN-PQRS``; it is printed once and only its keyed hash (HMAC-SHA-256 with the server
secret) is stored. Records are create-only versions ``access-codes/<commune>/v<NNNNNN>.json``:
issuing again writes a new version and the latest one is the only one that counts, so the old code
is revoked without anything being overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets

from .store import AlreadyExists, NotFound

# Crockford's base32: no I, L, O, U; typed look-alikes are folded back when checking.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
PREFIX = "access-codes"
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_VERSION = re.compile(r"^v(\d{6})\.json$")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, LENGTH, 4))


def canonical(code: str) -> str:
    """What was typed, upper case, without spaces or dashes, look-alikes folded."""
    return re.sub(r"[\s\-_.]", "", code or "").upper().translate(_FOLD)


def code_hash(secret: bytes, commune_id: str, code: str) -> str:
    message = f"access-code|{commune_id}|{canonical(code)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _versions(storage, commune_id: str) -> list[tuple[int, str]]:
    found = []
    for key in storage.list(f"{PREFIX}/{commune_id}/"):
        m = _VERSION.match(key.rsplit("/", 1)[-1])
        if m:
            found.append((int(m.group(1)), key))
    return sorted(found)


def issue(storage, secret: bytes, commune_id: str, *, now: dt.datetime | None = None) -> tuple[str, int]:
    """A new code for the commune (returned once, never stored) and its version number."""
    code = new_code()
    now = now or dt.datetime.now(dt.timezone.utc)
    while True:
        versions = _versions(storage, commune_id)
        version = (versions[-1][0] if versions else 0) + 1
        record = {"commune": commune_id, "version": version, "hash": code_hash(secret, commune_id, code),
                  "issued_at": now.isoformat(timespec="seconds")}
        try:
            storage.create(f"{PREFIX}/{commune_id}/v{version:06d}.json",
                           json.dumps(record, sort_keys=True).encode())
        except AlreadyExists:
            continue  # another issue raced us: take the next version
        return code, version


def current(storage, commune_id: str) -> dict | None:
    versions = _versions(storage, commune_id)
    if not versions:
        return None
    try:
        return json.loads(storage.read(versions[-1][1]))
    except NotFound:
        return None


def verify(storage, secret: bytes, commune_id: str, code: str) -> bool:
    """True only for the latest code of that commune; constant-time comparison of hashes."""
    record = current(storage, commune_id)
    # Without a record the same work is done against a dummy, so timing says nothing either way.
    expected = record["hash"] if record else "0" * 64
    ok = hmac.compare_digest(code_hash(secret, commune_id, code), expected)
    return ok and record is not None and bool(canonical(code))
