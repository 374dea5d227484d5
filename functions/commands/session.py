"""What the officers' commands share: storage, the office root's public key, the keyring, an unlocked
key, and how passphrases are read.

Passphrases are asked interactively (hidden). For tests and automation a FILE holding the passphrase
may be named instead — never the passphrase itself in the environment, where other processes and
shell histories see it:

- ``BVTE_PASSPHRASE_FILE``: the passphrase of the key given by ``--key`` (or ``--legacy-key``);
- ``BVTE_ROOT_PASSPHRASE_FILE``: the passphrase of the office root key (``--root-key``);
- ``BVTE_NEW_PASSPHRASE_FILE``: the passphrase for a NEW key file (``office init``, ``office restore``,
  ``officers add``).

Every unlock of a key is written to the audit log, signed by that key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import click
from nacl.signing import SigningKey, VerifyKey

from ..config import Config
from ..core import audit, cases, crypto, office_keys
from ..core.vietnam import VIETNAM
from ..keys import DEV_PASSPHRASE, DEV_ROOT_KEY_NAME, dev_officer_key, has_dev_office, is_dev_key, keys_dir, \
    load_office_root
from ..storage import StorageError, open_storage
from ..storage.files import create_file

PASSPHRASE_FILE = "BVTE_PASSPHRASE_FILE"
ROOT_PASSPHRASE_FILE = "BVTE_ROOT_PASSPHRASE_FILE"
NEW_PASSPHRASE_FILE = "BVTE_NEW_PASSPHRASE_FILE"
MIN_PASSPHRASE = 10
ROOT_AUDIT_ID = cases.ROOT  # the root writes its own audit chain under this name
PASSPHRASE_HELP = (f"Mật khẩu được hỏi (ẩn khi gõ); để chạy tự động, đặt {PASSPHRASE_FILE} (khóa --key), "
                   f"{ROOT_PASSPHRASE_FILE} (khóa gốc --root-key) hoặc {NEW_PASSPHRASE_FILE} (khóa mới) là "
                   "ĐƯỜNG DẪN tới tệp chứa mật khẩu — không bao giờ đặt chính mật khẩu vào biến môi trường.")

data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path), envvar="BVTE_DATA_DIR", default=None,
                               help="Thư mục dữ liệu (mặc định: BVTE_DATA_DIR hoặc ./var).")
key_option = click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), envvar="BVTE_KEY",
                          default=None, help=f"Tệp khóa riêng của cán bộ (biến BVTE_KEY); mật khẩu được hỏi, "
                          f"hoặc đọc từ tệp mà {PASSPHRASE_FILE} chỉ tới.")
root_key_option = click.option("--root-key", "root_key", type=click.Path(path_type=Path, dir_okay=False),
                               default=None, help="Tệp khóa gốc của văn phòng (từ USB trong tủ an toàn).")
kdf_option = click.option("--kdf", type=click.Choice(sorted(crypto.KDF_LEVELS)), default="moderate",
                          show_default=True, help="Mức Argon2id bảo vệ tệp khóa mới.")


def vietnam_time(text: str) -> str:
    """A stored UTC ISO time as Vietnam time ("2026-11-30 14:05")."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return str(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")


# -- passphrases and key files -------------------------------------------------------------------------

def _from_file(variable: str) -> str | None:
    path = os.environ.get(variable)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError):
        raise click.ClickException(f"Không đọc được tệp mật khẩu mà {variable} chỉ tới.") from None


def passphrase(variable: str, prompt: str) -> str:
    found = _from_file(variable)
    return found if found is not None else click.prompt(prompt, hide_input=True, err=True)


def new_passphrase(prompt: str) -> str:
    found = _from_file(NEW_PASSPHRASE_FILE)
    if found is None:
        found = click.prompt(prompt, hide_input=True, confirmation_prompt="Nhập lại mật khẩu", err=True)
    if len(found) < MIN_PASSPHRASE:
        raise click.ClickException(f"Mật khẩu cần ít nhất {MIN_PASSPHRASE} ký tự (nên dùng một câu dễ nhớ).")
    return found


def read_key_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise click.ClickException(f"Không đọc được tệp khóa {path}.") from None


def key_file_public(data: bytes) -> str:
    """The public key a key file says it holds (readable without the passphrase), or ""."""
    try:
        return str(json.loads(data.decode("utf-8")).get("public_key", ""))
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""


def unlock_identity(path: Path, variable: str, what: str) -> office_keys.Identity:
    data = read_key_file(path)
    hint = f" (khóa PHÁT TRIỂN: {DEV_PASSPHRASE})" if is_dev_key(path) else ""
    try:
        return office_keys.unlock(data, passphrase(variable, f"Mật khẩu của {what} {path}{hint}"))
    except crypto.CryptoError as exc:
        raise click.ClickException(str(exc)) from None


def write_identity(path: Path, identity: office_keys.Identity, secret: str, level: str) -> None:
    """The key file, 0600 and create-only: an existing key is never overwritten."""
    try:
        create_file(Path(path), office_keys.protect(identity, secret, level), 0o600)
    except FileExistsError:
        raise click.ClickException(f"{path} đã có: không ghi đè một khóa đã có.") from None


def refuse_existing(path: Path) -> None:
    if Path(path).exists():
        raise click.ClickException(f"{path} đã có: không ghi đè một khóa đã có.")


# -- the session -------------------------------------------------------------------------------------------

@dataclass
class Actor:
    """Whoever holds the unlocked key: an officer of the keyring, or the root (``officer_id`` None)."""

    identity: office_keys.Identity
    officer_id: str | None

    @property
    def audit_id(self) -> str:
        return self.officer_id or ROOT_AUDIT_ID

    @property
    def author(self) -> str:
        return self.officer_id or cases.ROOT

    @property
    def label(self) -> str:
        return self.officer_id or "khóa gốc"


class Session:
    """Storage, the root's public key and the keyring, read once per command."""

    def __init__(self, data_dir: Path | None, config: Config | None = None):
        self.config = config or Config.from_env(data_dir=data_dir)
        try:
            self.storage = open_storage(self.config)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        self._versions: list[office_keys.Keyring] | None = None

    @property
    def keys_dir(self) -> Path:
        return keys_dir(self.config)

    def configured_root(self) -> VerifyKey | None:
        try:
            return load_office_root(self.config)
        except office_keys.OfficeKeyError as exc:
            raise click.ClickException(str(exc)) from None

    @property
    def root(self) -> VerifyKey:
        root = self.configured_root()
        if root is None:
            raise click.ClickException("Văn phòng chưa có khóa gốc: chạy `bvte office init` trước "
                                       "(hoặc đặt BVTE_OFFICE_PUBLIC_KEY).")
        return root

    @property
    def versions(self) -> list[office_keys.Keyring]:
        if self._versions is None:
            def ignored(version: int) -> None:
                click.echo(f"Cảnh báo: bỏ qua phiên bản {version} của danh sách cán bộ (chữ ký không khớp với "
                           "khóa gốc).", err=True)

            with storage_errors():
                self._versions = office_keys.keyring_versions(self.storage, self.root, on_invalid=ignored)
        return self._versions

    @property
    def keyring(self) -> office_keys.Keyring:
        return self.versions[-1] if self.versions else office_keys.EMPTY_KEYRING

    def forget_keyring(self) -> None:
        self._versions = None

    # -- keys

    def officer_key_path(self, key_path: Path | None) -> Path:
        if key_path is not None:
            return key_path
        dev = dev_officer_key(self.config)
        if has_dev_office(self.config) and dev.exists():
            click.echo(f"Dùng khóa PHÁT TRIỂN {dev} (chỉ để thử).", err=True)
            return dev
        raise click.ClickException("Cần tệp khóa riêng của cán bộ: --key PATH (hoặc biến BVTE_KEY).")

    def root_key_path(self, root_key: Path | None) -> Path:
        if root_key is not None:
            return root_key
        dev = self.keys_dir / DEV_ROOT_KEY_NAME
        if has_dev_office(self.config) and dev.exists():
            click.echo(f"Dùng khóa gốc PHÁT TRIỂN {dev} (chỉ để thử).", err=True)
            return dev
        raise click.ClickException("Cần tệp khóa gốc của văn phòng: --root-key PATH.")

    def unlock(self, key_path: Path | None) -> Actor:
        """The officer (or the root) whose key file this is, found in the keyring by its public key."""
        path = self.officer_key_path(key_path)
        return self.identify(unlock_identity(path, PASSPHRASE_FILE, "khóa riêng"))

    def identify(self, identity: office_keys.Identity) -> Actor:
        """The officer (or the root) holding this unlocked key; the unlock is audited."""
        mine = bytes(identity.verify_key)
        if mine == bytes(self.root):
            actor = Actor(identity, None)
        else:
            officer = next((o for o in self.keyring.officers if bytes(o.verify_key) == mine), None)
            if officer is None:
                before = next((o.id for k in self.versions for o in k.officers if bytes(o.verify_key) == mine), None)
                if before:
                    raise click.ClickException(f"Khóa của {before} không còn trong danh sách cán bộ (đã bị gỡ).")
                raise click.ClickException("Khóa này không thuộc cán bộ nào trong danh sách của văn phòng.")
            actor = Actor(identity, officer.id)
        self.audit(actor, "unlock")
        return actor

    def unlock_root(self, root_key: Path | None, require_configured: bool = True) -> office_keys.Identity:
        """The root key, checked against the configured public root; its unlock is audited."""
        identity = unlock_identity(self.root_key_path(root_key), ROOT_PASSPHRASE_FILE, "khóa gốc")
        configured = self.root if require_configured else self.configured_root()
        if configured is not None and bytes(identity.verify_key) != bytes(configured):
            raise click.ClickException("Khóa gốc này KHÁC với khóa công khai của văn phòng đang cấu hình "
                                       "(office-root.pub / BVTE_OFFICE_PUBLIC_KEY): không dùng được.")
        self.audit(Actor(identity, None), "unlock")
        return identity

    # -- audit

    def audit(self, actor: Actor, action: str, subject: str = "") -> None:
        """Append to the acting key's audit chain; a command whose access cannot be logged stops."""
        sign_with: SigningKey = actor.identity.signing_key
        try:
            with storage_errors():
                audit.append(self.storage, actor.audit_id, sign_with, action, subject)
        except audit.AuditConflict as exc:
            raise click.ClickException(str(exc)) from None

    def audit_keys(self, officer_id: str) -> list[VerifyKey]:
        """Every signing key ``officer_id`` has had in any keyring version (the root's for the root)."""
        if officer_id == ROOT_AUDIT_ID:
            return [self.root]
        found: dict[bytes, VerifyKey] = {}
        for keyring in self.versions:
            officer = keyring.officer(officer_id)
            if officer is not None:
                found.setdefault(bytes(officer.verify_key), officer.verify_key)
        return list(found.values())


class storage_errors:
    """Storage failures end the command with a short Vietnamese message (no content, no keys)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None and isinstance(exc, StorageError):
            raise click.ClickException(f"Không đọc/ghi được kho lưu trữ: {type(exc).__name__}.") from None
        return False
