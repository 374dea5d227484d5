"""Flask adapter: the app factory for local serving, self-hosting and the officer console.

``create_app(config=None, storage=None)`` does all its work when called, none at import. The
public endpoints are framework-neutral handlers (``functions.api``); here they get one blueprint
per area, and the built site is served from ``config.site_dir`` with pre-compressed files.
"""

from __future__ import annotations

import logging

from flask import Flask

from ..api.http import Context
from ..config import Config
from ..storage import open_storage

log = logging.getLogger(__name__)


def create_app(config: Config | dict | None = None, storage=None) -> Flask:
    if config is None:
        config = Config.from_env()
    elif isinstance(config, dict):
        config = Config.from_env(**config)
    app = Flask(__name__, static_folder=None)
    app.config["TESTING"] = config.testing
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    # Werkzeug parses multipart parts above this size into temporary files, not memory.
    app.config["MAX_FORM_MEMORY_SIZE"] = 1024 * 1024
    app.extensions["bvte"] = Context(config=config, storage=storage or open_storage(config))

    from . import api, site

    api.register(app)
    site.register(app)
    return app


def context(app: Flask) -> Context:
    return app.extensions["bvte"]
