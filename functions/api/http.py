"""Request, response and per-process context types shared by every adapter."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import IO, Any, Callable

from ..config import Config


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (valid in JSON, not encodable as UTF-8) replaced by U+FFFD: nothing
    downstream — validation, encryption, a log line — can then fail to encode what a client sent."""
    return _SURROGATE.sub("\ufffd", text)


def scalar(value: Any) -> Any:
    """A JSON member as a form field: text cleaned, numbers and booleans kept, containers dropped (no field
    of any endpoint is a list or an object, and a deeply nested one must never reach ``str``)."""
    if isinstance(value, str):
        return clean_text(value)
    return value if isinstance(value, (int, float, bool)) else None


@dataclass
class Upload:
    """One uploaded file. ``stream`` is positioned at 0; large files live on disk, not in memory."""

    field: str
    filename: str
    content_type: str
    stream: IO[bytes]

    def read(self, limit: int | None = None) -> bytes:
        self.stream.seek(0)
        return self.stream.read() if limit is None else self.stream.read(limit)

    def size(self) -> int:
        pos = self.stream.tell()
        self.stream.seek(0, 2)
        end = self.stream.tell()
        self.stream.seek(pos)
        return end


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # keys lower-case
    form: dict[str, list[str]] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)
    json_body: Any = None
    # Opaque client identity for rate limits only (an IP address): never stored or logged as is.
    client_address: str = ""
    # Scheme + host the request reached, e.g. "http://127.0.0.1:8000" (for the Origin check).
    host_url: str = ""
    # The raw body until ``functions.api.body.read_body`` parses it into form/files/json_body.
    body: IO[bytes] | None = None
    # Values of the route template's ``<name>`` segments.
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def value(self, name: str, default: str = "") -> str:
        """First value of a form field or JSON member, as text."""
        if isinstance(self.json_body, dict):
            v = self.json_body.get(name, default)
            return v if isinstance(v, str) else (default if v is None else str(v))
        values = self.form.get(name)
        return values[0] if values else default

    def close(self) -> None:
        """Release the uploads' temporary files."""
        for upload in self.files:
            try:
                upload.stream.close()
            except Exception:  # noqa: BLE001 - closing must never turn an answer into an error
                pass

    @property
    def wants_json(self) -> bool:
        accept = self.header("accept")
        return self.json_body is not None or ("application/json" in accept and "text/html" not in accept)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> "Response":
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def html(cls, status: int, text: str, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8", **(headers or {})})


@dataclass
class Context:
    """What handlers need that lives longer than a request: settings, storage, loaded data."""

    config: Config
    storage: Any
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, name: str, load: Callable[[], Any]) -> Any:
        if name not in self.cache:
            self.cache[name] = load()
        return self.cache[name]

    def secret(self) -> bytes:
        """The server secret for keyed hashes (see ``functions.server_secret``)."""
        from ..server_secret import load_or_create_secret

        return self.cached("secret", lambda: load_or_create_secret(self.config))


Handler = Callable[[Request, Context], Response]

SMALL_BODY_BYTES = 4 * 1024  # a receipt, a beacon, a file announcement: a few hundred bytes at most


def body_limit(max_bytes: Callable[[Config], int], *, files_in_memory: bool = False):
    """Mark a handler with its own request-body limit (``max_bytes(config)``, never above the global
    ``config.max_request_bytes``) and, with ``files_in_memory``, keep its uploaded files in memory: a
    report's photos must never touch the disk before they are sealed (its limit keeps that small)."""
    def mark(handler: Handler) -> Handler:
        handler.max_body_bytes = max_bytes
        handler.files_in_memory = files_in_memory
        return handler

    return mark
