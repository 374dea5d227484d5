"""Blueprints for the public endpoints: Flask requests in, neutral handlers, Flask responses out."""

from __future__ import annotations

import logging
from collections import defaultdict

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException

from ..api import all_routes
from ..api.errors import json_error
from ..api.http import Request, Response, Upload
from ..api.security import public_headers
from ..storage import StorageUnavailable

log = logging.getLogger(__name__)


def to_request() -> Request:
    json_body = request.get_json(silent=True) if request.is_json else None
    files = [
        Upload(field=name, filename=f.filename or "", content_type=f.mimetype or "", stream=f.stream)
        for name, f in request.files.items(multi=True)
    ]
    # An empty file input (no name, no bytes) is not an upload; a file with bytes but no name is
    # (the part's own Content-Length header is almost never sent, so it cannot decide).
    files = [u for u in files if u.filename or u.size()]
    return Request(
        method=request.method,
        path=request.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        form=request.form.to_dict(flat=False),
        files=files,
        json_body=json_body,
        client_address=request.remote_addr or "",
        host_url=request.host_url.rstrip("/"),
    )


def to_flask(response: Response):
    flask_response = current_app.response_class(response.body, status=response.status)
    from . import context

    for name, value in {**public_headers(context(current_app).config), **response.headers}.items():
        flask_response.headers[name] = value
    return flask_response


def _view(handler):
    def view(**_kwargs):
        from . import context

        return to_flask(handler(to_request(), context(current_app)))

    view.__name__ = handler.__name__
    return view


def register(app: Flask) -> None:
    by_area: dict[str, list] = defaultdict(list)
    routes = all_routes()
    app.extensions["bvte-api-paths"] = {path for _method, path, _handler in routes}
    for method, path, handler in routes:
        by_area[handler.__module__.rsplit(".", 1)[-1]].append((method, path, handler))
    for area, routes in by_area.items():
        blueprint = Blueprint(f"api_{area}", __name__)
        for method, path, handler in routes:
            blueprint.add_url_rule(path, endpoint=handler.__name__, view_func=_view(handler), methods=[method])
        app.register_blueprint(blueprint)

    @app.after_request
    def api_headers(response):
        # Answers Flask makes itself (automatic OPTIONS, redirects) get the same headers as ours.
        if request.path.startswith("/api/"):
            from . import context

            for name, value in public_headers(context(current_app).config).items():
                response.headers.setdefault(name, value)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        return to_flask(json_error(exc.code or 500, exc.name.lower().replace(" ", "_")))

    @app.errorhandler(StorageUnavailable)
    def storage_down(exc: StorageUnavailable):
        # Handlers answer storage failures themselves (keeping the input); this is the backstop,
        # the same answer the Lambda adapter gives.
        log.error("storage unavailable on %s %s", request.method, request.path)
        return to_flask(json_error(503, "storage_unavailable"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # The type only: never the request's content, which may hold a report.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
        return to_flask(json_error(500, "internal"))
