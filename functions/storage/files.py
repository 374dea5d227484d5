"""Durable files on a local disk: the one place that knows the write sequence.

Temp file in the target's folder → write → fsync → ``link`` into place (atomic, and refused when the
name exists) → fsync the folder. A reader sees no file or the whole file; of several concurrent
creators exactly one wins. Used by the local storage backend, the server secret and key files.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(directory: Path) -> None:
    """Create missing folders one by one, fsyncing each parent so the new entries survive a crash."""
    missing = []
    d = Path(directory)
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            continue
        fsync_dir(d.parent)


class LinkedNotSynced(OSError):
    """The file was linked into place but its folder could not be fsynced: it exists now and may or may not
    survive a crash. Whoever wrote it cannot say it was not stored."""


def create_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` durably and create-only; ``FileExistsError`` when ``path`` exists.

    Other ``OSError`` s (disk full, read-only) propagate, ``LinkedNotSynced`` when the failure came after
    the link; no temporary file is left behind.
    """
    path = Path(path)
    make_dirs(path.parent)
    tmp = path.parent / f".tmp-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, path)
        try:
            fsync_dir(path.parent)
        except OSError as exc:
            raise LinkedNotSynced(exc.errno, exc.strerror) from exc
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
