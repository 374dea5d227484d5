"""Framework-neutral HTTP handlers, one module per area, each exposing ``ROUTES``.

A handler takes ``(request: Request, ctx: Context)`` and returns a ``Response`` or raises
``ApiError``. ``functions.api.router.dispatch`` is the one way in for every adapter: the Flask app
(``functions.web``), the Lambda entry point (``functions.lambda_handler``) and, through the Flask
app, the local site server (``site_files``).
"""

from __future__ import annotations

import importlib
import re

from .http import Context, Request, Response, Upload  # noqa: F401

AREAS = ("health", "tips", "assessments", "visits", "uploads", "assessment_status", "tip_messages")


def all_routes(areas: str = "") -> list:
    """(method, path, handler) of the public endpoints of the named areas (comma-separated; all when
    empty), imported lazily: a Lambda function for one area loads only that area's libraries."""
    names = [a.strip() for a in areas.split(",") if a.strip()] or list(AREAS)
    routes = []
    for name in names:
        if not re.fullmatch(r"[a-z_]+", name) or name not in AREAS:
            raise ValueError(f"unknown API area {name!r} (expected one of {', '.join(AREAS)})")
        routes.extend(importlib.import_module(f"{__name__}.{name}").ROUTES)
    return routes


def public_router(areas: str = "", *, site: bool = False):
    """The router of the public endpoints, with the built site's files behind them when ``site``."""
    from .router import Router

    router = Router(all_routes(areas))
    if site:
        from . import site_files

        for route in site_files.ROUTES:
            router.add(*route)
    return router
