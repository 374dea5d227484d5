"""``POST /api/visits`` (page-view beacon, 204) and ``GET /api/visits`` (the footer counter's figures).

No cookie is ever set and no address is stored (see ``functions.core.visits``). Bots, prefetches,
HEAD requests and cross-site beacons are answered 204 like any other but not counted, so a
crawler learns nothing and the figures stay about people; so is a beacon for a page this visitor was
already counted on in the last few minutes (``visits.record_view``).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from ..core import visits
from ..storage import StorageUnavailable
from .errors import ApiError
from .health import disk_low
from .http import SMALL_BODY_BYTES, Context, Request, Response, body_limit
from .security import over_limit, same_origin

CLOCK = "visits.clock"  # ctx.cache entry: a callable returning a Unix timestamp (tests inject one)
FIGURES = "visits.figures"  # ctx.cache entry: (read at, figures) reused for config.visits_cache_seconds
PAGE_CHARS = 300
_lock = threading.Lock()


def _now(ctx: Context) -> float:
    return ctx.cached(CLOCK, lambda: time.time)()


@body_limit(lambda config: SMALL_BODY_BYTES)  # a beacon carries nothing
def record(request: Request, ctx: Context) -> Response:
    # When the disk runs low, visitor markers are the first thing given up (reports keep the reserve).
    if (visits.is_countable(request.method, request.headers) and same_origin(request, ctx)
            and not disk_low(ctx)
            and not over_limit(request, ctx, "visits", ctx.config.visits_per_client_per_hour, now=_now(ctx))):
        try:
            visits.record_view(ctx.storage, ctx.secret(), _now(ctx), request.client_address,
                               request.header("user-agent"), _page(request))
        except StorageUnavailable:
            raise ApiError(503) from None
    return Response(204)


def _page(request: Request) -> str:
    """The page a beacon was sent from: its Referer's path (the site's policy sends it to its own origin),
    at most 300 characters; "" when there is none."""
    try:
        return urlsplit(request.header("referer")).path[:PAGE_CHARS]
    except ValueError:  # a Referer no URL parser accepts ("http://[x"): an unknown page
        return ""


def _figures(ctx: Context) -> visits.Counts:
    """Figures, reused for a few seconds: every page asks for them, and each read is six counter calls
    (on DynamoDB, six billed writes), so a busy site would otherwise pay for reads more than for views."""
    now = _now(ctx)
    ttl = ctx.config.visits_cache_seconds
    with _lock:
        cached = ctx.cache.get(FIGURES)
        if ttl > 0 and cached is not None and 0 <= now - cached[0] < ttl:
            return cached[1]
    figures = visits.read_counts(ctx.storage, now)
    with _lock:
        ctx.cache[FIGURES] = (now, figures)
    return figures


def counts(request: Request, ctx: Context) -> Response:
    try:
        figures = _figures(ctx)
    except StorageUnavailable:
        raise ApiError(503) from None
    return Response.json(200, {
        **figures.as_dict(),
        # What the numbers mean, so the widget (and anyone reading the API) labels them right.
        "counts": "page_views",
        "online_window_seconds": visits.WINDOW_SECONDS,
        "timezone": "Asia/Ho_Chi_Minh",
    })


ROUTES = [
    ("POST", "/api/visits", record),
    ("GET", "/api/visits", counts),
]
