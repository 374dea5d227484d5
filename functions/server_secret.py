"""The server's secret for keyed hashes (receipts, access codes, rate-limit keys).

Production sets ``BVTE_SECRET_KEY`` (64 hex characters). Locally, a random secret is created once
in the data directory, readable only by its owner.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .config import Config


def load_or_create_secret(config: Config) -> bytes:
    if config.secret_key:
        try:
            raw = bytes.fromhex(config.secret_key)
        except ValueError:
            raise ValueError("BVTE_SECRET_KEY must be hexadecimal (64 characters)") from None
        if len(raw) < 32:
            raise ValueError("BVTE_SECRET_KEY must hold at least 32 bytes (64 hex characters)")
        return raw
    path = Path(config.data_dir) / "secret.key"
    if not path.exists():
        _publish(path, secrets.token_hex(32).encode())
    try:
        raw = bytes.fromhex(path.read_text().strip())
    except ValueError:
        raw = b""
    if len(raw) < 32:
        # Never hash with a short or empty key: receipts would become predictable.
        raise ValueError(f"{path}: the server secret must be 64 hexadecimal characters")
    return raw


def _publish(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file, make it durable, then link it into place in one step: a
    concurrent reader sees no file or the whole file, and the first of several creators wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process or thread published first: theirs is the secret
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
