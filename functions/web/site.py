"""The built site, served from ``config.site_dir``.

Pre-compressed ``.br``/``.gz`` twins written at build time are sent when the client accepts them.
Fingerprinted assets (``name.<hash>.min.js``) are cached for a year; everything else revalidates.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, request, send_file
from werkzeug.security import safe_join

from ..api.security import REFERRER_POLICY, site_csp
from ..core.assets import LONG_CACHE, is_fingerprinted

SITE_HEADERS = {
    "Referrer-Policy": REFERRER_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

blueprint = Blueprint("site", __name__)


def _site_dir() -> Path:
    from . import context

    return Path(context(current_app).config.site_dir)


def _resolve(path: str) -> Path | None:
    root = _site_dir()
    joined = safe_join(str(root), path) if path else str(root)
    if joined is None:
        return None
    target = Path(joined)
    if target.is_dir():
        if path and not path.endswith("/"):
            return None  # redirected by the caller
        target = target / "index.html"
    return target if target.is_file() else None


def _accepts(encoding: str) -> bool:
    return any(part.split(";")[0].strip() == encoding for part in request.headers.get("Accept-Encoding", "").split(","))


@blueprint.route("/", defaults={"path": ""}, methods=["GET", "HEAD"])
@blueprint.route("/<path:path>", methods=["GET", "HEAD"])
def serve(path: str):
    if path.startswith("api/"):
        # An API path reached with GET/HEAD: 405 if it exists for other methods, else 404.
        abort(405 if "/" + path in current_app.extensions["bvte-api-paths"] else 404)
    target = _resolve(path)
    if target is None:
        root = _site_dir()
        joined = safe_join(str(root), path)
        if path and joined and Path(joined).is_dir():
            from flask import redirect

            return redirect("/" + path + "/", code=301)
        not_found = root / "404.html"
        if not_found.is_file():
            response = send_file(not_found, mimetype="text/html", max_age=0)
            response.status_code = 404
            return _headers(response, "404.html")
        abort(404)
    mimetype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype in ("application/javascript", "application/json", "application/xml"):
        mimetype += "; charset=utf-8"
    encoding = None
    for name, suffix in (("br", ".br"), ("gzip", ".gz")):
        twin = target.with_name(target.name + suffix)
        if _accepts(name) and twin.is_file():
            target, encoding = twin, name
            break
    response = send_file(target, mimetype=mimetype, conditional=True, etag=True, max_age=0)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return _headers(response, target.name)


def _headers(response, name: str):
    response.headers["Vary"] = "Accept-Encoding"
    if is_fingerprinted(name):
        response.headers["Cache-Control"] = LONG_CACHE
    else:
        response.headers["Cache-Control"] = "no-cache"
    for key, value in SITE_HEADERS.items():
        response.headers.setdefault(key, value)
    if response.mimetype == "text/html":
        from . import context

        response.headers.setdefault("Content-Security-Policy", site_csp(context(current_app).config))
    return response


def register(app: Flask) -> None:
    app.register_blueprint(blueprint)
