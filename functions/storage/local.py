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

    # Short-lived data (keyed hashes of clients and visitors) and how long it may stay. In the cloud,
    # DynamoDB's TTL and the bucket's lifecycle rules (template.yaml) remove the same things.
    SHORT_LIVED = {".counters/ratelimit": 2 * 3600, "visits/seen": 24 * 3600, ".counters/visits/online": 24 * 3600}

    def prune(self, now: float | None = None) -> int:
        """Delete short-lived files older than their lifetime; returns how many. Nothing else is touched."""
        now = time.time() if now is None else now
        removed = 0
        for prefix, lifetime in self.SHORT_LIVED.items():
            top = self.root / prefix
            for dirpath, _dirs, names in os.walk(top, topdown=False):
                for name in names:
                    path = Path(dirpath) / name
                    try:
                        if now - path.stat().st_mtime > lifetime:
                            path.unlink()
                            removed += 1
                    except FileNotFoundError:
                        continue
                if Path(dirpath) != top:
                    try:
                        os.rmdir(dirpath)  # only succeeds once empty
                    except OSError:
                        pass
        return removed

    def health(self) -> dict:
        return {"backend": self.name}
