"""Named regressions: each hostile input the intake review found answering 5xx now answers 4xx.

Issue 15 listed them: JSON nested 1,000 deep (and deeper) on every POST endpoint and on Lambda,
``{"size": 1e999}`` on uploads, a multipart part without ``form-data;`` on assessments, a lone surrogate
(``\\ud800``) in a report (it answered 503 "not sent" on every retry), a multipart boundary over 256
characters on Lambda, and headers Lambda passes with characters no HTTP header can carry.
"""

from __future__ import annotations

import base64
import json

import pytest

from functions import lambda_handler
from functions.api.http import Context
from functions.core import tips

JSON = {"Accept": "application/json"}
POST_ENDPOINTS = ["/api/tips", "/api/tips/status", "/api/assessments", "/api/uploads", "/api/visits",
                  "/api/uploads/local"]
GOOD = {"description": "Tôi thấy bé bị bố đánh bằng gậy nhiều lần ở bản Co Mạ", "category": "bao-luc",
        "commune": "Ẳng Tở"}


def nested(depth: int) -> str:
    return '{"description": ' + "[" * depth + "]" * depth + ', "receipt": ' + '{"a":' * depth + "1" + "}" * depth + "}"


@pytest.fixture
def lambda_ctx(app, storage):
    """The Lambda entry point using the Flask app's settings and storage."""
    from functions.web import context

    lambda_handler.set_context(Context(config=context(app).config, storage=storage))
    yield
    lambda_handler.set_context(None)


def event(path: str, body: str, content_type: str, *, base64_body: bool = False, method: str = "POST") -> dict:
    return {"version": "2.0", "rawPath": path, "headers": {"content-type": content_type, "accept": "application/json"},
            "requestContext": {"http": {"method": method, "sourceIp": "198.51.100.7"}, "stage": "$default"},
            "body": base64.b64encode(body.encode()).decode() if base64_body else body, "isBase64Encoded": base64_body}


@pytest.mark.parametrize("depth", [1000, 100_000])
@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_json_nested_deep_is_a_client_error_on_every_post_endpoint(client, path, depth):
    answer = client.post(path, data=nested(depth), content_type="application/json", headers=JSON)
    assert 400 <= answer.status_code < 500 or answer.status_code == 204, answer.status_code
    assert b"Traceback" not in answer.data


@pytest.mark.parametrize("depth", [500, 990])
def test_json_nested_within_the_parser_limit_never_reaches_str(client, depth):
    # json.loads accepts these; a field value that is a deep list once reached str() (RecursionError).
    answer = client.post("/api/uploads", data='{"filename": ' + "[" * depth + "]" * depth + ', "size": 5}',
                         content_type="application/json", headers=JSON)
    assert answer.status_code == 415
    answer = client.post("/api/tips", data=nested(depth), content_type="application/json", headers=JSON)
    assert answer.status_code == 400 and "description" in answer.get_json()["error"]["fields"]


@pytest.mark.parametrize("size, status", [("1e999", 400), ("-1e999", 400), ("Infinity", 400), ("NaN", 400),
                                          ('"1e999"', 400), ("1" * 4000, 413)])
def test_upload_size_infinity_is_4xx_not_500(client, size, status):
    answer = client.post("/api/uploads", data='{"filename": "a.pdf", "content_type": "application/pdf", "size": '
                         + size + "}", content_type="application/json", headers=JSON)
    assert answer.status_code == status, answer.data


@pytest.mark.parametrize("disposition", ["attachment", "", "form-data", "inline; filename=a.pdf"])
def test_multipart_part_without_form_data_name_is_not_500_on_assessments(client, disposition):
    body = f"--XX\r\nContent-Disposition: {disposition}\r\n\r\nabc\r\n--XX--\r\n".encode()
    answer = client.post("/api/assessments", data=body, content_type="multipart/form-data; boundary=XX", headers=JSON)
    assert 400 <= answer.status_code < 500


def test_lone_surrogate_in_a_report_is_stored_once_not_503(client, storage, dev_keys):
    payload = json.dumps({**GOOD, "description": GOOD["description"] + " \ud800 \udfff",
                          "submission_id": "lone-surrogate-0000000001", "reporter_name": "\udc80"})
    first = client.post("/api/tips", data=payload, content_type="application/json")
    again = client.post("/api/tips", data=payload, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 201
    assert first.get_json()["receipt"] == again.get_json()["receipt"]
    assert len([k for k in storage.list("tips/") if k.endswith(".sealed") and "/attachments/" not in k]) == 1


@pytest.mark.parametrize("path", ["/api/tips/status", "/api/visits", "/api/uploads"])
def test_lone_surrogate_in_any_json_field_is_not_5xx(client, path):
    payload = '{"receipt": "\\ud800", "filename": "\\udfff.pdf", "content_type": "\\ud800", "size": 3}'
    answer = client.post(path, data=payload, content_type="application/json", headers=JSON)
    assert answer.status_code < 500


def test_multipart_boundary_over_256_characters_on_lambda_is_400(lambda_ctx):
    boundary = "B" * 300
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--{boundary}--\r\n'
    for path in ("/api/assessments", "/api/tips", "/api/uploads/local"):
        result = lambda_handler.handler(event(path, body, f"multipart/form-data; boundary={boundary}"))
        assert 400 <= result["statusCode"] < 500, (path, result["statusCode"])


def test_json_nested_deep_on_lambda_is_400_and_never_escapes(lambda_ctx):
    for depth in (1000, 100_000):
        for base64_body in (False, True):
            result = lambda_handler.handler(event("/api/tips", nested(depth), "application/json", base64_body=base64_body))
            assert result["statusCode"] == 400


def test_lone_surrogate_in_a_lambda_event_is_not_5xx(lambda_ctx):
    sent = event("/api/visits", '{"a": "\\ud800"}', "application/json\ud800")
    sent["headers"]["user-agent"] = "Mozilla/5.0 \ud800"
    sent["rawPath"] = "/api/\udfff"
    assert lambda_handler.handler(sent)["statusCode"] == 404
    sent["rawPath"] = "/api/visits"
    assert lambda_handler.handler(sent)["statusCode"] == 204


def test_stored_report_fields_keep_the_replacement_character(client, storage, private_key):
    payload = json.dumps({**GOOD, "description": GOOD["description"] + " \ud800",
                          "submission_id": "lone-surrogate-0000000002"})
    assert client.post("/api/tips", data=payload, content_type="application/json").status_code == 201
    (tip_id,) = tips.tip_ids(storage)
    assert tips.read(storage, private_key, tip_id).fields["description"].endswith("\ufffd")


@pytest.mark.parametrize("age", ["7" * 4301, "7" * 12000, "1" * 999])
def test_child_age_of_thousands_of_digits_is_400_not_500(client, age, dev_keys):
    answer = client.post("/api/tips", data={**GOOD, "child_age": age}, headers=JSON)
    assert answer.status_code == 400 and "child_age" in answer.get_json()["error"]["fields"]


def test_a_lone_surrogate_in_a_lambda_text_body_is_read_not_raised(lambda_ctx):
    sent = event("/api/visits", '{"a": 1}', "application/json")
    sent["body"] = '{"a": "\ud800"}'  # text, not JSON-escaped: .encode("utf-8") would raise
    assert lambda_handler.handler(sent)["statusCode"] < 500


@pytest.mark.parametrize("broken", [
    {"headers": "not a mapping"},
    {"requestContext": {"http": "not a mapping"}},
    {"body": 12345, "isBase64Encoded": False},
])
def test_an_event_that_cannot_become_a_request_never_escapes_the_handler(lambda_ctx, broken):
    sent = {**event("/api/visits", "{}", "application/json"), **broken}
    result = lambda_handler.handler(sent)
    assert 400 <= result["statusCode"] < 600 and result["statusCode"] != 502
    assert json.loads(result["body"])["error"]["code"]
    assert result["headers"]["X-Content-Type-Options"] == "nosniff"
