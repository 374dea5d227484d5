"""``GET /api/health``: liveness and the storage backend in use."""

from __future__ import annotations

from .http import Context, Request, Response


def health(request: Request, ctx: Context) -> Response:
    return Response.json(200, {"status": "ok", "storage": ctx.storage.name})


ROUTES = [("GET", "/api/health", health)]
