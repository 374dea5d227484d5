"""Evidence files of self-assessments encrypted at rest to the office's reviewers.

Why: a commune's dossier may hold children's personal data (lists of children in special circumstances,
case summaries). The storage must hold none of it readable; only a reviewer's unlocked key opens it.

Design (libsodium through PyNaCl; every primitive also exists in libsodium-wrappers, so a browser can
produce the same format before a direct upload):

- **Content key**: each sealing of a file gets a fresh random 32-byte key.
- **Chunks**: the file is encrypted as a ``crypto_secretstream_xchacha20poly1305`` stream cut in
  ``CHUNK_BYTES`` (1 MiB) messages, one storage object per message
  (``assessments/evidence/<sha256>/<commune>-<seal id>/part-<NNNNNN>``). The stream authenticates the
  order of its messages and its end (the last one carries ``TAG_FINAL``): a part reordered, swapped
  with another file's or cut off is found when it is read. Neither side ever holds more than a chunk
  of work beyond the file itself.
- **Recipients**: the content key is sealed (``crypto_box_seal``) to the root and to every officer of
  the keyring in force whose communes cover the commune — as reports are (``cases.CaseLock``). An
  office without a root yet seals to its single office key (holder ``office``).
- **Manifest** ``assessments/evidence/<sha256>/sealed-<commune>.json``, written last (create-only,
  the file is complete when it exists): format, keyring version, the sealed keys, the stream header,
  the number of parts, and the file's facts (SHA-256 of the plaintext, size, kind) encrypted with a key
  derived from the content key, so what a reader decrypts is checked against the hash it asked for.
- **Per commune**: a file is sealed once per commune (to that commune's reviewers), and keep-by-reference
  still works because the submission records name files by the SHA-256 of the plaintext
  (``assessment_resubmission``), unchanged. Two requests sealing the same file at once write under
  different seal ids; the loser of the manifest race deletes its own parts.
- **In the clear**, as before, stay the submission records: scores, totals, verdicts, the reviews, and
  per file its name, size, kind and hash — the yearly report needs no key.
- **Officers added later**: a reviewer who can open a file (the root, or an officer it was sealed to) seals its
  content key to the officers now covering the commune who lack it (``share_with``; ``bvte assessments
  share-evidence``): one create-only object per added holder beside the parts (``<folder>/keys/<holder>``),
  so the manifest itself is never rewritten. The sharer first proves the key opens the file's facts, so a
  planted key object is never passed on; a planted one for someone else only makes the file unreadable to them.
- **Old files** stored before this format (``manifest.json`` + plain parts) still open
  (``assessments.read_evidence``); readers try the sealed manifest first.
- **Sealed in the browser** (a direct upload to the bucket, ``functions/api/uploads.py``): the page gets
  the lock's public keys (``public_recipients``), makes the content key, header, sealed keys and facts
  exactly as ``write_sealed`` does and posts the encrypted chunks back to back as one object. The server
  never sees the plaintext: it checks the announced structure (``check_browser_seal``) and the object's
  size, then cuts the object into the standard parts and writes the standard manifest
  (``store_browser_sealed``), so readers need no second format. Whether the content is what was
  announced (hash, type) is checked when a reviewer opens it.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import IO, Iterator

import nacl.bindings as sodium
import nacl.encoding
import nacl.hash
import nacl.secret
import nacl.utils
from nacl.exceptions import CryptoError as NaclError
from nacl.public import PrivateKey, PublicKey, SealedBox

from .office_keys import box_public_key
from .store import AlreadyExists, NotFound

FORMAT = "bvte-evidence-sealed-v1"
CHUNK_BYTES = 1024 * 1024
ROOT = "root"  # holder names, as in cases.py's key maps
OFFICE = "office"
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class EvidenceSealError(ValueError):
    """Sealed evidence that this key cannot open, or that is damaged; the message is Vietnamese."""


@dataclass(frozen=True)
class EvidenceLock:
    """Who a commune's evidence is sealed to: holder name → X25519 public key, and the keyring version."""

    recipients: dict[str, PublicKey]
    keyring_version: int = 0


def lock_for_keyring(root_verify_key, keyring, commune_id: str) -> EvidenceLock:
    """The root and the keyring's officers covering ``commune_id``."""
    recipients = {ROOT: box_public_key(root_verify_key)}
    for officer in keyring.recipients(commune_id):
        recipients[f"officer/{officer.id}"] = box_public_key(officer.verify_key)
    return EvidenceLock(recipients, keyring.version)


def lock_for_office_key(public_key: PublicKey) -> EvidenceLock:
    """The single office key of an office without a root yet."""
    return EvidenceLock({OFFICE: public_key})


def manifest_key(prefix: str, sha256: str, commune_id: str) -> str:
    return f"{prefix}/{sha256}/sealed-{commune_id}.json"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _facts_box(content_key: bytes) -> nacl.secret.SecretBox:
    # A key of its own for the facts, so the stream's key is never used by a second construction.
    return nacl.secret.SecretBox(nacl.hash.blake2b(b"bvte-evidence-facts", key=content_key, digest_size=32,
                                                   encoder=nacl.encoding.RawEncoder))


def _chunks(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(chunk, is_last) of the stream, reading one chunk ahead."""
    stream.seek(0)
    current = stream.read(CHUNK_BYTES)
    while current:
        following = stream.read(CHUNK_BYTES)
        yield current, not following
        current = following


def write_sealed(storage, prefix: str, lock: EvidenceLock, stream: IO[bytes], commune_id: str,
                 facts: dict, written: list[str] | None = None) -> str:
    """Encrypt ``stream`` chunk by chunk into storage, then write its manifest; returns the manifest key.

    Nothing readable is written: each part is ciphertext before ``storage.create`` sees it. When the
    manifest already exists (another request sealed the same file for this commune first), this call's
    parts are removed and the existing manifest counts."""
    content_key = nacl.utils.random(sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES)
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, content_key)
    folder = f"{prefix}/{facts['sha256']}/{commune_id}-{secrets.token_hex(8)}"
    mine: list[str] = []
    for index, (chunk, last) in enumerate(_chunks(stream)):
        part = sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, None,
                                                                  _TAG_FINAL if last else _TAG_MESSAGE)
        key = f"{folder}/part-{index:06d}"
        storage.create(key, part)
        mine.append(key)
        if written is not None:  # at once, so a failed request can remove what it wrote
            written.append(key)
    manifest = {
        "format": FORMAT, "keyring_version": lock.keyring_version, "folder": folder, "parts": len(mine),
        "part_bytes": CHUNK_BYTES, "header": _b64(header),
        "keys": {holder: _b64(SealedBox(public).encrypt(content_key)) for holder, public in lock.recipients.items()},
        "facts": _b64(_facts_box(content_key).encrypt(json.dumps(facts, sort_keys=True).encode())),
    }
    return _write_manifest(storage, manifest_key(prefix, facts["sha256"], commune_id), manifest, mine, written)


def _write_manifest(storage, target: str, manifest: dict, mine: list[str], written: list[str] | None) -> str:
    """Write the manifest last, create-only; when another request's manifest won, remove our parts."""
    try:
        storage.create(target, json.dumps(manifest, sort_keys=True).encode())
    except AlreadyExists:
        for key in mine:
            storage.delete(key)
            if written is not None:
                written.remove(key)
        return target
    if written is not None:
        written.append(target)
    return target


def read_manifest(storage, prefix: str, sha256: str, commune_id: str) -> dict:
    """The sealed manifest of this file for this commune; ``NotFound`` when it was not sealed for it."""
    manifest = json.loads(storage.read(manifest_key(prefix, sha256, commune_id)))
    if manifest.get("format") != FORMAT:
        raise EvidenceSealError("Tệp minh chứng có định dạng không nhận ra.")
    return manifest


def added_key_path(manifest: dict, holder: str) -> str:
    """Where the content key sealed later to ``holder`` is kept (``officer/lan`` → ``…/keys/officer.lan``)."""
    return f"{manifest['folder']}/keys/{holder.replace('/', '.')}"


def _sealed_key(storage, manifest: dict, holder: str) -> str | None:
    """``holder``'s sealed content key: in the manifest, or added later; None when it has none."""
    sealed = manifest["keys"].get(holder)
    if sealed is not None:
        return sealed
    try:
        added = json.loads(storage.read(added_key_path(manifest, holder)))
        return added["key"] if isinstance(added, dict) and isinstance(added.get("key"), str) else None
    except (NotFound, ValueError):
        return None


def _content_key(storage, manifest: dict, holder: str, private_key: PrivateKey) -> bytes:
    sealed = _sealed_key(storage, manifest, holder)
    if sealed is None:
        raise EvidenceSealError("Tệp minh chứng này không được mã hóa cho khóa của bạn.")
    try:
        return SealedBox(private_key).decrypt(base64.b64decode(sealed))
    except (NaclError, ValueError):
        raise EvidenceSealError("Không mở được tệp minh chứng: khóa không khớp.") from None


def _opened_facts(manifest: dict, content_key: bytes) -> dict:
    """The file's facts, which only the right content key opens; ``EvidenceSealError`` otherwise."""
    try:
        facts = json.loads(_facts_box(content_key).decrypt(base64.b64decode(manifest["facts"])))
    except (NaclError, ValueError, KeyError):
        raise EvidenceSealError("Tệp minh chứng bị hỏng.") from None
    if not isinstance(facts, dict):
        raise EvidenceSealError("Tệp minh chứng bị hỏng.")
    return facts


def share_with(storage, manifest: dict, holder: str, private_key: PrivateKey,
               recipients: dict[str, PublicKey]) -> list[str]:
    """Seal this file's content key to each of ``recipients`` who cannot open it yet, opened with ``holder``'s
    key; returns the holders added. ``EvidenceSealError`` when that key does not open the file."""
    missing = {name: public for name, public in recipients.items() if _sealed_key(storage, manifest, name) is None}
    if not missing:
        return []
    content_key = _content_key(storage, manifest, holder, private_key)
    _opened_facts(manifest, content_key)  # the key really is this file's, not a planted one
    added = []
    for name, public in sorted(missing.items()):
        document = {"holder": name, "key": _b64(SealedBox(public).encrypt(content_key))}
        try:
            storage.create(added_key_path(manifest, name), json.dumps(document, sort_keys=True).encode())
        except AlreadyExists:  # a colleague shared it at the same moment
            continue
        added.append(name)
    return added


def open_sealed(storage, manifest: dict, sha256: str, holder: str, private_key: PrivateKey) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk, for ``holder`` (``root``, ``officer/<id>`` or
    ``office``); ``EvidenceSealError`` when the key does not open it or any part is missing, damaged,
    reordered or cut off, or the file is not the one ``sha256`` names."""
    content_key = _content_key(storage, manifest, holder, private_key)
    facts = _opened_facts(manifest, content_key)
    try:
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, base64.b64decode(manifest["header"]),
                                                               content_key)
    except (NaclError, ValueError, KeyError):
        raise EvidenceSealError("Tệp minh chứng bị hỏng.") from None
    if facts.get("sha256") != sha256:
        raise EvidenceSealError("Tệp minh chứng không khớp mã kiểm tra.")
    yield from _pull_parts(storage, manifest, state)


def _pull_parts(storage, manifest: dict, state) -> Iterator[bytes]:
    """Decrypt the parts in order; the final tag must be on the last part and only there."""
    count = int(manifest["parts"])
    for index in range(count):
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                state, storage.read(f"{manifest['folder']}/part-{index:06d}"), None)
        except (NaclError, NotFound):
            raise EvidenceSealError("Tệp minh chứng thiếu phần hoặc bị hỏng.") from None
        if (tag == _TAG_FINAL) != (index == count - 1):
            raise EvidenceSealError("Tệp minh chứng bị cắt bớt hoặc bị ghép sai thứ tự.")
        yield chunk


def holder_name(officer_id: str | None) -> str:
    """The key-map name of an unlocked officer (``None``: the root)."""
    return ROOT if officer_id is None else f"officer/{officer_id}"


# -- sealed in the browser ------------------------------------------------------------------------------

ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # what each chunk grows by when encrypted
_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_SEALED_KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES + sodium.crypto_box_SEALBYTES
_FACTS_BYTES = (nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES + 2,
                nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES + 512)  # {} .. a short JSON
_DAMAGED = "Tệp đã mã hóa trong trình duyệt không đúng định dạng: hãy tải lên lại."


def parts_for(size: int) -> int:
    """How many chunks a file of ``size`` bytes (> 0) is cut into."""
    return -(-size // CHUNK_BYTES)


def sealed_size(size: int) -> int:
    """The bytes of all encrypted chunks of a ``size``-byte file, back to back."""
    return size + parts_for(size) * ABYTES


def public_recipients(lock: EvidenceLock) -> dict[str, str]:
    """The lock's holders and their X25519 public keys (base64), for a browser to seal to."""
    return {holder: _b64(bytes(public)) for holder, public in lock.recipients.items()}


@dataclass(frozen=True)
class BrowserSeal:
    """What a browser announces of a file it sealed: the manifest's members, all still base64."""

    header: str
    keys: dict[str, str]
    facts: str
    parts: int
    keyring_version: int

    def as_dict(self) -> dict:
        return {"header": self.header, "keys": dict(self.keys), "facts": self.facts, "parts": self.parts,
                "keyring_version": self.keyring_version}


def _decoded_length(text) -> int:
    """The byte length of strict base64 ``text``; -1 when it is not base64."""
    try:
        return len(base64.b64decode(str(text), validate=True)) if isinstance(text, str) else -1
    except ValueError:
        return -1


def check_browser_seal(announced, lock: EvidenceLock, size: int) -> BrowserSeal:
    """The announced seal of a ``size``-byte file, checked against ``lock``: sealed to exactly its holders
    under its keyring version, well-formed members, the right number of chunks. ``EvidenceSealError``
    (Vietnamese) otherwise. The content itself cannot be checked here: that is for the reader's key."""
    if not isinstance(announced, dict) or not isinstance(announced.get("keys"), dict):
        raise EvidenceSealError(_DAMAGED)
    keys = announced["keys"]
    if set(keys) != set(lock.recipients) or announced.get("keyring_version") != lock.keyring_version:
        raise EvidenceSealError("Danh sách cán bộ nhận tệp đã thay đổi trong lúc tải lên: hãy chọn và tải lên lại tệp.")
    well_formed = (_decoded_length(announced.get("header")) == _HEADER_BYTES
                   and all(_decoded_length(v) == _SEALED_KEY_BYTES for v in keys.values())
                   and _FACTS_BYTES[0] <= _decoded_length(announced.get("facts")) <= _FACTS_BYTES[1]
                   and announced.get("part_bytes", CHUNK_BYTES) == CHUNK_BYTES)
    if not well_formed:
        raise EvidenceSealError(_DAMAGED)
    if size <= 0 or announced.get("parts") != parts_for(size):
        raise EvidenceSealError("Số phần của tệp đã mã hóa không khớp với kích thước tệp: hãy tải lên lại.")
    return BrowserSeal(announced["header"], dict(keys), announced["facts"], announced["parts"], lock.keyring_version)


@dataclass
class SealedArrival:
    """A file a browser sealed and sent ahead, as the intake sees it instead of a plaintext stream: the
    facts it announced, its seal, and its encrypted chunks (``ciphertext``, None when an earlier attempt of
    the same upload already stored it)."""

    seal: BrowserSeal
    ciphertext: IO[bytes] | None
    sha256: str
    size: int
    kind: str
    commune_id: str
    seal_id: str
    upload_key: str


def store_browser_sealed(storage, prefix: str, arrival: SealedArrival, written: list[str] | None = None) -> str:
    """Cut the arrival's ciphertext into the standard parts and write the standard manifest last,
    create-only (as ``write_sealed``); returns the manifest key. ``EvidenceSealError`` when the
    ciphertext is not exactly the announced chunks (nothing is left behind then)."""
    folder = f"{prefix}/{arrival.sha256}/{arrival.commune_id}-{arrival.seal_id}"
    mine: list[str] = []
    stream = arrival.ciphertext
    stream.seek(0)
    try:
        for index in range(arrival.seal.parts):
            part = stream.read(CHUNK_BYTES + ABYTES)
            last = index == arrival.seal.parts - 1
            expected = arrival.size - index * CHUNK_BYTES + ABYTES if last else CHUNK_BYTES + ABYTES
            if len(part) != expected or (last and stream.read(1)):
                raise EvidenceSealError("Tệp đã mã hóa có kích thước không khớp với tệp đã khai: hãy tải lên lại.")
            key = f"{folder}/part-{index:06d}"
            storage.create(key, part)
            mine.append(key)
            if written is not None:
                written.append(key)
    except EvidenceSealError:
        for key in mine:
            storage.delete(key)
            if written is not None:
                written.remove(key)
        raise
    manifest = {"format": FORMAT, "folder": folder, "part_bytes": CHUNK_BYTES, **arrival.seal.as_dict()}
    return _write_manifest(storage, manifest_key(prefix, arrival.sha256, arrival.commune_id), manifest, mine, written)
