"""Encryption of tips at rest (libsodium through PyNaCl).

- Reports and attachments are sealed to the office's public key (``SealedBox``): the server can
  write them but never read them back; only the private key on an officer's computer opens them.
- The private key file is protected by a passphrase: Argon2id (``nacl.pwhash.argon2id``) derives
  a ``SecretBox`` key; the file holds the salt, the cost parameters and the encrypted key.
- Status events and messages to the reporter are encrypted with a per-report symmetric key that
  both the office (it travels inside the sealed report) and the receipt holder (it is a keyed hash
  of the receipt) can derive: so storage holds no readable status or message either.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

PRIVATE_KEY_FORMAT = "bvte-private-key-v1"
# Argon2id cost levels (libsodium's names), the choices for a key that protects something. Keys for real
# use: "moderate" (256 MiB) or more.
KDF_LEVELS = {
    "interactive": (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE),
    "sensitive": (nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE, nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE),
}
# The development office's keys (``bvte serve`` on an empty data folder): their passphrase is printed and
# written beside them, so any cost would protect nothing; libsodium's least keeps every unlock instant.
# Never offered as a choice (the commands offer KDF_LEVELS only).
DEVELOPMENT_KDF = "development"
_KDF_COSTS = {**KDF_LEVELS,
              DEVELOPMENT_KDF: (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)}


class CryptoError(Exception):
    """A key or a ciphertext that cannot be used; the message says which, in Vietnamese."""


@dataclass(frozen=True)
class KeyPair:
    public: PublicKey
    private: PrivateKey


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def generate_keypair() -> KeyPair:
    private = PrivateKey.generate()
    return KeyPair(private.public_key, private)


def public_key_from_text(text: str) -> PublicKey:
    """A public key written as base64 (the public key file, or ``BVTE_PUBLIC_KEY``)."""
    try:
        raw = unb64(text.strip())
    except (ValueError, UnicodeEncodeError):
        raise CryptoError("Khóa công khai không phải base64.") from None
    if len(raw) != PublicKey.SIZE:
        raise CryptoError(f"Khóa công khai phải dài {PublicKey.SIZE} byte (hiện {len(raw)}).")
    return PublicKey(raw)


def public_key_text(key: PublicKey) -> str:
    return b64(bytes(key))


def seal(public_key: PublicKey, plaintext: bytes) -> bytes:
    return SealedBox(public_key).encrypt(plaintext)


def unseal(private_key: PrivateKey, ciphertext: bytes) -> bytes:
    try:
        return SealedBox(private_key).decrypt(ciphertext)
    except nacl.exceptions.CryptoError:
        raise CryptoError("Không giải mã được: khóa riêng không khớp hoặc dữ liệu bị hỏng.") from None


def protect_secret(secret: bytes, passphrase: str, level: str, file_format: str, public: str) -> bytes:
    """A private key file: JSON with the Argon2id salt and costs, ``public`` (to show which key it is)
    and ``secret`` encrypted with the key the passphrase derives."""
    opslimit, memlimit = _KDF_COSTS[level]
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    key = nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                   opslimit=opslimit, memlimit=memlimit)
    document = {
        "format": file_format,
        "kdf": "argon2id",
        "opslimit": opslimit,
        "memlimit": memlimit,
        "salt": b64(salt),
        "public_key": public,
        "encrypted_private_key": b64(bytes(nacl.secret.SecretBox(key).encrypt(secret))),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def unlock_secret(data: bytes, passphrase: str, file_format: str) -> bytes:
    """The secret of a file ``protect_secret`` wrote; ``CryptoError`` for a wrong passphrase or format."""
    try:
        document = json.loads(data.decode("utf-8"))
        if document.get("format") != file_format or document.get("kdf") != "argon2id":
            raise ValueError("format")
        salt = unb64(document["salt"])
        box = unb64(document["encrypted_private_key"])
        opslimit, memlimit = int(document["opslimit"]), int(document["memlimit"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        raise CryptoError("Tệp khóa riêng không đúng định dạng.") from None
    key = nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                   opslimit=opslimit, memlimit=memlimit)
    try:
        return nacl.secret.SecretBox(key).decrypt(box)
    except nacl.exceptions.CryptoError:
        raise CryptoError("Mật khẩu không đúng (hoặc tệp khóa riêng bị hỏng).") from None


def protect_private_key(private: PrivateKey, passphrase: str, level: str = "moderate") -> bytes:
    """The single office key file of the first format (before the keyring)."""
    return protect_secret(bytes(private), passphrase, level, PRIVATE_KEY_FORMAT, public_key_text(private.public_key))


def unlock_private_key(data: bytes, passphrase: str) -> PrivateKey:
    return PrivateKey(unlock_secret(data, passphrase, PRIVATE_KEY_FORMAT))


def box_encrypt(key: bytes, plaintext: bytes) -> bytes:
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def box_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    try:
        return nacl.secret.SecretBox(key).decrypt(ciphertext)
    except nacl.exceptions.CryptoError:
        raise CryptoError("Không giải mã được dữ liệu trạng thái.") from None
