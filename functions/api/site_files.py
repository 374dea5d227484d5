"""The built site (``config.site_dir``) as a framework-neutral handler, for local serving and self-hosting.

Pre-compressed ``.br``/``.gz`` twins written at build time are sent when the client accepts them.
Fingerprinted assets (``name.<hash>.min.js``) are cached for a year; everything else revalidates
(ETag, 304). Paths under ``/api/`` are the API's: an unknown one is a JSON 404, never a page.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from ..core.assets import LONG_CACHE, is_fingerprinted
from .errors import ApiError
from .http import Context, Request, Response
from .security import REFERRER_POLICY, site_csp

SITE_HEADERS = {
    "Referrer-Policy": REFERRER_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
TEXT_TYPES = ("application/javascript", "application/json", "application/xml")


def resolve(root: Path, path: str) -> Path | None:
    """The file or folder ``path`` names inside ``root``; None for anything that would leave it."""
    parts = path.split("/")
    if "\\" in path or "\x00" in path or any(part in ("..", ".") for part in parts) or path.startswith("/"):
        return None
    target = root.joinpath(*[p for p in parts if p])
    return target if target.exists() else None


def _accepts(request: Request, encoding: str) -> bool:
    return any(part.split(";")[0].strip() == encoding for part in request.header("accept-encoding").split(","))


def _mimetype(name: str) -> str:
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype in TEXT_TYPES:
        mimetype += "; charset=utf-8"
    return mimetype


def _headers(ctx: Context, name: str, mimetype: str) -> dict[str, str]:
    headers = {"Content-Type": mimetype, "Vary": "Accept-Encoding",
               "Cache-Control": LONG_CACHE if is_fingerprinted(name) else "no-cache", **SITE_HEADERS}
    if mimetype.startswith("text/html"):
        headers["Content-Security-Policy"] = site_csp(ctx.config)
    return headers


def _file(request: Request, ctx: Context, target: Path, status: int = 200) -> Response:
    mimetype = _mimetype(target.name)
    headers = _headers(ctx, target.name, mimetype)
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        twin = target.with_name(target.name + suffix)
        if _accepts(request, encoding) and twin.is_file():
            target = twin
            headers["Content-Encoding"] = encoding
            break
    stat = target.stat()
    headers["ETag"] = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    if status == 200 and headers["ETag"] in [t.strip() for t in request.header("if-none-match").split(",")]:
        return Response(304, headers=headers)
    return Response(status, target.read_bytes(), headers)


def serve(request: Request, ctx: Context) -> Response:
    path = request.params.get("path", "")
    if path == "api" or path.startswith("api/"):
        raise ApiError(404)
    root = Path(ctx.config.site_dir)
    target = resolve(root, path)
    if target is not None and target.is_dir():
        if path and not path.endswith("/"):
            return Response(301, headers={"Location": "/" + path + "/", **SITE_HEADERS})
        target = target / "index.html"
    if target is not None and target.is_file():
        return _file(request, ctx, target)
    not_found = root / "404.html"
    if not_found.is_file():
        return _file(request, ctx, not_found, status=404)
    raise ApiError(404)


ROUTES = [
    ("GET", "/", serve),
    ("GET", "/<path:path>", serve),
]
