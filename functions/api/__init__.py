"""Framework-neutral HTTP handlers: each area's module exposes ``ROUTES``.

A handler takes ``(request: Request, ctx: Context)`` and returns a ``Response``. The Flask adapter
(``functions.web``) and the Lambda adapter (``functions.lambda_handler``) both translate to and
from these types, so the same code answers in both places.
"""

from __future__ import annotations

from .http import Context, Request, Response, Upload  # noqa: F401


def all_routes():
    """(method, path, handler) for every public endpoint, imported lazily per area."""
    from . import health, tips, assessments, visits, uploads

    routes = []
    for module in (health, tips, assessments, visits, uploads):
        routes.extend(module.ROUTES)
    return routes
