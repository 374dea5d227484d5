"""Upload the built site to its bucket with the right headers, pre-compressed twins included.

    python deploy/upload_site.py --site site --bucket BUCKET [--endpoint-url URL] [--prefix P]

For every file X: X itself (Content-Type with charset for text, Cache-Control). For every compressible
X (the extensions of theme/hooks/compress.py) also X.br and X.gz: the twin the build made, stored with
``Content-Encoding: br``/``gzip`` and X's Content-Type — or, where the build made none (files under
512 bytes), an identical copy of X without Content-Encoding. CloudFront's viewer-request function
(``SiteRewrite`` in template.yaml) appends .br/.gz to the path by the browser's Accept-Encoding, so
every such path exists and each answer carries the encoding its bytes really have.
Credentials: the usual AWS variables or profile (the officer's, never the functions').
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from functions.core.assets import LONG_CACHE, is_fingerprinted  # noqa: E402

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".webmanifest", ".ics", ".csv"}
TEXT = COMPRESSIBLE
TWINS = {".br": "br", ".gz": "gzip"}
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/calendar", ".ics")


def content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if path.suffix in TEXT else kind


def cache_control(rel: str) -> str:
    # Only fingerprinted names never change; pages, data and the feature scripts change in place.
    if is_fingerprinted(rel):
        return LONG_CACHE
    return "public, max-age=300"


def plan(site: Path) -> list[tuple[str, Path, dict]]:
    """(key, file, extra args) for every object to upload."""
    items = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        if path.suffix in TWINS and path.with_suffix("").suffix in COMPRESSIBLE:
            continue  # a twin: uploaded with its original below
        if rel.startswith("_shell/"):
            continue  # the functions' page shell: packaged with the Lambda, not a public page
        base = {"ContentType": content_type(path), "CacheControl": cache_control(rel)}
        items.append((rel, path, base))
        if path.suffix in COMPRESSIBLE:
            for suffix, encoding in TWINS.items():
                twin = path.with_name(path.name + suffix)
                if twin.is_file():
                    items.append((rel + suffix, twin, {**base, "ContentEncoding": encoding}))
                else:
                    items.append((rel + suffix, path, dict(base)))
    return items


def upload(site: Path, bucket: str, client, prefix: str = "") -> int:
    count = 0
    for key, path, extra in plan(site):
        client.put_object(Bucket=bucket, Key=prefix + key, Body=path.read_bytes(), **extra)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("site"))
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--endpoint-url", default="")
    parser.add_argument("--region", default="")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from functions.storage.s3 import make_s3_client

    client = make_s3_client(region=args.region, endpoint_url=args.endpoint_url, read_timeout=60)
    count = upload(args.site, args.bucket, client, args.prefix)
    print(f"{count} objects uploaded to {args.bucket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
