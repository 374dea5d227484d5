"""Security review: each test pins a problem found in review (it failed before its fix) or a
property the review checked and that must not regress.

The pages here use the fallback shell (no built site): what is checked is escaping, headers and
what reaches storage, not the site's look.
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from functions.commands import main
from functions.core import crypto, receipts, tips
from functions.keys import DEV_PASSPHRASE, load_public_key

JSON = {"Accept": "application/json"}
GOOD = {"description": "Bé gái ở bản bên cạnh bị bố mẹ bắt nghỉ học để lấy chồng", "category": "bao-luc",
        "commune": "Ẳng Tở"}
XSS = '"><script>alert(1)</script></textarea><img src=x onerror=alert(2)>'


pytestmark = pytest.mark.usefixtures("dev_keys")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


def _multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand, so the file name is sent exactly as given (even empty)."""
    boundary = "----bvte-review-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# -- attachments must never be dropped silently ------------------------------------------------

def test_a_file_sent_without_a_name_is_not_silently_dropped(client, storage, private_key):
    # Some clients (scripts, old browsers, apps sharing a photo) send a file part with filename="".
    # The Flask adapter dropped such a part when it had no Content-Length header of its own, so the
    # reporter got 201 while the photo was lost (the Lambda adapter keeps it: it checks the bytes).
    body, ctype = _multipart({**GOOD, "submission_id": "review-no-name-000001"},
                             [("attachments", "", _jpeg())])
    response = client.post("/api/tips", data=body, content_type=ctype, headers=JSON)
    assert response.status_code == 201, response.get_data(as_text=True)
    (record,) = [k for k in storage.list("tips/") if k.endswith("/report.sealed")]
    tip = tips.read(storage, private_key, record.split("/")[1])
    assert len(tip.attachments) == 1
    assert tips.read_attachment(storage, private_key, tip.attachments[0]).startswith(b"\xff\xd8\xff")


def test_a_nameless_file_is_checked_like_any_other(client, storage):
    body, ctype = _multipart({**GOOD, "submission_id": "review-no-name-000002"},
                             [("attachments", "", b"MZ this is not a photo")])
    response = client.post("/api/tips", data=body, content_type=ctype, headers=JSON)
    assert response.status_code == 415
    assert list(storage.list("tips/")) == []


def test_an_empty_file_input_is_still_not_an_upload(client):
    # What every browser sends when no file was chosen: filename="" and no bytes.
    body, ctype = _multipart({**GOOD, "submission_id": "review-no-name-000003"}, [("attachments", "", b"")])
    assert client.post("/api/tips", data=body, content_type=ctype, headers=JSON).status_code == 201


# -- the officer's computer: names from storage must not choose where files go ---------------------

def _plant_tip(config, attachment_name: str) -> str:
    """A record sealed to the office key (anyone can do that: the key is public) naming an attachment
    with a hostile name — what a compromised intake function or bucket writer could leave."""
    from functions.storage import open_storage

    storage = open_storage(config)
    public = load_public_key(config)
    tip_id = "ab" * 16
    key = f"tips/{tip_id}/attachments/0011223344556677.sealed"
    storage.create(key, crypto.seal(public, b"%PDF-1.4 planted\n%%EOF\n"))
    record = {"version": 1, "received": "2026-01-02T03:04:05+00:00", "fields": dict(GOOD),
              "attachments": [{"key": key, "name": attachment_name, "content_type": "application/pdf", "size": 24}],
              "reporter_key": crypto.b64(b"\1" * 32)}
    storage.create(tips.record_key(tip_id), crypto.seal(public, json.dumps(record).encode()))
    return tip_id


@pytest.mark.parametrize("name", ["../../escaped.pdf", "x/../../../escaped.pdf", "/tmp/escaped.pdf",
                                  "..\\..\\escaped.pdf"])
def test_save_attachments_cannot_write_outside_the_chosen_folder(config, runner, tmp_path, name):
    tip_id = _plant_tip(config, name)
    out = tmp_path / "officer" / "inbox" / "saved"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(DEV_PASSPHRASE + "\n", encoding="utf-8")
    env = {"BVTE_DATA_DIR": str(config.data_dir), "BVTE_PASSPHRASE_FILE": str(passphrase), "BVTE_PRIVATE_KEY": None}
    result = runner.invoke(main, ["tips", "show", tip_id[:10], "--save-attachments", str(out)], env=env)
    written = [p for p in tmp_path.rglob("*escaped*") if p.is_file()]
    assert result.exit_code == 0, result.output
    assert written and all(p.parent == out for p in written), written
    assert written[0].read_bytes().startswith(b"%PDF-1.4 planted")


# -- the honeypot answers as the real path would ---------------------------------------------------

def test_honeypot_with_invalid_fields_answers_like_the_real_form(client, storage):
    bad = {"description": "ngắn", "category": "bao-luc", "commune": "Ẳng Tở"}
    real = client.post("/api/tips", json=bad)
    bot = client.post("/api/tips", json={**bad, "website": "http://spam.example"})
    assert real.status_code == 400
    assert bot.status_code == real.status_code
    assert bot.get_json() == real.get_json()


def test_honeypot_retry_answers_the_same_receipt_like_a_real_retry(client, storage):
    submission = {**GOOD, "submission_id": "review-honeypot-000001", "website": "x"}
    first = client.post("/api/tips", json=submission).get_json()["receipt"]
    second = client.post("/api/tips", json=submission).get_json()["receipt"]
    assert first == second and receipts.parse(first) == first
    assert list(storage.list("tips/")) == [] and list(storage.list("receipts/")) == []


# -- properties checked in review (regression guards) ------------------------------------------------

def test_error_rerender_escapes_every_value_put_back_in_the_form(client):
    values = {name: XSS for name in ("description", "category", "commune", "child_age", "location_detail",
                                     "reporter_name", "reporter_phone", "urgent", "submission_id")}
    page = client.post("/api/tips", data=values).get_data(as_text=True)
    status = client.post("/api/tips/status", data={"receipt": XSS}).get_data(as_text=True)
    for html in (page, status):
        assert "<script>alert" not in html and "<img src=x" not in html and "</textarea><img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_api_answer_is_no_store_with_csp_and_no_cookie_or_cors(client):
    answers = [
        client.post("/api/tips", json=GOOD, headers={"Origin": "https://evil.example"}),
        client.post("/api/tips", data={"description": "x"}),
        client.post("/api/tips/status", json={"receipt": "2222-2222-2222-2222-2222"}),
        client.post("/api/uploads", json={}),
        client.post("/api/assessments", data={}),
        client.get("/api/visits"),
        client.get("/api/nothing-here"),
    ]
    # A CORS preflight gets Flask's automatic empty answer: no body, and nothing that opens CORS.
    preflight = client.options("/api/tips", headers={"Origin": "https://evil.example",
                                                     "Access-Control-Request-Method": "POST"})
    assert preflight.get_data() == b"" and "Set-Cookie" not in preflight.headers
    assert not any(h.lower().startswith("access-control-") for h in preflight.headers.keys())
    for response in answers:
        assert response.headers.get("Cache-Control") == "no-store", response.status_code
        assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
        assert "Set-Cookie" not in response.headers
        assert not any(h.lower().startswith("access-control-") for h in response.headers.keys())


# -- sliding windows (issue 15: 20 reports in 2 s across the hour's boundary with a limit of 10) --------

def _limit_ctx(tmp_path):
    from functions.api.http import Context, Request
    from functions.config import Config
    from functions.storage.local import LocalStorage

    ctx = Context(config=Config(data_dir=tmp_path, testing=True, secret_key="ef" * 32), storage=LocalStorage(tmp_path))
    return ctx, Request(method="POST", path="/api/tips", headers={}, client_address="203.0.113.5")


def test_rate_limit_window_slides_across_the_hour_boundary(tmp_path):
    from functions.api.security import over_limit

    ctx, request = _limit_ctx(tmp_path)
    end_of_hour = 1_790_000_000 // 3600 * 3600 + 3599  # hh:59:59
    assert not any(over_limit(request, ctx, "tips", 10, now=end_of_hour - 1) for _ in range(10))
    # Two seconds later, in the next UTC hour, the ten reports still count: the eleventh is refused.
    assert over_limit(request, ctx, "tips", 10, now=end_of_hour + 1)
    # Half an hour on, half of them still count: five more pass, the sixth does not.
    later = end_of_hour + 1801  # hh+1:30:00; the refused eleventh counts too
    assert [over_limit(request, ctx, "tips", 10, now=later) for _ in range(5)] == [False] * 4 + [True]


def test_rate_limit_forgets_after_an_hour(tmp_path):
    from functions.api.security import over_limit

    ctx, request = _limit_ctx(tmp_path)
    start = 1_790_000_000 // 3600 * 3600
    assert not any(over_limit(request, ctx, "tips", 3, now=start + 10) for _ in range(3))
    assert over_limit(request, ctx, "tips", 3, now=start + 20)
    assert not over_limit(request, ctx, "tips", 3, now=start + 2 * 3600 + 20)


# -- API-rendered pages run the shell's inline scripts and nothing else inline (issue 15) ------------------

def test_api_pages_allow_exactly_the_shells_inline_scripts_by_hash(client, built_site):
    import base64 as _b64
    import hashlib as _hashlib
    import re as _re

    page = client.post("/api/tips", data={"description": XSS, "category": "bao-luc", "commune": "Ẳng Tở"})
    html = page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    inline = [m.group(1) for m in _re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>",
                                               html, _re.S)]
    assert inline  # the shell's own: the quick exit, the theme's settings
    for script in inline:
        digest = _b64.b64encode(_hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert client.get("/api/health").headers["Content-Security-Policy"].count("sha256-") == 0  # JSON: none


def test_origin_check_compares_scheme_host_and_port(tmp_path):
    from functions.api.http import Context, Request
    from functions.api.security import same_origin
    from functions.config import Config

    ctx = Context(config=Config(data_dir=tmp_path, testing=True), storage=None)

    def posted(origin: str, host_url: str = "https://baovetreem.example.vn", host: str = "baovetreem.example.vn"):
        return same_origin(Request(method="POST", path="/api/tips", headers={"origin": origin, "host": host},
                                   host_url=host_url), ctx)

    assert posted("https://baovetreem.example.vn")
    assert not posted("http://baovetreem.example.vn")  # same host, other scheme
    assert not posted("https://baovetreem.example.vn:8443")  # same host, other port
    assert not posted("https://evil.example")
    # Behind a proxy the app sees an internal address; Host names the site: https from it still passes…
    assert posted("https://baovetreem.example.vn", host_url="http://127.0.0.1:8000")
    # …an http page of that name only when the app itself is reached over http.
    assert not posted("http://baovetreem.example.vn", host_url="https://10.0.0.5")


# -- one storage budget per client and hour, across endpoints (issue 15) --------------------------------

def test_a_clients_storage_budget_covers_upload_slots_and_report_photos(app, client, storage):
    from functions.core import access_codes
    from functions.web import context

    ctx = context(app)
    ctx.config.storage_budget_bytes_per_hour = 3 * 1024 * 1024
    code, _ = access_codes.issue(storage, ctx.secret(), "muong-ang")
    announce = {"filename": "a.pdf", "content_type": "application/pdf", "commune": "muong-ang", "access_code": code}
    assert client.post("/api/uploads", json={**announce, "size": 2 * 1024 * 1024}).status_code == 201
    assert client.post("/api/uploads", json={**announce, "size": 2 * 1024 * 1024}).status_code == 429
    photo = client.post("/api/tips", headers=JSON, content_type="multipart/form-data",
                        data={**GOOD, "attachments": [(io.BytesIO(_jpeg()), "a.jpg")]})
    assert photo.status_code == 429 and "dữ liệu" in photo.get_json()["error"]["message"]
    other = client.post("/api/tips", headers=JSON, content_type="multipart/form-data",
                        data={**GOOD, "attachments": [(io.BytesIO(_jpeg()), "a.jpg")]},
                        environ_base={"REMOTE_ADDR": "127.0.0.77"})
    assert other.status_code == 201  # another client has its own budget
