"""``GET /api/health``: liveness, the storage backend in use, and whether storage can take a write.

A probe write (one counter increment) is made at most every ``PROBE_SECONDS`` and its outcome reused, so
health stays as cheap as a liveness check. Storage that cannot be written, or a local disk with less free
space than reports keep in reserve, answers 503 in the single error shape whose ``code`` is the reason, one
word (``storage_unwritable``, ``storage_low``): nothing an attacker could use.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..storage import StorageError
from .errors import ApiError
from .http import Context, Request, Response

PROBE_SECONDS = 10
PROBE = "health.probe"  # ctx.cache entry: (checked at, reason or "")
PROBE_COUNTER = "health/probe"
# Below this much free space a local disk is "low": uploads and visitor markers are refused first, and
# health says so before reports are the next to fail.
LOCAL_RESERVE_BYTES = 64 * 1024 * 1024
MESSAGES = {
    "storage_unwritable": "Hệ thống lưu trữ đang không ghi được dữ liệu.",
    "storage_low": "Hệ thống lưu trữ sắp hết chỗ trống.",
}
_lock = threading.Lock()


def storage_problem(ctx: Context) -> str:
    """"" when storage takes writes, else the reason (the last probe's, if it is recent)."""
    now = time.monotonic()
    with _lock:
        checked = ctx.cache.get(PROBE)
        if checked is not None and now - checked[0] < PROBE_SECONDS:
            return checked[1]
    reason = _probe(ctx)
    with _lock:
        ctx.cache[PROBE] = (now, reason)
    return reason


def _probe(ctx: Context) -> str:
    try:
        ctx.storage.increment(PROBE_COUNTER)
    except (StorageError, OSError):
        return "storage_unwritable"
    return "storage_low" if disk_low(ctx) else ""


def disk_low(ctx: Context) -> bool:
    """True when a local disk has less free space than reports keep in reserve: uploads and visitor markers
    give way first. Object storage has no disk to run low (and these callers need no probe write)."""
    root = getattr(ctx.storage, "root", None)
    return isinstance(root, (str, os.PathLike)) and free_bytes(root) < LOCAL_RESERVE_BYTES


def free_bytes(root) -> int:
    """Free bytes for an unprivileged writer on the file system holding ``root`` (or, before the first write
    made it, its nearest existing parent)."""
    folder = Path(root)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        stat = os.statvfs(folder)
    except OSError:
        return 0
    return stat.f_bavail * stat.f_frsize


def health(request: Request, ctx: Context) -> Response:
    reason = storage_problem(ctx)
    if reason:
        raise ApiError(503, reason, MESSAGES[reason])
    return Response.json(200, {"status": "ok", "storage": ctx.storage.name})


ROUTES = [("GET", "/api/health", health)]
