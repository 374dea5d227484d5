"""Pre-compressed twins of every text file in the built site: ``.br`` (quality 11) and ``.gz`` (9).

The servers (``functions.web.site``, CloudFront, nginx ``gzip_static``) send them as they are,
so no request pays for compression.
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
from mkdocs.config.defaults import MkDocsConfig

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".map", ".webmanifest", ".ics", ".csv"}
MIN_BYTES = 512  # below this the headers cost more than they save


def _compress(path: Path) -> None:
    data = path.read_bytes()
    path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=11))
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def compress_tree(root: Path) -> int:
    files = [
        Path(dirpath) / name
        for dirpath, _dirs, names in os.walk(root)
        for name in names
        if Path(name).suffix in COMPRESSIBLE and (Path(dirpath) / name).stat().st_size >= MIN_BYTES
    ]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # brotli releases the GIL
        list(pool.map(_compress, files))
    return len(files)


def on_post_build(config: MkDocsConfig) -> None:
    compress_tree(Path(config.site_dir))
