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
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
    return bytes.fromhex(path.read_text().strip())
