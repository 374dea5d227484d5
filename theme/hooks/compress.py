"""Pre-compressed twins of every text file in the built site: ``.br`` and ``.gz`` (level 9).

The servers (``functions.web.site``, CloudFront, nginx ``gzip_static``) send them as they are,
so no request pays for compression. Brotli quality 11 costs ~16 ms per 11 kB page here, which
would dominate a 10,000-directive build, so: quality 11 for shared assets and small sites,
quality 7 (~0.7 ms, ~10 % larger) for HTML when the site has more than ``MANY_PAGES`` pages,
quality 9 for files over 1 MB (a large search index).
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
from mkdocs.config.defaults import MkDocsConfig

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".webmanifest", ".ics", ".csv"}
MIN_BYTES = 512  # below this the headers cost more than they save
MANY_PAGES = 1000


def brotli_quality(path: Path, size: int, html_pages: int) -> int:
    if size > 1024 * 1024:
        return 9
    if path.suffix == ".html" and html_pages > MANY_PAGES:
        return 7
    return 11


def _compress(path: Path, quality: int) -> None:
    data = path.read_bytes()
    path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=quality))
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def compress_tree(root: Path) -> int:
    files = [
        Path(dirpath) / name
        for dirpath, _dirs, names in os.walk(root)
        for name in names
        if Path(name).suffix in COMPRESSIBLE and (Path(dirpath) / name).stat().st_size >= MIN_BYTES
    ]
    html_pages = sum(1 for f in files if f.suffix == ".html")
    qualities = [brotli_quality(f, f.stat().st_size, html_pages) for f in files]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # brotli releases the GIL
        list(pool.map(_compress, files, qualities))
    return len(files)


def on_post_build(config: MkDocsConfig) -> None:
    compress_tree(Path(config.site_dir))
