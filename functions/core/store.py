"""The storage contract core code is written against: the protocol, its errors, the key rule.

Core names these without importing a backend; ``functions.storage`` holds the two implementations
(local directory, S3-compatible) and re-exports everything here. Contract (both backends pass
``tests/test_storage_contract.py``):

- ``create(key, data)`` writes only if ``key`` does not exist (``AlreadyExists`` otherwise) and
  returns only once the bytes are durable;
- ``read(key)`` returns the bytes (``NotFound`` otherwise); ``exists(key)``;
- ``list(prefix)`` yields every key under ``prefix`` in lexical order;
- ``increment(counter, amount)`` adds atomically and returns the new value (no lost increments);
- ``delete(key)`` removes a key (used only to clean up what a failed request left).

Any failure of the medium (disk full, read-only, network) is raised as ``StorageUnavailable``; a
``create`` that may have stored its object despite failing raises its subclass ``OutcomeUnknown``.
Keys are ``/``-separated, made of ``[A-Za-z0-9._-]`` segments.
"""

from __future__ import annotations

import re
from typing import Iterator, Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class StorageError(Exception):
    """Base of storage errors."""


class AlreadyExists(StorageError):
    """A create-only write found the key taken."""


class NotFound(StorageError):
    """No object under that key."""


class StorageUnavailable(StorageError):
    """The medium failed: the request must be answered 503 and nothing counted as stored."""


class OutcomeUnknown(StorageUnavailable):
    """A ``create`` failed in a way that may have stored the object all the same (an S3 answer lost after
    the request was sent; a folder fsync failing after the link): callers must not delete what refers to it.
    Any other failure of ``create`` means the object was certainly not stored."""


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key) or len(key) > 512:
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class Storage(Protocol):
    name: str

    def create(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]: ...

    def increment(self, counter: str, amount: int = 1) -> int: ...

    def delete(self, key: str) -> None: ...
