"""AWS Lambda entry point for API Gateway HTTP API (payload format 2.0): the same handlers as Flask.

``handler(event, context)`` turns the event into a ``functions.api.http.Request`` (urlencoded, JSON or
multipart body, base64 or not), finds the route among ``functions.api.all_routes()``, calls the
framework-neutral handler and returns the HTTP API response dict with the public headers.

Flask and Werkzeug are never imported here (a Lambda has no use for them and they cost cold-start
time); multipart bodies are parsed with ``python-multipart``. Everything heavy — the routes, the
storage client, boto3 — is imported on the first request, and the ``Context`` (settings from
``BVTE_*``, storage) is built once per container and reused.
"""

from __future__ import annotations

import base64
import json
import logging
import re

log = logging.getLogger(__name__)

_state: dict = {}

TEXT_TYPES = ("text/", "application/json", "application/xml", "image/svg+xml", "application/javascript")


class BadRequest(Exception):
    def __init__(self, status: int, code: str):
        super().__init__(code)
        self.status, self.code = status, code


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
    _state.pop("routes", None)
    if ctx is None:
        _state.pop("ctx", None)
    else:
        _state["ctx"] = ctx


def _area_routes(areas: str):
    """Routes of the named areas only (``BVTE_LAMBDA_AREAS``), or of all: one function per endpoint
    then imports only its own handlers, not every area's libraries (openpyxl, Pillow...)."""
    names = [a.strip() for a in areas.split(",") if a.strip()]
    if not names:
        from .api import all_routes

        return all_routes()
    import importlib

    routes = []
    for name in names:
        if not re.fullmatch(r"[a-z_]+", name):
            raise ValueError(f"BVTE_LAMBDA_AREAS: bad area name {name!r}")
        routes.extend(importlib.import_module(f"functions.api.{name}").ROUTES)
    return routes


def _routes():
    table = _state.get("routes")
    if table is None:
        table = []
        for method, path, view in _area_routes(getattr(get_context().config, "lambda_areas", "")):
            # Flask-style "<name>" or "<type:name>" segments match one path segment.
            pattern = re.escape(path)
            pattern = re.sub(r"<[^>]*>", "[^/]+", pattern)
            table.append((method.upper(), re.compile(f"^{pattern}$"), view))
        _state["routes"] = table
    return table


# -- event -> Request ------------------------------------------------------------------------
def _body_bytes(event: dict) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=False)
        except (ValueError, TypeError):
            raise BadRequest(400, "bad_request") from None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in content_type.split(";")]
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def _is_json(mimetype: str) -> bool:
    # Same rule as Werkzeug's ``is_json``.
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _parse_multipart(body: bytes, boundary: str, memory_limit: int = 1024 * 1024):
    """Fields and files of a multipart body; file parts go to spooled temporary files."""
    import tempfile

    from python_multipart.multipart import MultipartParser, parse_options_header

    from .api.http import Upload

    form: dict[str, list[str]] = {}
    files: list = []
    current: dict = {}

    def on_part_begin():
        current.clear()
        current.update(headers={}, field=b"", value=b"", data=[], stream=None)

    def on_header_field(data, start, end):
        current["field"] += data[start:end]

    def on_header_value(data, start, end):
        current["value"] += data[start:end]

    def on_header_end():
        current["headers"][current["field"].decode("latin-1").lower()] = current["value"]
        current["field"], current["value"] = b"", b""

    def on_headers_finished():
        _, params = parse_options_header(current["headers"].get("content-disposition", b""))
        current["name"] = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        current["filename"] = None if filename is None else filename.decode("utf-8", "replace")
        if current["filename"] is not None:
            current["stream"] = tempfile.SpooledTemporaryFile(max_size=memory_limit)

    def on_part_data(data, start, end):
        if current["stream"] is not None:
            current["stream"].write(data[start:end])
        else:
            current["data"].append(data[start:end])

    def on_part_end():
        if current["stream"] is None:
            form.setdefault(current["name"], []).append(b"".join(current["data"]).decode("utf-8", "replace"))
            return
        stream = current["stream"]
        size = stream.tell()
        stream.seek(0)
        # Like the Flask adapter: an empty file input (no name, no bytes) is not an upload.
        if current["filename"] or size:
            ctype = current["headers"].get("content-type", b"").decode("latin-1")
            mimetype = ctype.split(";")[0].strip().lower()
            files.append(Upload(field=current["name"], filename=current["filename"] or "",
                                content_type=mimetype, stream=stream))
        else:
            stream.close()

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    try:
        parser.write(body)
        parser.finalize()
    except Exception:  # noqa: BLE001 - any malformed body is the client's error
        raise BadRequest(400, "bad_request") from None
    return form, files


def _from_edge(headers: dict, config) -> bool:
    import hmac

    secret = getattr(config, "edge_secret", "")
    return bool(secret) and hmac.compare_digest(headers.get("x-bvte-edge", "").encode(), secret.encode())


def to_request(event: dict, config):
    """A neutral ``Request`` from an API Gateway HTTP API v2 event."""
    from urllib.parse import parse_qs

    from .api.http import Request

    rc = event.get("requestContext") or {}
    http = rc.get("http") or {}
    method = (http.get("method") or "GET").upper()
    path = event.get("rawPath") or http.get("path") or "/"
    stage = rc.get("stage") or "$default"
    if stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1:]
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])

    body = _body_bytes(event)
    if len(body) > config.max_request_bytes:
        raise BadRequest(413, "request_entity_too_large")

    mimetype, params = _media_type(headers.get("content-type", ""))
    form: dict[str, list[str]] = {}
    files: list = []
    json_body = None
    if method not in ("GET", "HEAD"):
        if _is_json(mimetype):
            try:
                json_body = json.loads(body.decode("utf-8")) if body else None
            except (ValueError, UnicodeDecodeError):
                json_body = None
        elif mimetype == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        elif mimetype == "multipart/form-data":
            if not params.get("boundary"):
                raise BadRequest(400, "bad_request")
            form, files = _parse_multipart(body, params["boundary"])

    # Behind CloudFront the socket peer is an edge server; CloudFront passes the viewer's address. It is
    # believed only with CloudFront's secret header: a client calling the API's own URL could forge it.
    viewer = headers.get("cloudfront-viewer-address", "") if _from_edge(headers, config) else ""
    client = viewer.rsplit(":", 1)[0].strip("[]") if viewer else http.get("sourceIp", "")
    proto = headers.get("x-forwarded-proto", "https")
    # Behind CloudFront, ApiForwardHost (template.yaml) passes the site's host: the Origin check
    # compares with it. A forged value cannot come from another site's form (no custom headers there).
    domain = headers.get("x-forwarded-host") or rc.get("domainName") or headers.get("host", "")
    return Request(method=method, path=path, headers=headers, form=form, files=files, json_body=json_body,
                   client_address=client, host_url=f"{proto}://{domain}" if domain else "")


# -- Response -> HTTP API answer -------------------------------------------------------------
def to_result(response, config=None) -> dict:
    from .api.security import PUBLIC_HEADERS, public_headers

    headers = {**(public_headers(config) if config is not None else PUBLIC_HEADERS), **response.headers}
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


def _error(status: int, code: str) -> dict:
    from .api.errors import json_error

    return to_result(json_error(status, code))


def handler(event: dict, context=None) -> dict:
    """The Lambda handler (``functions.lambda_handler.handler`` in template.yaml)."""
    ctx = get_context()
    try:
        request = to_request(event, ctx.config)
    except BadRequest as exc:
        return _error(exc.status, exc.code)
    allowed = False
    for method, pattern, view in _routes():
        if not pattern.match(request.path):
            continue
        allowed = True
        if method == request.method or (method == "GET" and request.method == "HEAD"):
            break
    else:
        return _error(405, "method_not_allowed") if allowed else _error(404, "not_found")
    try:
        return to_result(view(request, ctx), ctx.config)
    except Exception as exc:  # noqa: BLE001
        from .storage import StorageUnavailable

        if isinstance(exc, StorageUnavailable):
            log.error("storage unavailable on %s %s", request.method, request.path)
            return _error(503, "storage_unavailable")
        # The type only: never the request's content, which may hold a report.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
        return _error(500, "internal")
    finally:
        for upload in request.files:
            try:
                upload.stream.close()
            except Exception:  # noqa: BLE001
                pass
