"""Local directory backend: durable create-only writes with temp file + fsync + link + dir fsync."""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import time
from pathlib import Path
from typing import Iterator

from . import AlreadyExists, NotFound, StorageUnavailable, check_key


class LocalStorage:
    name = "local"

    def __init__(self, root: Path | str):
        self.root = Path(root)

    # -- helpers ---------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _makedirs(self, directory: Path) -> None:
        # Create missing parents one by one so each new directory entry is fsynced too.
        missing = []
        d = directory
        while not d.exists():
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            self._fsync_dir(d.parent)

    # -- contract --------------------------------------------------------------------------
    def create(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = None
        try:
            self._makedirs(path.parent)
            tmp = path.parent / f".tmp-{secrets.token_hex(8)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # atomic, and fails if the key exists: create-only
            except FileExistsError:
                raise AlreadyExists(key) from None
            self._fsync_dir(path.parent)
        except (AlreadyExists, ValueError):
            raise
        except OSError as exc:
            raise StorageUnavailable(f"local write failed: {errno.errorcode.get(exc.errno, exc.errno)}") from exc
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

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
        if not self.root.is_dir():
            return iter(())
        keys = []
        for dirpath, dirnames, filenames in os.walk(self.root):
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
            self._makedirs(path.parent)
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
