"""Flask adapter: the app factory for local serving, self-hosting and (later) the officer console.

``create_app(config=None, storage=None)`` does all its work when called, none at import. Every public
request — API and the built site's files alike — goes through one blueprint whose single view hands
the request to ``functions.api.router.dispatch``: the same routing, errors and headers as on Lambda.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request

from ..api import public_router
from ..api.http import Context, Request, Response
from ..api.router import dispatch
from ..config import Config
from ..storage import open_storage

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

public = Blueprint("public", __name__)


def create_app(config: Config | dict | None = None, storage=None) -> Flask:
    if config is None:
        config = Config.from_env()
    elif isinstance(config, dict):
        config = Config.from_env(**config)
    app = Flask(__name__, static_folder=None)
    app.config["TESTING"] = config.testing
    app.extensions["bvte"] = Context(config=config, storage=storage or open_storage(config))
    app.extensions["bvte-router"] = public_router(site=True)
    app.register_blueprint(public)
    return app


def context(app: Flask) -> Context:
    return app.extensions["bvte"]


def router(app: Flask):
    """The app's ``functions.api.router.Router`` (tests add routes to it)."""
    return app.extensions["bvte-router"]


def to_request() -> Request:
    """The current Flask request as a neutral ``Request``; the body stays unread for ``dispatch``."""
    return Request(
        method=request.method,
        path=request.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=request.stream,
        client_address=request.remote_addr or "",
        host_url=request.host_url.rstrip("/"),
    )


def to_flask(response: Response):
    return current_app.response_class(response.body, status=response.status, headers=response.headers)


@public.route("/", defaults={"path": ""}, methods=METHODS, provide_automatic_options=False)
@public.route("/<path:path>", methods=METHODS, provide_automatic_options=False)
def answer(path: str):
    return to_flask(dispatch(router(current_app), to_request(), context(current_app)))
