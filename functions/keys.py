"""The office's key pair on disk: where the functions find the public key, and the dev pair.

- Production: the office runs ``bvte keys generate`` on an officer's computer and sets
  ``BVTE_PUBLIC_KEY`` (base64) where the functions run; the private key never leaves that computer.
- Local development: ``bvte serve`` calls ``ensure_dev_keypair``; when no public key is
  configured and none exists in ``data_dir/keys/``, it creates a DEVELOPMENT pair there whose
  private key is protected by the fixed passphrase ``DEV_PASSPHRASE`` (printed by ``serve``):
  it is for trying the tools, never for real reports.
"""

from __future__ import annotations

from pathlib import Path

from nacl.public import PublicKey

from .config import Config
from .core import crypto
from .storage.files import create_file

PUBLIC_NAME = "office.pub"
PRIVATE_NAME = "office.key"
DEV_PASSPHRASE = "phat-trien"
DEV_MARKER = "KHOA-PHAT-TRIEN.txt"
DEV_NOTE = (
    "Cặp khóa PHÁT TRIỂN do `bvte serve` tạo, chỉ để thử. Mật khẩu của office.key: "
    + DEV_PASSPHRASE + "\nKhông dùng cho tin báo thật: tạo khóa của văn phòng bằng `bvte keys generate`.\n"
)


def keys_dir(config: Config) -> Path:
    return Path(config.data_dir) / "keys"


def write_keypair(public_path: Path, private_path: Path, passphrase: str, level: str = "moderate") -> None:
    """A new pair: the private file first (0600), then the public one; neither may exist yet."""
    for path in (public_path, private_path):
        if path.exists():
            raise FileExistsError(path)
    pair = crypto.generate_keypair()
    create_file(private_path, crypto.protect_private_key(pair.private, passphrase, level), 0o600)
    create_file(public_path, (crypto.public_key_text(pair.public) + "\n").encode(), 0o644)


def ensure_dev_keypair(config: Config) -> Path | None:
    """Create the development pair if the functions would otherwise have no key; its folder, or None."""
    if config.public_key:
        return None
    directory = keys_dir(config)
    if (directory / PUBLIC_NAME).exists():
        return None
    try:
        # Interactive cost: a development key guards nothing real and should open quickly.
        write_keypair(directory / PUBLIC_NAME, directory / PRIVATE_NAME, DEV_PASSPHRASE, level="interactive")
    except FileExistsError:
        return None  # created concurrently by another process
    create_file(directory / DEV_MARKER, DEV_NOTE.encode("utf-8"), 0o644)
    return directory


def is_dev_key(private_path: Path) -> bool:
    return (Path(private_path).parent / DEV_MARKER).exists()


def load_public_key(config: Config) -> PublicKey:
    """The key tips are sealed to: ``config.public_key`` or ``data_dir/keys/office.pub``."""
    if config.public_key:
        return crypto.public_key_from_text(config.public_key)
    path = keys_dir(config) / PUBLIC_NAME
    try:
        return crypto.public_key_from_text(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        raise crypto.CryptoError(
            f"Chưa có khóa công khai: đặt BVTE_PUBLIC_KEY hoặc tạo {path} (bvte keys generate / bvte serve)."
        ) from None


ROOT_PUBLIC_NAME = "office-root.pub"


def load_office_root(config: Config):
    """The office root's public key (``nacl.signing.VerifyKey``) from ``BVTE_OFFICE_PUBLIC_KEY`` or
    ``data_dir/keys/office-root.pub``; None when the office has no root yet (the first format)."""
    from .core.office_keys import verify_key_from_text

    if config.office_public_key:
        return verify_key_from_text(config.office_public_key)
    path = keys_dir(config) / ROOT_PUBLIC_NAME
    try:
        return verify_key_from_text(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        return None

