"""The server's secret for keyed hashes (receipts, access codes, rate-limit keys).

Production sets ``BVTE_SECRET_KEY`` (64 hex characters). Locally, a random secret is created once
in the data directory, readable only by its owner.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .config import Config
from .storage.files import create_file


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
    """Publish the secret durably in one step: a concurrent reader sees no file or the whole file."""
    try:
        create_file(path, data)
    except FileExistsError:
        pass  # another process or thread published first: theirs is the secret
