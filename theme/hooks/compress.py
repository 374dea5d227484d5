"""Pre-compressed twins of every text file in the built site: ``.br`` and ``.gz`` (level 9).

The servers (``functions.web.site``, CloudFront, nginx ``gzip_static``) send them as they are,
so no request pays for compression. Brotli quality 11 costs ~16 ms per 11 kB page here, which
would dominate a 10,000-directive build, so: quality 11 for shared assets and small sites,
quality 7 (~0.7 ms, ~10 % larger) for HTML when the site has more than ``MANY_PAGES`` pages,
quality 9 for files over 1 MB (a large search index).

Compressing is a pure function of the bytes, and most files are the same from one build to the
next (material's bundle, lunr's languages, unchanged pages): each twin is kept in a content-addressed
cache (``BVTE_COMPRESS_CACHE``, default ``~/.cache/bvte/compressed``; set it empty to turn it off)
and reused only after it decompresses to the very bytes it stands for — a damaged entry is made
again, never shipped. That takes a build's compression from ~5.5 s of CPU to ~0.1 s.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import brotli
from mkdocs.config.defaults import MkDocsConfig

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".webmanifest", ".ics", ".csv"}
MIN_BYTES = 512  # below this the headers cost more than they save
MANY_PAGES = 1000
CACHE_ENV = "BVTE_COMPRESS_CACHE"
_UNPACK = {"br": brotli.decompress, "gz": gzip.decompress}


def brotli_quality(path: Path, size: int, html_pages: int) -> int:
    if size > 1024 * 1024:
        return 9
    if path.suffix == ".html" and html_pages > MANY_PAGES:
        return 7
    return 11


def cache_folder() -> Path | None:
    """Where compressed twins are kept between builds; None when the cache is turned off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured.strip() else None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bvte" / "compressed"


def _store(entry: Path, packed: bytes) -> None:
    """Write a cache entry whole or not at all (parallel builds share the folder); a cache that cannot
    be written only costs time."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, delete=False) as temp:
            temp.write(packed)
        os.replace(temp.name, entry)
    except OSError:
        pass


def packed(cache: Path | None, data: bytes, kind: str, setting: int, pack: Callable[[], bytes]) -> bytes:
    """``pack()`` of ``data``, from the cache when an entry there unpacks to exactly ``data``."""
    if cache is None:
        return pack()
    digest = hashlib.sha256(data).hexdigest()
    entry = cache / digest[:2] / f"{digest}.{kind}{setting}"
    try:
        kept = entry.read_bytes()
        if _UNPACK[kind](kept) == data:
            return kept
    except (OSError, EOFError, zlib.error, brotli.error):
        pass
    made = pack()
    _store(entry, made)
    return made


def _compress(path: Path, quality: int, cache: Path | None) -> None:
    data = path.read_bytes()
    path.with_name(path.name + ".br").write_bytes(
        packed(cache, data, "br", quality, lambda: brotli.compress(data, quality=quality)))
    path.with_name(path.name + ".gz").write_bytes(
        packed(cache, data, "gz", 9, lambda: gzip.compress(data, compresslevel=9, mtime=0)))


def compress_tree(root: Path, cache: Path | None = None) -> int:
    files = [
        Path(dirpath) / name
        for dirpath, _dirs, names in os.walk(root)
        for name in names
        if Path(name).suffix in COMPRESSIBLE and (Path(dirpath) / name).stat().st_size >= MIN_BYTES
    ]
    html_pages = sum(1 for f in files if f.suffix == ".html")
    qualities = [brotli_quality(f, f.stat().st_size, html_pages) for f in files]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # brotli releases the GIL
        list(pool.map(_compress, files, qualities, [cache] * len(files)))
    return len(files)


def on_post_build(config: MkDocsConfig) -> None:
    compress_tree(Path(config.site_dir), cache_folder())
