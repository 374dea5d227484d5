"""The office's key pair on disk: where the functions find the public key, and the dev pair.

- Production: the office runs ``bvte keys generate`` on an officer's computer and sets
  ``BVTE_PUBLIC_KEY`` (base64) where the functions run; the private key never leaves that computer.
- The office root (``bvte office init``): its public key in ``data_dir/keys/office-root.pub`` (or
  ``BVTE_OFFICE_PUBLIC_KEY``); with it, reports are sealed for the signed keyring.
- Local development: ``bvte serve`` calls ``ensure_dev_office``; on a data directory with no office
  key of its own it creates a DEVELOPMENT office there — a root key, ``office-root.pub`` and one
  officer ``can-bo-phat-trien`` covering every commune — whose key files are protected by the fixed
  passphrase ``DEV_PASSPHRASE`` (printed by ``serve``): it is for trying the tools, never for real
  reports. ``ensure_dev_keypair`` makes the development pair of the first format (single office key),
  still used by the tests of ``bvte tips``.
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
        # A development key guards nothing real (its passphrase is printed): the least cost.
        write_keypair(directory / PUBLIC_NAME, directory / PRIVATE_NAME, DEV_PASSPHRASE, level=crypto.DEVELOPMENT_KDF)
    except FileExistsError:
        return None  # created concurrently by another process
    create_file(directory / DEV_MARKER, DEV_NOTE.encode("utf-8"), 0o644)
    return directory


def is_dev_key(private_path: Path) -> bool:
    folder = Path(private_path).parent
    return (folder / DEV_MARKER).exists() or (folder / DEV_OFFICE_MARKER).exists()


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



# -- the development office ------------------------------------------------------------------------

DEV_ROOT_KEY_NAME = "office-root.key"
DEV_OFFICER_ID = "can-bo-phat-trien"
DEV_OFFICER_NAME = "Cán bộ PHÁT TRIỂN (chỉ để thử)"
DEV_OFFICE_MARKER = "VAN-PHONG-PHAT-TRIEN.txt"
DEV_OFFICE_NOTE = (
    "Văn phòng PHÁT TRIỂN do `bvte serve` tạo, chỉ để thử: khóa gốc " + DEV_ROOT_KEY_NAME + " và cán bộ "
    + DEV_OFFICER_ID + " (mọi xã, khóa " + DEV_OFFICER_ID + ".key). Mật khẩu của cả hai tệp khóa: "
    + DEV_PASSPHRASE + "\nKhông dùng cho tin báo thật: văn phòng thật tạo khóa gốc bằng `bvte office init` "
    "trên một thư mục dữ liệu mới.\n"
)


def next_keyring_base(storage, current):
    """See ``functions.core.office_keys.next_base``."""
    from .core.office_keys import next_base

    return next_base(storage, current)


def dev_officer_key(config: Config) -> Path:
    return keys_dir(config) / f"{DEV_OFFICER_ID}.key"


def has_dev_office(config: Config) -> bool:
    return (keys_dir(config) / DEV_OFFICE_MARKER).exists()


def ensure_dev_office(config: Config, storage=None) -> Path | None:
    """Create the development office if the data directory has no office key of its own; its folder,
    or None. Skipped when a root or a single office key is configured, or when ``data_dir/keys`` holds
    a root or a single key that is not a development one (a real office's intake is never redirected).
    The root's public file is written last: intake seals for the keyring once it exists."""
    from .core import office_keys

    if config.office_public_key or config.public_key:
        return None
    directory = keys_dir(config)
    if (directory / ROOT_PUBLIC_NAME).exists() or (directory / DEV_ROOT_KEY_NAME).exists():
        return None
    if (directory / PUBLIC_NAME).exists() and not (directory / DEV_MARKER).exists():
        return None
    if storage is None:
        from .storage import open_storage

        storage = open_storage(config)
    root, officer = office_keys.Identity.generate(), office_keys.Identity.generate()
    try:
        create_file(directory / DEV_OFFICE_MARKER, DEV_OFFICE_NOTE.encode("utf-8"), 0o644)
        # Development keys guard nothing real (their passphrase is printed and in the note): the least cost.
        level = crypto.DEVELOPMENT_KDF
        create_file(directory / DEV_ROOT_KEY_NAME, office_keys.protect(root, DEV_PASSPHRASE, level), 0o600)
        create_file(directory / f"{DEV_OFFICER_ID}.key", office_keys.protect(officer, DEV_PASSPHRASE, level), 0o600)
        keyring = next_keyring_base(storage, office_keys.EMPTY_KEYRING).with_officer(
            office_keys.Officer(DEV_OFFICER_ID, DEV_OFFICER_NAME, (office_keys.ALL_COMMUNES,), officer.verify_key))
        office_keys.publish_keyring(storage, keyring, root)
        create_file(directory / ROOT_PUBLIC_NAME,
                    (office_keys.verify_key_text(root.verify_key) + "\n").encode("ascii"), 0o644)
    except (FileExistsError, office_keys.OfficeKeyError):
        return None  # created concurrently by another process
    return directory
