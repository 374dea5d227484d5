"""Request bodies: the one parser both adapters use (JSON, urlencoded, multipart), within one size limit.

Multipart is parsed with ``python-multipart``'s streaming ``MultipartParser``; file parts larger than
1 MiB spill to an unnamed temporary file (no name on disk, so nothing of a report's photo survives a
crash — its ``FormParser`` would spill to named files, which is why it is not used).
An empty file input (no name, no bytes) is not an upload; a file with bytes but no name is (the part's
own Content-Length header is almost never sent, so it cannot decide).
"""

from __future__ import annotations

import json
import tempfile
from typing import IO
from urllib.parse import parse_qs

from python_multipart.multipart import MultipartParser, parse_options_header

from .errors import ApiError
from .http import Request, Upload, clean_text, scalar

CHUNK = 64 * 1024
MEMORY_FILE_BYTES = 1024 * 1024
# Text is held in memory: a JSON or urlencoded body, or one text field of a multipart form, above this is
# refused (413) whatever the request limit — a report's longest field is a few thousand characters.
MEMORY_TEXT_BYTES = 1024 * 1024


def _options(content_type: str | bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """``parse_options_header`` on a header as sent: HTTP headers are Latin-1 (Lambda's event may carry
    any character: those become "?", so they can only make the header not match)."""
    if isinstance(content_type, str):
        content_type = content_type.encode("latin-1", "replace")
    return parse_options_header(content_type or b"")


def media_type(content_type: str | bytes) -> str:
    return _options(content_type)[0].decode("latin-1").lower()


def is_json(mimetype: str) -> bool:
    # Same rule as Werkzeug's ``is_json``.
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def is_upload(upload: Upload) -> bool:
    return bool(upload.filename) or upload.size() > 0


def read_body(request: Request, max_bytes: int, *, files_in_memory: bool = False) -> None:
    """Fill ``request.form``/``files``/``json_body`` from ``request.body``; ``ApiError`` 413 past
    ``max_bytes``, 400 for a malformed multipart body. Invalid JSON counts as no JSON. With
    ``files_in_memory`` no file byte is ever written to disk (the caller's ``max_bytes`` bounds them)."""
    stream, request.body = request.body, None
    if stream is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    declared = request.header("content-length")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413)
    mimetype = media_type(request.header("content-type"))
    try:
        _parse(request, stream, mimetype, max_bytes, max_bytes if files_in_memory else MEMORY_FILE_BYTES)
    except ApiError:
        raise
    except Exception:  # noqa: BLE001 - a body that cannot be read (broken base64, a cut connection)
        raise ApiError(400, "bad_request") from None


def _parse(request: Request, stream: IO[bytes], mimetype: str, max_bytes: int, memory_file_bytes: int) -> None:
    if mimetype == "multipart/form-data":
        request.form, request.files = _multipart(stream, request.header("content-type"), max_bytes, memory_file_bytes)
        return
    data = _read_all(stream, min(max_bytes, MEMORY_TEXT_BYTES))
    if is_json(mimetype):
        request.json_body = _json(data)
    elif mimetype == "application/x-www-form-urlencoded":
        request.form = parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True)


def _json(data: bytes):
    """The JSON document, as the handlers read it: an object's members flattened to text, numbers and
    booleans (``http.scalar``); a list as an empty list (no endpoint reads one). Invalid JSON, or JSON nested
    deeper than the interpreter's recursion limit (``RecursionError``), counts as no JSON."""
    try:
        document = json.loads(data.decode("utf-8")) if data else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(document, dict):
        return {clean_text(name): scalar(value) for name, value in document.items()}
    return [] if isinstance(document, list) else scalar(document)


def _read_all(stream: IO[bytes], max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ApiError(413)
    return data


class _Parts:
    """Collects the parts ``python_multipart.MultipartParser`` reports: text fields and spooled files."""

    def __init__(self, boundary: bytes, memory_file_bytes: int = MEMORY_FILE_BYTES) -> None:
        self.boundary = boundary
        self.memory_file_bytes = memory_file_bytes
        self.form: dict[str, list[str]] = {}
        self.files: list[Upload] = []
        self._headers: dict[bytes, bytes] = {}
        self._name = self._value = b""
        self._field = ""
        self._part: Upload | None = None
        self._text: list[bytes] = []

    def callbacks(self) -> dict:
        return {"on_part_begin": self._begin, "on_header_field": self._header_name,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data, "on_part_end": self._end}

    def _begin(self) -> None:
        self._headers, self._part, self._text, self._open = {}, None, [], True
        self._text_bytes = 0

    def _header_name(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._name.lower()] = self._value.strip()
        self._name = self._value = b""

    def _headers_done(self) -> None:
        _, params = _options(self._headers.get(b"content-disposition", b""))
        self._field = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is not None:  # a file part, even when its name is empty
            # Spooled: memory up to 1 MiB, then an unnamed temporary file (nothing named on disk).
            self._part = Upload(field=self._field, filename=filename.decode("utf-8", "replace"),
                                content_type=media_type(self._headers.get(b"content-type", b"").decode("latin-1")),
                                stream=tempfile.SpooledTemporaryFile(max_size=self.memory_file_bytes))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part is None:
            self._text.append(data[start:end])
            self._text_bytes += end - start
            if self._text_bytes > MEMORY_TEXT_BYTES:
                raise ApiError(413)
        else:
            self._part.stream.write(data[start:end])

    def _end(self) -> None:
        self._open = False
        if self._part is None:
            self._field_end(b"".join(self._text))
        else:
            self._file_end(self._part)

    def finish(self) -> None:
        """After ``finalize``: a last empty part without its blank line looks unterminated (its data is
        the close delimiter); anything else left open is a truncated body."""
        if not self._open:
            return
        close = b"--" + self.boundary + b"--"
        if self._part is None:
            data = b"".join(self._text)
        else:
            self._part.stream.seek(0)
            data = self._part.stream.read(len(close))
        if not data.startswith(close):
            raise ValueError("multipart body ends inside a part")
        self._text = []
        if self._part is not None:
            self._part.stream.seek(0)
            self._part.stream.truncate()
        self._end()

    def _field_end(self, value: bytes) -> None:
        if self._swallowed(value):
            value = b""
        self.form.setdefault(self._field, []).append(value.decode("utf-8", "replace"))

    def _file_end(self, part: Upload) -> None:
        part.stream.seek(0)
        if self._swallowed(part.stream.read(len(self.boundary) + 4)):
            part.stream.seek(0)
            self._swallowed(part.stream.read())  # re-parsed; this part itself is empty
            part.stream.seek(0)
            part.stream.truncate()
        part.stream.seek(0)
        if is_upload(part):
            self.files.append(part)
        else:
            part.stream.close()

    def _swallowed(self, data: bytes) -> bool:
        """RFC 2046 lets an empty part omit its blank line (``body-part := headers [CRLF *OCTET]``), as
        Werkzeug and App Engine send it; ``MultipartParser`` then reads the following parts as this one's
        data. When ``data`` starts with a delimiter, parse it as the parts it is and say so."""
        if not data.startswith(b"--" + self.boundary + b"\r\n"):
            return False
        if len(data) > len(self.boundary) + 4:  # (a part's headers follow, not only the delimiter)
            rest = _Parts(self.boundary, self.memory_file_bytes)
            parser = MultipartParser(self.boundary, rest.callbacks())
            parser.write(data + b"\r\n--" + self.boundary + b"--\r\n")
            parser.finalize()
            rest.finish()
            for name, values in rest.form.items():
                self.form.setdefault(name, []).extend(values)
            self.files.extend(rest.files)
        return True

    def close(self) -> None:
        for upload in self.files + ([self._part] if self._part is not None else []):
            upload.stream.close()


def _multipart(stream: IO[bytes], content_type: str, max_bytes: int,
               memory_file_bytes: int = MEMORY_FILE_BYTES) -> tuple[dict[str, list[str]], list[Upload]]:
    boundary = _options(content_type)[1].get(b"boundary")
    if not boundary:
        raise ApiError(400, "bad_request")
    parts = _Parts(boundary, memory_file_bytes)
    try:
        parser = MultipartParser(boundary, parts.callbacks())
        total = 0
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise ApiError(413)
            parser.write(chunk)
        parser.finalize()
        parts.finish()
    except Exception as exc:
        parts.close()
        if isinstance(exc, ApiError):
            raise
        raise ApiError(400, "bad_request") from None  # any malformed body is the client's error
    return parts.form, parts.files
