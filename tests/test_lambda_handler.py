"""The Lambda entry point answers like the Flask app, on recorded-shape API Gateway HTTP API v2 events.

Each event in ``tests/events/`` goes through ``functions.lambda_handler.handler`` and, rebuilt as the
same HTTP request, through the Flask app; status, JSON body and the key headers must match.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from functions import lambda_handler
from functions.api.body import read_body
from functions.api.http import Context
from functions.storage.local import LocalStorage

EVENTS = Path(__file__).parent / "events"
ORIGIN = "https://baovetreem.example.vn"
KEY_HEADERS = ("content-type", "cache-control", "content-security-policy", "referrer-policy",
               "x-content-type-options", "x-frame-options")
RECEIPT = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")
SUBMISSION = re.compile(r'(name="submission_id"[^>]*value=")[^"]*(")|(value=")[^"]*("[^>]*name="submission_id")')


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def office_key():
    from nacl.public import PrivateKey

    return base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()


@pytest.fixture
def pair(tmp_path, built_site, office_key):
    """A Flask test client and a Lambda context, same settings and secret, separate stores."""
    from functions.config import Config
    from functions.web import create_app

    def config(name):
        return Config(data_dir=tmp_path / name, site_dir=built_site, testing=True, allowed_origins=ORIGIN,
                      public_key=office_key, secret_key="ab" * 32)

    app = create_app(config("flask"))
    lambda_config = config("lambda")
    lambda_handler.set_context(Context(config=lambda_config, storage=LocalStorage(lambda_config.data_dir / "store")))
    yield app.test_client()
    lambda_handler.set_context(None)


def through_flask(client, event: dict):
    body = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else event.get("body", "").encode()
    headers = {k: v for k, v in event["headers"].items() if k not in ("host", "content-length")}
    return client.open(event["rawPath"], method=event["requestContext"]["http"]["method"], headers=headers,
                       data=body, environ_base={"REMOTE_ADDR": event["requestContext"]["http"]["sourceIp"]})


def lambda_body(result: dict) -> bytes:
    body = result.get("body", "")
    return base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")


def normalised(body: bytes, ctype: str):
    if ctype.startswith("application/json"):
        data = json.loads(body)
        if isinstance(data, dict) and "receipt" in data:
            assert RECEIPT.fullmatch(data["receipt"]), data
            data["receipt"] = "<receipt>"
        return data
    text = body.decode("utf-8")
    text = RECEIPT.sub("<receipt>", text)
    return SUBMISSION.sub(lambda m: "".join(g or "" for g in (m.group(1), "<id>", m.group(2)))
                          if m.group(1) else "".join(g or "" for g in (m.group(3), "<id>", m.group(4))), text)


@pytest.mark.parametrize("name", sorted(p.stem for p in EVENTS.glob("*.json")))
def test_lambda_answers_like_flask(pair, name):
    event = load_event(name)
    result = lambda_handler.handler(event, None)
    flask_answer = through_flask(pair, event)

    assert result["statusCode"] == flask_answer.status_code, (name, lambda_body(result)[:500])
    headers = {k.lower(): v for k, v in result["headers"].items()}
    for header in KEY_HEADERS:
        if header == "content-type" and not flask_answer.data:
            continue  # Flask labels even an empty 204 as text/html; no body, nothing to label
        assert headers.get(header) == flask_answer.headers.get(header), (name, header)
    ctype = headers.get("content-type", "")
    if lambda_body(result) or flask_answer.data:
        assert normalised(lambda_body(result), ctype) == normalised(flask_answer.data, ctype), name


def test_expected_statuses_of_the_recorded_events(pair):
    """The comparison above is only worth something if the events reach the real handlers."""
    statuses = {name: lambda_handler.handler(load_event(name), None)["statusCode"]
                for name in ("health_get", "tips_json_invalid", "tips_json_valid", "tips_multipart",
                             "tips_form_html", "tips_form_cross_site", "unknown_path", "wrong_method")}
    assert statuses == {"health_get": 200, "tips_json_invalid": 400, "tips_json_valid": 201, "tips_multipart": 201,
                        "tips_form_html": 201, "tips_form_cross_site": 403, "unknown_path": 404,
                        "wrong_method": 405}


def test_invalid_json_answer_names_the_fields(pair):
    result = lambda_handler.handler(load_event("tips_json_invalid"), None)
    error = json.loads(result["body"])["error"]
    assert error["status"] == 400 and {"description", "commune", "category"} <= set(error["fields"])


def test_multipart_fields_and_files_are_parsed():
    from functions.config import Config

    event = load_event("tips_multipart")
    request = lambda_handler.to_request(event, Config())
    read_body(request, Config().max_request_bytes)
    assert request.value("description") == "Em nhỏ bị bỏ đói, ảnh chụp kèm theo."
    assert request.form["website"] == [""]
    # The empty file input is not an upload; the real one keeps its Vietnamese name and bytes.
    assert [(u.field, u.filename, u.content_type) for u in request.files] == [
        ("attachments", "ảnh chụp.png", "image/png")]
    assert request.files[0].read().startswith(b"\x89PNG\r\n\x1a\n")
    assert request.client_address == "203.0.113.7"


def test_urlencoded_base64_body_and_cloudfront_viewer_address():
    from functions.config import Config

    event = load_event("tips_form_html")
    event["headers"]["cloudfront-viewer-address"] = "198.51.100.23:50432"
    event["headers"]["x-bvte-edge"] = "edge-secret-value-0123456789abcdef"
    request = lambda_handler.to_request(event, Config(edge_secret="edge-secret-value-0123456789abcdef"))
    read_body(request, Config().max_request_bytes)
    assert request.value("commune") == "Mường Ảng"
    assert request.client_address == "198.51.100.23"
    assert request.host_url == "https://abcdef1234.execute-api.ap-southeast-1.amazonaws.com"


@pytest.mark.parametrize("edge_header, configured", [
    (None, "edge-secret-value-0123456789abcdef"),          # called directly, not through CloudFront
    ("guessed", "edge-secret-value-0123456789abcdef"),      # a wrong secret
    ("anything", ""),                                      # no secret configured: never trusted
])
def test_a_forged_viewer_address_is_not_believed_without_cloudfronts_secret(edge_header, configured):
    from functions.config import Config

    event = load_event("tips_form_html")
    event["headers"]["cloudfront-viewer-address"] = "198.51.100.23:50432"
    if edge_header is not None:
        event["headers"]["x-bvte-edge"] = edge_header
    request = lambda_handler.to_request(event, Config(edge_secret=configured))
    assert request.client_address == event["requestContext"]["http"]["sourceIp"]
    assert request.client_address != "198.51.100.23"


def test_body_over_the_limit_is_413_before_parsing(pair):
    event = load_event("tips_form_html")
    lambda_handler.get_context().config.max_request_bytes = 100
    result = lambda_handler.handler(event, None)
    assert result["statusCode"] == 413
    assert json.loads(result["body"])["error"]["status"] == 413


def test_malformed_multipart_is_400_not_500(pair):
    event = load_event("tips_multipart")
    event["body"] = base64.b64encode(b"--nope\r\ngarbage").decode()
    event["headers"]["content-type"] = "multipart/form-data"
    assert lambda_handler.handler(event, None)["statusCode"] == 400


def test_context_is_built_once_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BVTE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BVTE_STORAGE", "local")
    lambda_handler.set_context(None)
    try:
        first = lambda_handler.handler(load_event("health_get"), None)
        ctx = lambda_handler.get_context()
        lambda_handler.handler(load_event("health_get"), None)
        assert lambda_handler.get_context() is ctx
        assert json.loads(first["body"]) == {"status": "ok", "storage": "local"}
    finally:
        lambda_handler.set_context(None)


def test_importing_and_answering_never_loads_flask(tmp_path):
    code = (
        "import json, sys\n"
        "import functions.lambda_handler as h\n"
        "after_import = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'boto3'))\n"
        f"event = json.load(open({str(EVENTS / 'tips_json_invalid.json')!r}))\n"
        "status = h.handler(event, None)['statusCode']\n"
        "after_call = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug'))\n"
        "print(json.dumps([after_import, status, after_call]))\n"
    )
    env = {"BVTE_DATA_DIR": str(tmp_path / "var"), "BVTE_STORAGE": "local", "PATH": "/usr/bin:/bin",
           "BVTE_ALLOWED_ORIGINS": ORIGIN}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    after_import, status, after_call = json.loads(out.stdout.strip().splitlines()[-1])
    assert after_import == []  # not even boto3: imports stay lazy for the cold start
    assert status == 400
    assert after_call == []


def test_a_function_for_one_area_imports_only_that_area(tmp_path):
    code = (
        "import json, sys\n"
        "import functions.lambda_handler as h\n"
        f"event = json.load(open({str(EVENTS / 'health_get.json')!r}))\n"
        "ok = h.handler(event, None)['statusCode']\n"
        f"other = h.handler(json.load(open({str(EVENTS / 'tips_json_invalid.json')!r})), None)['statusCode']\n"
        "loaded = sorted(m for m in sys.modules if m in ('functions.api.tips', 'functions.api.assessments', 'openpyxl'))\n"
        "print(json.dumps([ok, other, loaded]))\n"
    )
    env = {"BVTE_DATA_DIR": str(tmp_path / "var"), "BVTE_LAMBDA_AREAS": "health", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [200, 404, []]
