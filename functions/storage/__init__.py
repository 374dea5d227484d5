"""Storage backends: a local directory or an S3-compatible store, chosen by configuration.

The contract, its errors and the key rule live in ``functions.core.store`` (core code names them
without importing a backend); they are re-exported here for callers that open a backend.
"""

from __future__ import annotations

from ..core.store import (AlreadyExists, NotFound, OutcomeUnknown, Storage, StorageError, StorageUnavailable,
                          check_key)

__all__ = ["AlreadyExists", "NotFound", "OutcomeUnknown", "Storage", "StorageError", "StorageUnavailable",
           "check_key", "open_storage"]


def open_storage(config) -> Storage:
    """The backend the configuration names."""
    if config.storage == "local":
        from .local import LocalStorage

        return LocalStorage(config.data_dir / "store")
    if config.storage == "s3":
        from .s3 import S3Storage

        return S3Storage.from_config(config)
    raise ValueError(f"unknown storage backend {config.storage!r} (expected 'local' or 's3')")
