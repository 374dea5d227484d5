"""One router, one dispatch (functions.api.router): matching, 404/405, the error backstop, headers."""

from __future__ import annotations

import io
import logging

import pytest

from functions.api.errors import ApiError
from functions.api.http import Context, Request, Response, Upload
from functions.api.router import Router, dispatch
from functions.api.security import PUBLIC_HEADERS
from functions.config import Config


@pytest.fixture
def ctx(tmp_path) -> Context:
    return Context(config=Config(data_dir=tmp_path, testing=True), storage=None)


def ok(request, ctx):
    return Response.json(200, {"params": request.params, "form": request.form})


def get(path: str, method: str = "GET", **kw) -> Request:
    return Request(method=method, path=path, headers=kw.pop("headers", {}), **kw)


def test_routes_match_templates_and_catch_alls_come_last(ctx):
    router = Router([("GET", "/<path:path>", ok)])
    router.add("GET", "/api/items/<item>", ok)
    assert router.match("GET", "/api/items/42")[1] == {"item": "42"}
    assert router.match("GET", "/van-ban/2024/")[1] == {"path": "van-ban/2024/"}
    assert router.match("HEAD", "/api/items/7")[1] == {"item": "7"}


def test_unknown_path_is_404_and_known_path_with_other_method_is_405_with_allow(ctx):
    router = Router([("POST", "/api/tips", ok), ("GET", "/<path:path>", ok)])
    missing = dispatch(Router([("POST", "/api/tips", ok)]), get("/api/khong-co"), ctx)
    assert missing.status == 404
    wrong = dispatch(router, get("/api/tips"), ctx)  # the catch-all never answers for a known path
    assert wrong.status == 405 and wrong.headers["Allow"] == "OPTIONS, POST"
    options = dispatch(router, get("/api/tips", "OPTIONS"), ctx)
    assert options.status == 204 and options.headers["Allow"] == "OPTIONS, POST"
    assert "Access-Control-Allow-Origin" not in options.headers


def test_api_errors_and_failures_come_out_in_the_single_shape_with_public_headers(ctx, caplog):
    from functions.core.store import StorageUnavailable

    def invalid(request, ctx):
        raise ApiError(400, fields={"description": "Chưa nhập nội dung."})

    def storage_down(request, ctx):
        raise StorageUnavailable("disk gone")

    def bug(request, ctx):
        raise RuntimeError("Em bé 5 tuổi ở bản Nà Tấu")  # a report's words must never reach the log

    router = Router([("POST", "/api/a", invalid), ("POST", "/api/b", storage_down), ("POST", "/api/c", bug)])
    caplog.set_level(logging.INFO)
    answers = {path: dispatch(router, get(path, "POST"), ctx) for path in ("/api/a", "/api/b", "/api/c")}
    assert [a.status for a in answers.values()] == [400, 503, 500]
    import json

    for answer in answers.values():
        error = json.loads(answer.body)["error"]
        assert set(error) == {"status", "code", "message", "fields"} and error["message"]
        for name, value in PUBLIC_HEADERS.items():
            assert answer.headers[name] == value
    assert json.loads(answers["/api/a"].body)["error"]["fields"] == {"description": "Chưa nhập nội dung."}
    assert "Nà Tấu" not in caplog.text and "disk gone" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_head_answers_without_a_body(ctx):
    answer = dispatch(Router([("GET", "/api/health", ok)]), get("/api/health", "HEAD"), ctx)
    assert answer.status == 200 and answer.body == b""


def test_body_is_parsed_after_routing_and_uploads_are_closed_after_the_answer(ctx):
    seen = []

    def keep(request, ctx):
        seen.extend(request.files)
        return ok(request, ctx)

    body = (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
            b'--B\r\nContent-Disposition: form-data; name="f"; filename="x.png"\r\n\r\nPNG\r\n--B--\r\n')
    req = get("/api/upload", "POST", headers={"content-type": "multipart/form-data; boundary=B"},
              body=io.BytesIO(body))
    answer = dispatch(Router([("POST", "/api/upload", keep)]), req, ctx)
    assert answer.status == 200 and b'"a": ["1"]' in answer.body
    assert len(seen) == 1 and seen[0].stream.closed


def test_a_request_never_routed_is_never_read(ctx):
    class Exploding(io.RawIOBase):
        def readinto(self, buffer):
            raise AssertionError("the body of an unrouted request was read")

    answer = dispatch(Router([]), get("/api/x", "POST", body=Exploding()), ctx)
    assert answer.status == 404


def test_uploads_are_closed_even_when_the_handler_fails(ctx):
    stream = io.BytesIO(b"x")

    def fail(request, ctx):
        request.files.append(Upload("f", "a", "", stream))
        raise RuntimeError("boom")

    assert dispatch(Router([("POST", "/api/f", fail)]), get("/api/f", "POST"), ctx).status == 500
    assert stream.closed
