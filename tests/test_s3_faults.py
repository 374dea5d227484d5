"""Faults on the real S3 server: throttling, a hung server, a stopped server — bounded retries, then 503.

A dedicated SeaweedFS (not the shared one) is frozen, stopped and restarted here. A small proxy on
127.0.0.1 in front of it answers ``503 SlowDown`` to the first requests, like S3 under load.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from functions.commands.serve import BackgroundServer
from functions.storage import AlreadyExists, StorageUnavailable
from functions.storage.s3 import S3Storage
from s3_servers import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, SeaweedFS, s3_config, unique_prefix

pytestmark = pytest.mark.s3

ORIGIN = "https://baovetreem.example.vn"
SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate.</Message></Error>")


@pytest.fixture(scope="module")
def own_weed():
    server = SeaweedFS().start()
    yield server
    server.cleanup()


class ThrottlingProxy(BackgroundServer):
    """Forwards to ``upstream``; the first ``throttle`` requests get 503 SlowDown instead."""

    def __init__(self, upstream_port: int, throttle: int):
        self.throttle, self.seen = throttle, 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    proxy.seen += 1
                    throttled = proxy.seen <= proxy.throttle
                if throttled:
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(SLOW_DOWN)))
                    self.end_headers()
                    self.wfile.write(SLOW_DOWN)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
                # The Host header is part of the SigV4 signature: pass it through unchanged.
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    conn.putheader(name, value)
                conn.endheaders(body)
                answer = conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.endpoint = self.url


def storage_via(endpoint: str, deadline: float, read_timeout: float = 3.0) -> S3Storage:
    from functions.storage.s3 import make_s3_client

    client = make_s3_client(region=REGION, endpoint_url=endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                            read_timeout=read_timeout)
    return S3Storage(BUCKET, unique_prefix(), client, deadline=deadline)


def test_throttling_is_retried_and_the_write_lands_once(own_weed):
    with ThrottlingProxy(own_weed.port, throttle=3) as proxy:
        store = storage_via(proxy.endpoint, deadline=10)
        store.create("tips/one", b"sealed")
        assert proxy.seen >= 4  # three 503 SlowDown, then the real PutObject
        assert store.read("tips/one") == b"sealed"
        with pytest.raises(AlreadyExists):
            store.create("tips/one", b"other")


def test_endless_throttling_gives_up_within_the_bound(own_weed):
    with ThrottlingProxy(own_weed.port, throttle=10**9) as proxy:
        store = storage_via(proxy.endpoint, deadline=1.5)
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            store.create("tips/never", b"x")
        assert time.monotonic() - started < 6
        assert proxy.seen >= 2
    assert not storage_via(own_weed.endpoint, 5).exists("tips/never")


def test_a_hung_server_times_out_into_unavailable(own_weed):
    store = storage_via(own_weed.endpoint, deadline=1.0, read_timeout=1.0)
    own_weed.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            store.create("tips/hung", b"x")
        # One botocore call (2 attempts x (connect 1.5 s + read 1 s)) at most, plus backoff.
        assert time.monotonic() - started < 8
    finally:
        own_weed.thaw()
    store.create("tips/after", b"ok")
    assert store.read("tips/after") == b"ok"


@pytest.fixture
def s3_app(config, own_weed, monkeypatch):
    """The Flask app on S3 storage (SeaweedFS, counters by compare-and-swap), 2 s storage bound."""
    from nacl.public import PrivateKey
    import base64

    from functions.web import create_app

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    cfg = s3_config(config, own_weed).replace(
        storage_deadline_seconds=2, allowed_origins=ORIGIN, secret_key="cd" * 32,
        public_key=base64.b64encode(bytes(PrivateKey.generate().public_key)).decode())
    return create_app(cfg)


FORM = {"description": "Cháu bé hàng xóm bị đánh nhiều lần, tôi rất lo.", "commune": "muong-ang",
        "category": "bao-luc", "submission_id": "", "website": ""}


def test_stopping_s3_during_a_run_answers_503_keeps_input_and_stores_nothing(s3_app, own_weed):
    from functions.web import context

    client = s3_app.test_client()
    headers = {"Origin": ORIGIN, "Accept": "text/html"}
    store = context(s3_app).storage

    first = client.post("/api/tips", data=FORM, headers=headers)
    assert first.status_code == 201, first.data[:300]
    before = list(store.list(""))
    assert before  # the first report is really in the bucket

    own_weed.stop()
    try:
        started = time.monotonic()
        down = client.post("/api/tips", data=FORM, headers=headers)
        assert time.monotonic() - started < 15
        assert down.status_code == 503
        page = down.get_data(as_text=True)
        assert "CHƯA" in page or "chưa" in page
        assert "Cháu bé hàng xóm bị đánh nhiều lần, tôi rất lo." in page  # what was typed is still there
        assert down.headers["Cache-Control"] == "no-store"
        as_json = client.post("/api/tips", json=FORM, headers={"Origin": ORIGIN})
        assert as_json.status_code == 503
        assert json.loads(as_json.data)["error"]["status"] == 503
    finally:
        own_weed.start()

    assert list(store.list("")) == before  # nothing partial, no orphan attachment
    again = client.post("/api/tips", data=FORM, headers=headers)
    assert again.status_code == 201


def test_lambda_answers_503_when_s3_is_stopped(s3_app, own_weed):
    from functions import lambda_handler
    from functions.web import context

    event = json.loads((__import__("pathlib").Path(__file__).parent / "events" / "tips_json_valid.json").read_text())
    lambda_handler.set_context(context(s3_app))
    try:
        assert lambda_handler.handler(event, None)["statusCode"] == 201
        own_weed.stop()
        try:
            result = lambda_handler.handler(event, None)
        finally:
            own_weed.start()
        assert result["statusCode"] == 503
        assert json.loads(result["body"])["error"]["code"] == "storage_unavailable"
    finally:
        lambda_handler.set_context(None)


def test_every_seaweedfs_listener_is_on_loopback(own_weed):
    import shutil
    import subprocess

    if not shutil.which("ss"):
        pytest.fail("`ss` (iproute2) is needed to check the listeners")
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, timeout=30).stdout
    mine = [line for line in out.splitlines() if f"pid={own_weed.proc.pid}," in line]
    assert len(mine) >= 5, out  # master, volume, filer, S3 (+ their gRPC ports)
    local_addresses = [line.split()[3] for line in mine]
    assert all(a.startswith("127.0.0.1:") for a in local_addresses), local_addresses
