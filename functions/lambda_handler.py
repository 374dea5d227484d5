"""AWS Lambda entry point for API Gateway HTTP API (payload format 2.0): a thin line into the router.

``handler(event, context)`` turns the event into a neutral ``Request`` (body still raw) and hands it to
``functions.api.router.dispatch`` — the same routing, body parsing, errors and headers as the Flask
app — then returns the HTTP API response dict.

Flask and Werkzeug are never imported here (a Lambda has no use for them and they cost cold-start
time). Everything heavy — the routes, the storage client, boto3 — is imported on the first request,
and the ``Context`` (settings from ``BVTE_*``, storage) is built once per container and reused.
"""

from __future__ import annotations

import base64
import binascii
import io

_state: dict = {}

TEXT_TYPES = ("text/", "application/json", "application/xml", "image/svg+xml", "application/javascript")


# -- the per-container state -----------------------------------------------------------------
def get_context():
    """The ``Context`` of this container: built on first use from the environment, then reused."""
    ctx = _state.get("ctx")
    if ctx is None:
        from .api.http import Context
        from .config import Config
        from .storage import open_storage

        config = Config.from_env()
        ctx = Context(config=config, storage=open_storage(config))
        _state["ctx"] = ctx
    return ctx


def set_context(ctx) -> None:
    """Use this ``Context`` (tests, or a caller that built its own); ``None`` rebuilds from env."""
    _state.pop("router", None)
    if ctx is None:
        _state.pop("ctx", None)
    else:
        _state["ctx"] = ctx


def _router():
    """The routes of this function's areas (``BVTE_LAMBDA_AREAS``; all when empty): one function per
    endpoint then imports only its own handlers, not every area's libraries (openpyxl, Pillow...)."""
    router = _state.get("router")
    if router is None:
        from .api import public_router

        router = _state["router"] = public_router(getattr(get_context().config, "lambda_areas", ""))
    return router


# -- event -> Request ------------------------------------------------------------------------
class _UndecodableBody(io.RawIOBase):
    """A body API Gateway marked base64 that is not: reading it is the client's error (400)."""

    def readinto(self, buffer) -> int:
        raise ValueError("body is not valid base64")


def _body(event: dict):
    body = event.get("body")
    if body is None:
        return io.BytesIO()
    if event.get("isBase64Encoded"):
        try:
            return io.BytesIO(base64.b64decode(body, validate=False))
        except (binascii.Error, ValueError, TypeError):
            return _UndecodableBody()
    # "replace": a lone surrogate in the event's text must not make the body unreadable (it reads as "?").
    return io.BytesIO(body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body))


def _from_edge(headers: dict, config) -> bool:
    import hmac

    secret = getattr(config, "edge_secret", "")
    return bool(secret) and hmac.compare_digest(headers.get("x-bvte-edge", "").encode(), secret.encode())


def _path(event: dict) -> str:
    rc = event.get("requestContext") or {}
    path = event.get("rawPath") or (rc.get("http") or {}).get("path") or "/"
    stage = rc.get("stage") or "$default"
    return path[len(stage) + 1:] if stage != "$default" and path.startswith(f"/{stage}/") else path


def _client_address(headers: dict, http: dict, config) -> str:
    # Behind CloudFront the socket peer is an edge server; CloudFront passes the viewer's address. It is
    # believed only with CloudFront's secret header: a client calling the API's own URL could forge it.
    viewer = headers.get("cloudfront-viewer-address", "") if _from_edge(headers, config) else ""
    return viewer.rsplit(":", 1)[0].strip("[]") if viewer else http.get("sourceIp", "")


def to_request(event: dict, config):
    """A neutral ``Request`` from an API Gateway HTTP API v2 event (the body left for ``dispatch``)."""
    from .api.http import Request, clean_text

    rc = event.get("requestContext") or {}
    http = rc.get("http") or {}
    headers = {clean_text(str(k)).lower(): clean_text(str(v)) for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    proto = headers.get("x-forwarded-proto", "https")
    # Behind CloudFront, ApiForwardHost (template.yaml) passes the site's host: the Origin check
    # compares with it. A forged value cannot come from another site's form (no custom headers there).
    domain = headers.get("x-forwarded-host") or rc.get("domainName") or headers.get("host", "")
    return Request(method=clean_text(str(http.get("method") or "GET")).upper(), path=clean_text(_path(event)),
                   headers=headers,
                   body=_body(event), client_address=_client_address(headers, http, config),
                   host_url=f"{proto}://{domain}" if domain else "")


# -- Response -> HTTP API answer -------------------------------------------------------------
def to_result(response) -> dict:
    headers = dict(response.headers)
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body = response.body or b""
    if not body or ctype.startswith(TEXT_TYPES):
        try:
            return {"statusCode": response.status, "headers": headers, "body": body.decode("utf-8"),
                    "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"statusCode": response.status, "headers": headers, "body": base64.b64encode(body).decode("ascii"),
            "isBase64Encoded": True}


def handler(event: dict, context=None) -> dict:
    """The Lambda handler (``functions.lambda_handler.handler`` in template.yaml). No exception ever
    escapes it: an event that cannot even be turned into a request is answered like any other failure
    (Lambda would otherwise answer API Gateway's bare 500, without the public headers)."""
    from .api.router import dispatch

    try:
        ctx = get_context()
        return to_result(dispatch(_router(), to_request(event, ctx.config), ctx))
    except Exception as exc:  # noqa: BLE001 - the type only: the event may hold a report
        return _failure(400 if isinstance(exc, (AttributeError, TypeError, ValueError, KeyError)) else 500,
                        type(exc).__name__)


def _failure(status: int, kind: str) -> dict:
    """The single error shape with the public headers, for an event ``dispatch`` never saw."""
    import logging

    from .api.errors import ApiError
    from .api.security import PUBLIC_HEADERS

    logging.getLogger(__name__).error("event not handled: %s", kind)
    response = ApiError(status).response(dict(PUBLIC_HEADERS))
    return to_result(response)
