"""Fuzz: hostile requests to every public endpoint never get a 5xx nor a traceback.

A generator of our own with a fixed seed (the same requests on every run, so a failure reproduces)
builds requests from a vocabulary of hostile parts: every content type and none, boundaries long,
quoted, empty and missing, parts without names or blank lines, truncated bodies, JSON nested deep,
huge and non-finite numbers, lone surrogates, control characters, invalid UTF-8, percent escapes,
files whose first bytes claim JPEG/PNG/PDF/ZIP and then are not, lying Content-Length, strange
methods, Origin and Accept headers, many client addresses (so rate limits are both passed and hit).

``FUZZ_REQUESTS`` (fewer for the two endpoints that render a whole form) go to each endpoint straight through ``dispatch`` (storage in memory: the HTTP layer
is what is fuzzed here; storage faults have their own tests); a smaller sample of the same requests
goes through the Flask app and the Lambda handler. Each answer must be below 500, carry the public
headers and contain no traceback, and nothing may be logged as unhandled.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import threading
from collections import Counter
from urllib.parse import quote_from_bytes

import pytest
from nacl.public import PrivateKey

from functions import lambda_handler
from functions.api import public_router
from functions.api.http import Context, Request
from functions.api.router import dispatch
from functions.config import Config
from functions.core.store import AlreadyExists, NotFound, check_key

SEED = 15
FUZZ_REQUESTS = 10_000  # per endpoint, through dispatch...
# ...except the two whose error answer is a whole rendered form (about 1 ms each): fewer, to keep CI time.
FUZZ_REQUESTS_OF = {"/api/tips": 3_000, "/api/assessments": 2_000}
ADAPTER_REQUESTS = 200  # per endpoint, through Flask and through Lambda

ENDPOINTS = [
    ("POST", "/api/tips"), ("POST", "/api/tips/status"), ("POST", "/api/assessments"), ("POST", "/api/uploads"),
    ("POST", "/api/uploads/local"), ("POST", "/api/visits"), ("GET", "/api/visits"), ("GET", "/api/health"),
]
FIELDS = {
    "/api/tips": ["description", "category", "commune", "urgent", "child_age", "location_detail", "reporter_name",
                  "reporter_phone", "submission_id", "website", "attachments"],
    "/api/tips/status": ["receipt"],
    "/api/assessments": ["commune", "year", "access_code", "submission_id", "score_tc01", "score_tc13", "template",
                         "evidence", "evidence_tc01", "upload_evidence", "upload_evidence_tc02"],
    "/api/uploads": ["filename", "content_type", "size", "sha256", "commune", "access_code"],
    "/api/uploads/local": ["key", "Content-Type", "policy", "file"],
}


class MemoryStorage:
    """The storage contract in a dict: create-only, lexical listing, atomic counters."""

    name = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.counters: Counter = Counter()
        self._lock = threading.Lock()

    def create(self, key: str, data: bytes) -> None:
        with self._lock:
            if check_key(key) in self.objects:
                raise AlreadyExists(key)
            self.objects[key] = bytes(data)

    def read(self, key: str) -> bytes:
        try:
            return self.objects[check_key(key)]
        except KeyError:
            raise NotFound(key) from None

    def exists(self, key: str) -> bool:
        return key in self.objects

    def list(self, prefix: str = ""):
        return iter(sorted(k for k in list(self.objects) if k.startswith(prefix)))

    def increment(self, counter: str, amount: int = 1) -> int:
        with self._lock:
            self.counters[check_key(counter)] += amount
            return self.counters[counter]

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


# -- the vocabulary of hostile parts ------------------------------------------------------------

TEXTS = [
    "", " ", "a", "0", "-1", "1e999", "NaN", "null", "true", "khong-ro", "muong-ang", "Ẳng Tở", "bao-luc",
    "Em bé bị đánh ở bản Co Mạ nhiều lần", "x" * 6000, "é" * 300, "\x00\x01\x1f\x7f", "\u202e\u200b\ufeff",
    "\ud800", "\udfff abc", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00%ff",
    "A" * 20, "ABCD-EFGH-JKMN-PQRS-TVWX", "abcd efgh jkmn pqrs tvwx", "0000-0000-0000-0000-0000",
    "aaaaaaaaaaaaaaaa", "test-submission-00000001", "2026", "99999999999999999999999", "🙂" * 50, "7" * 12000,
]
NUMBERS = ["1e999", "-1e999", "Infinity", "-Infinity", "NaN", "1" * 4000, "0", "-0", "1.5", "18", "-5", "2e308"]
MAGIC = [b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.4\n",
         b"PK\x03\x04\x14\x00\x00\x00", b"GIF89a", b"", b"\x00" * 16]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
                 "application/vnd.api+json", "application/json; charset=latin-1", "", "multipart/mixed",
                 "image/jpeg", "application/octet-stream", "x" * 300, "multipart/form-data; boundary=",
                 'multipart/form-data; boundary=""', "application/json\x00"]
ORIGINS = ["", "null", "http://localhost", "https://evil.example", "http://localhost:80", "garbage", "https://",
           "http://localhost.evil.example", "\u00e9"]
ACCEPTS = ["", "application/json", "text/html", "*/*", "application/json, text/html", "\x00"]


def hostile_text(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.6:
        return rng.choice(TEXTS)
    if pick < 0.8:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 40)))
    return "".join(chr(rng.randrange(0, 0x11000)) for _ in range(rng.randrange(1, 20)))


def json_value(rng: random.Random):
    pick = rng.random()
    if pick < 0.55:
        return json.dumps(hostile_text(rng))
    if pick < 0.75:
        return rng.choice(NUMBERS)
    if pick < 0.85:
        depth = rng.choice([2, 50, 900, 1200, 5000])
        return "[" * depth + "]" * depth
    return rng.choice(["null", "true", "false", "{}", "[]", '{"a": {"b": [1, "x"]}}', '"\\ud800"', '"\\u0000"'])


def json_body(rng: random.Random, fields: list[str]) -> bytes:
    if rng.random() < 0.1:
        return rng.choice([b"", b"{", b"[]", b'"x"', b"1e999", b"\xff\xfe{}", b"{" * 3000, b'{"a":1,}',
                           b'{"a":' * 2000])
    members = [f"{json.dumps(rng.choice(fields + ['x', '']))}: {json_value(rng)}"
               for _ in range(rng.randrange(0, 8))]
    return ("{" + ", ".join(members) + "}").encode("utf-8", "surrogatepass")


def urlencoded_body(rng: random.Random, fields: list[str]) -> bytes:
    pairs = []
    for _ in range(rng.randrange(0, 10)):
        name = rng.choice(fields + ["", "%ff", "a[]"])
        value = rng.choice([quote_from_bytes(hostile_text(rng).encode("utf-8", "surrogatepass")), "%ff%fe", "%00", "%", "+++",
                            "&&&", "=="])
        pairs.append(f"{name}={value}")
    return "&".join(pairs).encode("latin-1", "replace")


def multipart_part(rng: random.Random, boundary: str, fields: list[str]) -> bytes:
    name = rng.choice(fields + ["", "x" * 300])
    disposition = rng.choice([f'form-data; name="{name}"', f'form-data; name="{name}"; filename="a.jpg"',
                              f'form-data; name={name}; filename=""', "attachment", "", "form-data",
                              f'form-data; name="{name}"; filename="\u1ea2nh.png"', 'form-data; name="a'])
    headers = f"Content-Disposition: {disposition}\r\n"
    if rng.random() < 0.4:
        headers += f"Content-Type: {rng.choice(CONTENT_TYPES)}\r\n"
    if rng.random() < 0.2:
        headers += "X-Junk:" + "y" * rng.randrange(0, 500) + "\r\n"
    data = rng.choice(MAGIC) + rng.randbytes(rng.choice([0, 1, 30, 500, 3000]))
    if rng.random() < 0.3:
        data = hostile_text(rng).encode("utf-8", "surrogatepass")
    blank = "\r\n" if rng.random() < 0.9 else ""
    return f"--{boundary}\r\n{headers}{blank}".encode("utf-8", "surrogatepass") + data + b"\r\n"


def multipart_body(rng: random.Random, fields: list[str]) -> tuple[bytes, str]:
    boundary = rng.choice(["XyZ", "----WebKitFormBoundaryZb3kQ9", "B" * 300, "a b", "é", "--", "x"])
    body = b"".join(multipart_part(rng, boundary, fields) for _ in range(rng.randrange(0, 6)))
    ending = rng.choice([f"--{boundary}--\r\n", f"--{boundary}--", "", f"--{boundary}", "--wrong--\r\n"])
    body += ending.encode("utf-8")
    if rng.random() < 0.15:
        body = body[:rng.randrange(0, len(body) + 1)]
    ctype = rng.choice([f"multipart/form-data; boundary={boundary}", f'multipart/form-data; boundary="{boundary}"',
                        "multipart/form-data", f"multipart/form-data; boundary={boundary}; charset=\u00e9"])
    return body, ctype


# A well-formed request of each endpoint, so that one or two hostile values reach past validation: the rate
# limits, the access code, image cleaning, encryption and storage (``CODE`` is replaced by a valid code).
NEARLY_VALID = {
    "/api/tips": {"description": "Em bé bị bố đánh bằng gậy nhiều lần ở bản Co Mạ", "category": "bao-luc",
                  "commune": "muong-ang", "urgent": "1", "child_age": "7", "submission_id": "fuzz-submission-000001"},
    "/api/tips/status": {"receipt": "ABCD-EFGH-JKMN-PQRS-TVWX"},
    "/api/assessments": {"commune": "muong-ang", "year": "2026", "access_code": "CODE",
                         **{f"score_tc{n:02d}": "1" for n in range(1, 14)}},
    "/api/uploads": {"filename": "ho-so.pdf", "content_type": "application/pdf", "size": "1000",
                     "commune": "muong-ang", "access_code": "CODE"},
}


def nearly_valid_body(rng: random.Random, path: str, code: str) -> tuple[bytes, str]:
    """The endpoint's well-formed fields with one or two values made hostile, sent as multipart (with files
    whose first bytes claim a type the rest does not keep), urlencoded or JSON."""
    values = {k: (code if v == "CODE" else v) for k, v in NEARLY_VALID[path].items()}
    for name in rng.sample(sorted(values), k=min(len(values), rng.randrange(0, 3))):
        values[name] = hostile_text(rng)
    if "submission_id" in values and rng.random() < 0.5:
        values["submission_id"] = f"fuzz-submission-{rng.randrange(10**9):09d}"
    kind = rng.random()
    if kind < 0.3:
        return json.dumps(values).encode("utf-8", "surrogatepass"), "application/json"
    if kind < 0.5:
        pairs = [f"{k}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}" for k, v in values.items()]
        return "&".join(pairs).encode(), "application/x-www-form-urlencoded"
    boundary = "FuzzBoundary7"
    body = b""
    for name, value in values.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                 + value.encode("utf-8", "surrogatepass") + b"\r\n")
    for _ in range(rng.randrange(0, 3)):
        field = rng.choice(["attachments", "evidence", "evidence_tc01", "template", "file"])
        data = rng.choice(MAGIC) + rng.randbytes(rng.choice([10, 200, 2000]))
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="a.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def hostile_body(rng: random.Random, path: str, code: str = "") -> tuple[bytes, str]:
    fields = FIELDS.get(path, ["x"])
    if path in NEARLY_VALID and rng.random() < 0.4:
        return nearly_valid_body(rng, path, code)
    kind = rng.random()
    if kind < 0.35:
        return json_body(rng, fields), rng.choice(["application/json", "application/vnd.api+json", "application/json; x"])
    if kind < 0.55:
        return urlencoded_body(rng, fields), "application/x-www-form-urlencoded"
    if kind < 0.85:
        return multipart_body(rng, fields)
    return rng.randbytes(rng.choice([0, 1, 100, 5000])), rng.choice(CONTENT_TYPES)


def hostile_request(rng: random.Random, method: str, path: str, code: str = "") -> dict:
    """One request as plain data (method, path, headers, body, client address), for any adapter."""
    body, ctype = hostile_body(rng, path, code)
    headers = {"content-type": ctype, "user-agent": rng.choice(["Mozilla/5.0 (Linux; Android 9)", "", "curl/8",
                                                                 "Googlebot", "Mozilla/5.0 " + "x" * 2000])}
    for name, choices in (("origin", ORIGINS), ("accept", ACCEPTS), ("sec-fetch-site", ["", "", "same-origin", "cross-site"])):
        # Mostly no Origin (as curl sends), so most requests reach past the cross-site check.
        value = rng.choice(choices) if name != "origin" or rng.random() < 0.25 else ""
        if value:
            headers[name] = value
    if rng.random() < 0.2:
        headers["content-length"] = rng.choice([str(len(body)), "0", "-1", "99999999999", "abc", str(len(body) + 7)])
    if rng.random() < 0.05:
        method = rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "GET" if method == "POST" else "POST"])
    if rng.random() < 0.03:
        path = path + rng.choice(["/", "//", "/../health", "%00", "/\u00e9"])
    return {"method": method, "path": path, "headers": headers, "body": body,
            "client": f"198.51.100.{rng.randrange(0, 40)}"}


# -- the checks ----------------------------------------------------------------------------------

def issue_code(ctx: Context) -> str:
    from functions.core import access_codes

    return access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")[0]


def fuzz_config(tmp_path) -> Config:
    return Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True, secret_key="cd" * 32,
                  public_key=base64.b64encode(bytes(PrivateKey.generate().public_key)).decode())


def check(status: int, headers: dict, body: bytes, sent: dict) -> None:
    assert status < 500, (status, sent["method"], sent["path"], sent["headers"], sent["body"][:300], body[:300])
    assert b"Traceback" not in body and b'File "' not in body
    if sent["path"].startswith("/api/"):
        assert headers.get("Cache-Control") == "no-store", sent


@pytest.fixture
def no_unhandled(caplog):
    caplog.set_level(logging.ERROR)
    yield
    unhandled = [r.getMessage() for r in caplog.records if "unhandled" in r.getMessage() or "unexpected" in r.getMessage()]
    assert unhandled == []


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_fuzzed_requests_through_dispatch_never_get_5xx(tmp_path, method, path, no_unhandled):
    ctx = Context(config=fuzz_config(tmp_path), storage=MemoryStorage())
    router, code = public_router(), issue_code(ctx)
    rng = random.Random(f"{SEED}|{method}|{path}")
    statuses: Counter = Counter()
    count = FUZZ_REQUESTS_OF.get(path, FUZZ_REQUESTS)
    for _ in range(count):
        sent = hostile_request(rng, method, path, code)
        request = Request(method=sent["method"], path=sent["path"], headers=dict(sent["headers"]),
                          body=io.BytesIO(sent["body"]), client_address=sent["client"], host_url="http://localhost")
        response = dispatch(router, request, ctx)
        check(response.status, response.headers, response.body, sent)
        statuses[response.status] += 1
    assert sum(statuses.values()) == count
    # The generator reaches past the first checks: more than one kind of answer for the POST endpoints.
    assert len(statuses) >= (2 if method == "POST" else 1), statuses
    if path in NEARLY_VALID and path != "/api/tips/status":
        assert statuses[201] > 0, statuses  # some hostile requests were accepted: the deep paths were reached


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_fuzzed_requests_through_flask_never_get_5xx(tmp_path, method, path, no_unhandled):
    from functions.web import create_app

    app = create_app(fuzz_config(tmp_path), storage=MemoryStorage())
    client, code = app.test_client(), issue_code(app.extensions["bvte"])
    rng = random.Random(f"{SEED}|flask|{method}|{path}")
    for _ in range(ADAPTER_REQUESTS):
        sent = hostile_request(rng, method, path, code)
        headers = {k: v.encode("utf-8", "surrogatepass").decode("latin-1") for k, v in sent["headers"].items()
                   if k != "content-length"}
        answer = client.open(sent["path"], method=sent["method"], headers=headers, data=sent["body"],
                             environ_base={"REMOTE_ADDR": sent["client"]})
        check(answer.status_code, dict(answer.headers), answer.data, sent)


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_fuzzed_events_through_the_lambda_handler_never_get_5xx(tmp_path, method, path, no_unhandled):
    ctx = Context(config=fuzz_config(tmp_path), storage=MemoryStorage())
    lambda_handler.set_context(ctx)
    try:
        rng, code = random.Random(f"{SEED}|lambda|{method}|{path}"), issue_code(ctx)
        for _ in range(ADAPTER_REQUESTS):
            sent = hostile_request(rng, method, path, code)
            event = {"version": "2.0", "rawPath": sent["path"], "headers": sent["headers"],
                     "requestContext": {"http": {"method": sent["method"], "sourceIp": sent["client"]},
                                        "stage": "$default"},
                     "body": base64.b64encode(sent["body"]).decode(), "isBase64Encoded": True}
            result = lambda_handler.handler(event)
            body = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"].encode()
            check(result["statusCode"], result["headers"], body, sent)
    finally:
        lambda_handler.set_context(None)
