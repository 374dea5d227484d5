"""The HTTP API as described in functions/openapi.yaml: same routes, one error shape, same headers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from functions.api import all_routes
from functions.api.security import PUBLIC_HEADERS

SPEC = yaml.safe_load((Path(__file__).resolve().parent.parent / "functions" / "openapi.yaml").read_text("utf-8"))
JSON = {"Accept": "application/json"}


def test_every_route_is_described_and_every_description_is_routed():
    routed = {(method.lower(), path) for method, path, _handler in all_routes()}
    described = {(method, path) for path, item in SPEC["paths"].items() for method in item}
    assert routed == described


def test_every_described_error_uses_the_single_error_shape():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and "$ref" not in response:
                    assert path == "/api/uploads/local", (path, method, status)  # S3's own XML form


def assert_error_shape(response, status):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "fields"}
    assert error["status"] == status
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in error["fields"].items())
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("post", "/api/tips", {"json": {}}, 400),
    ("post", "/api/tips", {"json": {"description": "x" * 20}, "headers": {"Origin": "https://evil.example"}}, 403),
    ("post", "/api/tips/status", {"json": {"receipt": "abc"}}, 400),
    ("post", "/api/assessments", {"data": {}, "headers": JSON}, 400),
    ("post", "/api/uploads", {"json": {"filename": "a.exe", "content_type": "application/x-msdownload", "size": 5}}, 415),
    ("get", "/api/tips", {"headers": JSON}, 405),
    ("get", "/api/khong-co", {"headers": JSON}, 404),
])
def test_errors_of_every_endpoint_have_the_single_shape(client, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert_error_shape(response, status)
    for name, value in PUBLIC_HEADERS.items():
        assert response.headers[name] == value
    assert "Set-Cookie" not in response.headers


def test_field_errors_name_the_fields_in_vietnamese(client):
    body = client.post("/api/tips", json={}).get_json()["error"]
    assert {"description", "commune", "category"} <= set(body["fields"])
    assert any(ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ" for ch in body["fields"]["description"])


def test_configured_upload_origin_joins_the_csp_of_api_answers(tmp_path, built_site):
    from functions.config import Config
    from functions.web import create_app

    bucket = "https://data-bucket.s3.ap-southeast-1.amazonaws.com"
    app = create_app(Config(data_dir=tmp_path, site_dir=built_site, testing=True, csp_connect_src=bucket))
    csp = app.test_client().post("/api/assessments", data={}, headers=JSON).headers["Content-Security-Policy"]
    assert f"connect-src 'self' {bucket};" in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_lambda_answers_carry_the_same_csp_as_flask(monkeypatch, tmp_path, built_site):
    import json

    from functions import lambda_handler

    bucket = "https://data-bucket.s3.ap-southeast-1.amazonaws.com"
    for name, value in {"BVTE_DATA_DIR": str(tmp_path), "BVTE_SITE_DIR": str(built_site), "BVTE_STORAGE": "local",
                        "BVTE_CSP_CONNECT_SRC": bucket}.items():
        monkeypatch.setenv(name, value)
    event = json.loads((Path(__file__).parent / "events" / "health_get.json").read_text("utf-8"))
    lambda_handler.set_context(None)
    try:
        result = lambda_handler.handler(event, None)
    finally:
        lambda_handler.set_context(None)
    assert result["statusCode"] == 200
    assert f"connect-src 'self' {bucket};" in result["headers"]["Content-Security-Policy"]


def test_answers_flask_makes_itself_carry_the_public_headers_too(client):
    response = client.options("/api/tips")
    for name, value in PUBLIC_HEADERS.items():
        assert response.headers[name] == value
    assert "Set-Cookie" not in response.headers
