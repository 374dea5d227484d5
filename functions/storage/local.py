"""Local directory backend: durable create-only writes with temp file + fsync + link + dir fsync."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from typing import Iterator

from . import AlreadyExists, NotFound, OutcomeUnknown, StorageUnavailable, check_key
from .files import LinkedNotSynced, create_file, make_dirs


class LocalStorage:
    name = "local"

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    # -- contract --------------------------------------------------------------------------
    def create(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            create_file(path, data)
        except FileExistsError:
            raise AlreadyExists(key) from None
        except LinkedNotSynced as exc:
            raise OutcomeUnknown(f"local write not synced: {errno.errorcode.get(exc.errno, exc.errno)}") from exc
        except OSError as exc:
            raise StorageUnavailable(f"local write failed: {errno.errorcode.get(exc.errno, exc.errno)}") from exc

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(key) from None
        except IsADirectoryError:
            raise NotFound(key) from None
        except OSError as exc:
            raise StorageUnavailable("local read failed") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        # Walk only the folder the prefix lies in: the cost follows what is listed, not the whole store.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        top = self.root / folder if folder else self.root
        if not top.is_dir() or (folder and (".." in folder.split("/") or folder.startswith("."))):
            return iter(())
        keys = []
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root)
            for name in filenames:
                if name.startswith("."):
                    continue
                key = (rel / name).as_posix() if str(rel) != "." else name
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def increment(self, counter: str, amount: int = 1) -> int:
        path = self.root / ".counters" / check_key(counter)
        try:
            make_dirs(path.parent)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # serialises threads and processes alike
                raw = os.pread(fd, 64, 0)
                value = (int(raw) if raw.strip() else 0) + amount
                encoded = str(value).encode()
                os.ftruncate(fd, 0)
                os.pwrite(fd, encoded, 0)
                os.fsync(fd)
                return value
            finally:
                os.close(fd)  # releases the lock
        except OSError as exc:
            raise StorageUnavailable("local counter failed") from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageUnavailable("local delete failed") from exc

    # Short-lived data (keyed hashes of clients and visitors, uploads never claimed) and how long it may
    # stay. In the cloud, DynamoDB's TTL and the bucket's lifecycle rules (template.yaml) remove the same.
    SHORT_LIVED = {".counters/ratelimit": 2 * 3600, "visits/seen": 24 * 3600, ".counters/visits/online": 24 * 3600,
                   "uploads": 25 * 3600}  # an upload may be claimed for 24 hours (api/uploads.CLAIM_SECONDS)
    # A temporary file of a write interrupted by kill -9 or a power cut: no write takes this long.
    TEMP_LIFETIME = 3600
    # Attachments of a report whose record never came (a failed or uncertain write): a retry within this
    # time still finds them referenced by its record, so only older ones are removed.
    ORPHAN_LIFETIME = 2 * 24 * 3600

    def prune(self, now: float | None = None) -> int:
        """Delete short-lived files older than their lifetime, temporary files left by interrupted writes
        and attachments of reports (and of reporter messages) that were never committed; returns how many.
        Nothing that counts — a committed report or message, its attachments, an assessment — is ever touched."""
        now = time.time() if now is None else now
        removed = sum(self._prune_old(self.root / prefix, lifetime, now) for prefix, lifetime in self.SHORT_LIVED.items())
        return (removed + self._prune_temp_files(now) + self._prune_orphan_attachments(now)
                + self._prune_orphan_message_attachments(now))

    def _prune_old(self, top: Path, lifetime: float, now: float, keep=lambda name: False) -> int:
        """Delete files under ``top`` older than ``lifetime`` (except those ``keep`` names), then empty folders."""
        removed = 0
        for dirpath, _dirs, names in os.walk(top, topdown=False):
            for name in names:
                if not keep(name) and _older(Path(dirpath) / name, lifetime, now):
                    removed += 1
            if Path(dirpath) != top:
                try:
                    os.rmdir(dirpath)  # only succeeds once empty
                except OSError:
                    pass
        return removed

    def _prune_temp_files(self, now: float) -> int:
        removed = 0
        for dirpath, _dirs, names in os.walk(self.root):
            removed += sum(_older(Path(dirpath) / n, self.TEMP_LIFETIME, now) for n in names if n.startswith(".tmp-"))
        return removed

    def _prune_orphan_attachments(self, now: float) -> int:
        """Attachments under ``tips/<id>/attachments/`` of a tip with no record (of either format)."""
        from ..core.cases import record_keys

        tips = self.root / "tips"
        removed = 0
        for folder in (tips.iterdir() if tips.is_dir() else ()):
            attachments = folder / "attachments"
            if attachments.is_dir() and not folder.name.startswith(".") and not any(
                    self.exists(key) for key in record_keys(folder.name)):
                removed += self._prune_old(attachments, self.ORPHAN_LIFETIME, now)
        return removed

    def _prune_orphan_message_attachments(self, now: float) -> int:
        """Attachments under ``tips/<id>/messages/<name>/`` of a reporter message whose commit point
        ``<name>.json`` was never written (the same 2 days: a retry of the message may still commit)."""
        removed = 0
        for folder in sorted((self.root / "tips").glob("*/messages/*/")):
            tip_id, name = folder.parent.parent.name, folder.name
            if tip_id.startswith(".") or name.startswith(".") or self.exists(f"tips/{tip_id}/messages/{name}.json"):
                continue
            removed += self._prune_old(folder, self.ORPHAN_LIFETIME, now)
            try:
                folder.rmdir()  # only once empty
            except OSError:
                pass
        return removed

    def health(self) -> dict:
        return {"backend": self.name}


def _older(path: Path, lifetime: float, now: float) -> bool:
    """Delete ``path`` if it was last changed more than ``lifetime`` seconds before ``now``; True if it was."""
    try:
        if now - path.stat().st_mtime > lifetime:
            path.unlink()
            return True
    except FileNotFoundError:
        pass
    return False
