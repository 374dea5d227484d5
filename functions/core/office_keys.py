"""The office's keys: the root (recovery) key, each officer's key, and the keyring the root signs.

Every holder — the root and each officer — has one 32-byte secret seed. From it come an Ed25519
signing key (``nacl.signing``: events, audit entries, keyring versions) and the X25519 key derived
from it (``to_curve25519_private_key``) that opens content keys sealed to that holder. The public
half is therefore one Ed25519 verify key; its X25519 twin is derived the same way.

- The **root** seed lives offline: ``paper_backup`` writes it as 8 lines a person can type back in
  (``seed_from_paper``); each line carries its own check symbol, so a typo is found line by line.
  The functions know only the root's public key.
- The **keyring** lists the officers, their public keys and the communes each handles. Each version
  is a create-only object ``keyring/<version>.json`` signed by the root; readers use the newest
  version whose signature verifies and ignore any other.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import nacl.exceptions
import nacl.utils
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from . import crypto, receipts
from .store import AlreadyExists, NotFound

SEED_BYTES = 32
ALL_COMMUNES = "*"
UNKNOWN_COMMUNE = "khong-ro"
KEYRING_PREFIX = "keyring/"
KEYRING_FORMAT = "bvte-keyring-v1"
IDENTITY_FORMAT = "bvte-identity-v1"
_OFFICER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# Paper backup: 8 lines × (7 symbols + 1 check symbol) of the receipts' 30-symbol alphabet = 56 symbols,
# enough for the 32-byte seed and a 2-byte digest that confirms the whole (56 × log2 30 ≈ 274 bits ≥ 272).
PAPER_LINES, PAPER_SYMBOLS = 8, 7


class OfficeKeyError(ValueError):
    """A key, a paper backup or a keyring that cannot be used; the message is Vietnamese."""


def canonical(document: dict) -> bytes:
    """The bytes a signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# -- one holder's keys ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """A holder's private keys, derived from one seed; lives only in memory once unlocked."""

    seed: bytes

    @classmethod
    def generate(cls) -> "Identity":
        return cls(nacl.utils.random(SEED_BYTES))

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.seed)

    @property
    def box_key(self) -> PrivateKey:
        return self.signing_key.to_curve25519_private_key()

    @property
    def verify_key(self) -> VerifyKey:
        return self.signing_key.verify_key

    def sign(self, document: dict) -> str:
        return crypto.b64(self.signing_key.sign(canonical(document)).signature)


def box_public_key(verify_key: VerifyKey) -> PublicKey:
    """The X25519 public key content keys are sealed to, derived from the Ed25519 one."""
    return verify_key.to_curve25519_public_key()


def verify_key_text(key: VerifyKey) -> str:
    return crypto.b64(bytes(key))


def verify_key_from_text(text: str) -> VerifyKey:
    """A public key as written in a file or ``BVTE_OFFICE_PUBLIC_KEY`` (base64 of 32 bytes)."""
    try:
        raw = crypto.unb64(text.strip())
        if len(raw) != SEED_BYTES:
            raise ValueError
        key = VerifyKey(raw)
        key.to_curve25519_public_key()  # refuses points that are not valid Ed25519 keys
        return key
    except (ValueError, UnicodeEncodeError, nacl.exceptions.CryptoError, TypeError):
        raise OfficeKeyError("Khóa công khai của văn phòng không hợp lệ (cần 32 byte viết dạng base64).") from None


def signature_valid(key: VerifyKey, document: dict, signature: str) -> bool:
    try:
        key.verify(canonical(document), crypto.unb64(signature))
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


def protect(identity: Identity, passphrase: str, level: str = "moderate") -> bytes:
    """The private key file of an identity: its seed under the passphrase (Argon2id)."""
    return crypto.protect_secret(identity.seed, passphrase, level, IDENTITY_FORMAT,
                                 public=verify_key_text(identity.verify_key))


def unlock(data: bytes, passphrase: str) -> Identity:
    """``crypto.CryptoError`` for a wrong passphrase or a file that is not an identity."""
    return Identity(crypto.unlock_secret(data, passphrase, IDENTITY_FORMAT))


# -- the root's paper backup ------------------------------------------------------------------------

def paper_backup(seed: bytes) -> list[str]:
    """The seed as 8 lines ``XXXX-XXXX`` (7 symbols + a check symbol each) to print or copy by hand."""
    number = int.from_bytes(seed + hashlib.blake2b(seed, digest_size=2).digest(), "big")
    symbols = []
    for _ in range(PAPER_LINES * PAPER_SYMBOLS):
        number, rem = divmod(number, receipts.BASE)
        symbols.append(receipts.ALPHABET[rem])
    lines = []
    for i in range(PAPER_LINES):
        body = "".join(symbols[i * PAPER_SYMBOLS:(i + 1) * PAPER_SYMBOLS])
        full = body + receipts.check_symbol(body)
        lines.append(full[:4] + "-" + full[4:])
    return lines


def seed_from_paper(text: str) -> bytes:
    """The seed back from what a person typed (any spacing, dashes, lower case); ``OfficeKeyError`` naming
    the line with a typo, or saying the whole does not match."""
    raw = re.sub(r"[^0-9A-Za-z]", "", text).upper().replace("U", "V")
    width = PAPER_SYMBOLS + 1
    if len(raw) != PAPER_LINES * width:
        raise OfficeKeyError(f"Bản sao lưu gồm {PAPER_LINES} dòng, mỗi dòng {width} ký tự "
                        f"(đã nhập {len(raw)} ký tự).")
    symbols = []
    for i in range(PAPER_LINES):
        line = raw[i * width:(i + 1) * width]
        if any(c not in receipts.ALPHABET for c in line) or receipts.check_symbol(line[:-1]) != line[-1]:
            raise OfficeKeyError(f"Dòng {i + 1} có ký tự gõ nhầm: hãy kiểm tra lại dòng này.")
        symbols.extend(line[:-1])
    number = 0
    for char in reversed(symbols):
        number = number * receipts.BASE + receipts.ALPHABET.index(char)
    if number >> ((SEED_BYTES + 2) * 8):
        raise OfficeKeyError("Các dòng đúng từng dòng nhưng không khớp với nhau: có thể thiếu hoặc đảo dòng.")
    data = number.to_bytes(SEED_BYTES + 2, "big")
    seed, digest = data[:SEED_BYTES], data[SEED_BYTES:]
    if hashlib.blake2b(seed, digest_size=2).digest() != digest:
        raise OfficeKeyError("Các dòng đúng từng dòng nhưng không khớp với nhau: có thể thiếu hoặc đảo dòng.")
    return seed


# -- the keyring ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    communes: tuple[str, ...]  # commune ids, or ("*",) for every commune
    verify_key: VerifyKey
    email: str = ""

    def covers(self, commune_id: str) -> bool:
        """True when this officer handles ``commune_id``; a report of unknown place goes to everyone."""
        return ALL_COMMUNES in self.communes or commune_id == UNKNOWN_COMMUNE or commune_id in self.communes

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "communes": list(self.communes),
                "verify_key": verify_key_text(self.verify_key), "email": self.email}

    @classmethod
    def from_dict(cls, data: dict) -> "Officer":
        return cls(str(data["id"]), str(data["name"]), tuple(str(c) for c in data["communes"]),
                   verify_key_from_text(data["verify_key"]), str(data.get("email", "")))


RESERVED_IDS = {"root"}  # the root signs as "root" (events, audit): no officer may take that name


def check_officer_id(officer_id: str) -> str:
    if officer_id in RESERVED_IDS:
        raise OfficeKeyError(f"Mã “{officer_id}” dành cho khóa gốc của văn phòng: hãy chọn mã khác.")
    if not _OFFICER_ID.fullmatch(officer_id or ""):
        raise OfficeKeyError("Mã cán bộ chỉ gồm chữ thường không dấu, số và dấu gạch ngang (2–40 ký tự), "
                        "ví dụ: can-bo-lan.")
    return officer_id


@dataclass(frozen=True)
class Keyring:
    version: int
    created: str  # UTC ISO time: the keyring is in force from then until the next version
    officers: tuple[Officer, ...] = field(default_factory=tuple)

    def officer(self, officer_id: str) -> Officer | None:
        return next((o for o in self.officers if o.id == officer_id), None)

    def recipients(self, commune_id: str) -> list[Officer]:
        """Every officer whose content-key copy a report of ``commune_id`` gets."""
        return [o for o in self.officers if o.covers(commune_id)]

    def body(self) -> dict:
        return {"format": KEYRING_FORMAT, "version": self.version, "created": self.created,
                "officers": [o.as_dict() for o in self.officers]}

    def with_officer(self, officer: Officer, now: datetime | None = None) -> "Keyring":
        others = tuple(o for o in self.officers if o.id != officer.id)
        return Keyring(self.version + 1, _stamp(now), others + (officer,))

    def without_officer(self, officer_id: str, now: datetime | None = None) -> "Keyring":
        if self.officer(officer_id) is None:
            raise OfficeKeyError(f"Không có cán bộ “{officer_id}” trong danh sách.")
        return Keyring(self.version + 1, _stamp(now), tuple(o for o in self.officers if o.id != officer_id))


EMPTY_KEYRING = Keyring(0, "1970-01-01T00:00:00+00:00")


def _stamp(now: datetime | None) -> str:
    return (now or utcnow()).isoformat(timespec="seconds")


def keyring_key(version: int) -> str:
    return f"{KEYRING_PREFIX}{version:08d}.json"


def publish_keyring(storage, keyring: Keyring, root: Identity) -> str:
    """Sign ``keyring`` with the root and store it create-only; ``OfficeKeyError`` if that version exists."""
    body = keyring.body()
    document = json.dumps({"keyring": body, "signature": root.sign(body)}, ensure_ascii=False, indent=1)
    try:
        storage.create(keyring_key(keyring.version), document.encode("utf-8"))
    except AlreadyExists:
        raise OfficeKeyError(f"Phiên bản {keyring.version} của danh sách cán bộ đã có (ai đó vừa sửa cùng lúc): "
                        "hãy chạy lại lệnh.") from None
    return keyring_key(keyring.version)


def _parse_keyring(data: bytes, root: VerifyKey, version: int) -> Keyring:
    document = json.loads(data.decode("utf-8"))
    body = document["keyring"]
    if not signature_valid(root, body, document["signature"]):
        raise OfficeKeyError("chữ ký không khớp với khóa gốc")
    if body.get("format") != KEYRING_FORMAT or body.get("version") != version:
        raise OfficeKeyError("số phiên bản không khớp với tên tệp")
    return Keyring(version, str(body["created"]), tuple(Officer.from_dict(o) for o in body["officers"]))


def _stored_versions(storage) -> list[tuple[int, str]]:
    """(version, key) of every object that looks like a keyring version, oldest first."""
    found = []
    for key in storage.list(KEYRING_PREFIX):
        match = re.fullmatch(r"keyring/(\d{8})\.json", key)
        if match:
            found.append((int(match.group(1)), key))
    return found


def _verified(storage, root: VerifyKey, version: int, key: str) -> Keyring | None:
    try:
        return _parse_keyring(storage.read(key), root, version)
    except (OfficeKeyError, NotFound, ValueError, KeyError, TypeError, AttributeError):
        return None


def keyring_versions(storage, root: VerifyKey, on_invalid=None) -> list[Keyring]:
    """Every keyring version that verifies against ``root``, oldest first. ``on_invalid(version)`` is
    called for each that does not (to log it — without its content)."""
    found = []
    for version, key in _stored_versions(storage):
        keyring = _verified(storage, root, version, key)
        if keyring is not None:
            found.append(keyring)
        elif on_invalid is not None:
            on_invalid(version)
    return found


def current_keyring(storage, root: VerifyKey, on_invalid=None) -> Keyring:
    """The newest keyring version that verifies (``EMPTY_KEYRING`` before the first): read newest first,
    so intake pays one read and one signature check, whatever the history."""
    for version, key in reversed(_stored_versions(storage)):
        keyring = _verified(storage, root, version, key)
        if keyring is not None:
            return keyring
        if on_invalid is not None:
            on_invalid(version)
    return EMPTY_KEYRING


def next_base(storage, current: Keyring) -> Keyring:
    """``current`` renumbered after the highest version present, valid or not: versions are create-only,
    so one that does not verify (junk, another root's) must not block every later change."""
    taken = [version for version, _key in _stored_versions(storage)]
    return Keyring(max([current.version, *taken]), current.created, current.officers)


def keyring_at(versions: list[Keyring], when: str) -> Keyring:
    """The version in force at ``when`` (UTC ISO): the newest created at or before it."""
    chosen = EMPTY_KEYRING
    for keyring in versions:
        if _utc(keyring.created) <= _utc(when):
            chosen = keyring
    return chosen


def _utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime.max.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
