"""One way through the HTTP layer: match a route, run its handler, answer every failure the same way.

``Router`` maps (method, path template) to a framework-neutral handler; ``dispatch`` is the only
function an adapter calls (the Flask app, the Lambda entry point, the local site server): it matches
(404/405), parses the body within the size limit (the route's own, ``http.body_limit``, or the global
one; ``functions.api.body``), runs the handler, turns
``ApiError`` into the single error shape, answers storage failures 503 and anything else 500 without
a word of the request in the log, adds the public headers to API answers, and closes the uploads.
"""

from __future__ import annotations

import logging
import re
from typing import Iterable

from ..core.store import StorageUnavailable
from .body import read_body
from .errors import ApiError
from .http import Context, Handler, Request, Response
from .security import public_headers

log = logging.getLogger(__name__)

# "<name>" matches one path segment, "<path:name>" the rest of the path (possibly empty).
_PARAM = re.compile(r"<(?:(path):)?([A-Za-z_][A-Za-z0-9_]*)>")


def _compile(template: str) -> re.Pattern:
    pattern, last = "", 0
    for m in _PARAM.finditer(template):
        pattern += re.escape(template[last:m.start()])
        pattern += f"(?P<{m.group(2)}>.*)" if m.group(1) else f"(?P<{m.group(2)}>[^/]+)"
        last = m.end()
    return re.compile("^" + pattern + re.escape(template[last:]) + "$")


class Router:
    """Routes in the order added, catch-alls last: the first template that matches the path decides."""

    def __init__(self, routes: Iterable[tuple[str, str, Handler]] = ()):
        self._routes: list[tuple[str, str, re.Pattern, Handler]] = []
        for method, path, handler in routes:
            self.add(method, path, handler)

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._routes.append((method.upper(), path, _compile(path), handler))
        # Catch-alls ("<path:…>") come after every other template, whenever they were added.
        self._routes.sort(key=lambda route: "<path:" in route[1])

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [(method, path, handler) for method, path, _pattern, handler in self._routes]

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters; ``ApiError`` 404 (no such path) or 405 (not this method).

        The first template that matches the path decides which routes apply; the method picks among
        the routes of that template (so a catch-all added later never answers for a known path).
        """
        method = "GET" if method == "HEAD" else method
        template, allowed = None, []
        for route_method, route_template, pattern, handler in self._routes:
            if template is not None and route_template != template:
                continue
            m = pattern.match(path)
            if m is None:
                continue
            template = route_template
            if route_method == method:
                return handler, m.groupdict()
            allowed.append(route_method)
        if allowed:
            raise MethodNotAllowed(allowed)
        raise ApiError(404)


class MethodNotAllowed(ApiError):
    def __init__(self, allowed: list[str]):
        super().__init__(405)
        self.allowed = sorted(set(allowed) | ({"HEAD"} if "GET" in allowed else set()) | {"OPTIONS"})


def _answer(router: Router, request: Request, ctx: Context) -> Response:
    try:
        handler, request.params = router.match(request.method, request.path)
    except MethodNotAllowed as exc:
        allow = {"Allow": ", ".join(exc.allowed)}
        if request.method == "OPTIONS":  # no cross-origin access is granted: just what the path takes
            return Response(204, headers=allow)
        return exc.response(allow)
    own_limit = getattr(handler, "max_body_bytes", None)
    max_bytes = ctx.config.max_request_bytes
    if own_limit is not None:
        max_bytes = min(max_bytes, own_limit(ctx.config))
    read_body(request, max_bytes, files_in_memory=getattr(handler, "files_in_memory", False))
    return handler(request, ctx)


def _api_headers(ctx: Context, response: Response) -> dict[str, str]:
    """The public headers; a page in the site's look may also run the shell's own inline scripts."""
    headers = public_headers(ctx.config)
    if response.headers.get("Content-Type", "").startswith("text/html"):
        from ..pages import page_csp

        headers = {**headers, "Content-Security-Policy": page_csp(ctx, headers["Content-Security-Policy"])}
    return headers


def dispatch(router: Router, request: Request, ctx: Context) -> Response:
    """The answer to ``request``: never raises, never leaks the request's content into logs."""
    try:
        try:
            response = _answer(router, request, ctx)
        except ApiError as exc:
            response = exc.response()
        except StorageUnavailable:
            # Handlers that keep the person's input answer storage failures themselves; this is the backstop.
            log.error("storage unavailable on %s %s", request.method, request.path)
            response = ApiError(503).response()
        except Exception as exc:  # noqa: BLE001 - the type only: the request may hold a report
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
            response = ApiError(500).response()
        if request.path.startswith("/api/"):
            response.headers = {**_api_headers(ctx, response), **response.headers}
        if request.method == "HEAD":
            response.body = b""
        return response
    finally:
        request.close()
