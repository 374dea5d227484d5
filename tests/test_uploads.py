"""Large evidence files: presigned POST straight to storage, verified before the assessment counts.

Locally through the Flask server (the stand-in for S3's POST Object). Against SeaweedFS, where the real
S3 server enforces the size range, the type and the key of the signed policy, only files sealed in the
browser go ahead: tests/test_evidence_seal_browser.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

import pytest

from functions.api.uploads import UploadRejected, claim
from functions.config import Config
from functions.core import access_codes

YEAR = dt.date.today().year
JSON = {"Accept": "application/json"}
PDF = b"%PDF-1.4\n% ho so minh chung\n" + b"0" * 4000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def scores(rubric, total=800) -> dict[str, str]:
    values = {c.id: (c.max_points if c.max_points is not None else 0) for c in rubric.criteria}
    unknown = [c for c in rubric.criteria if c.max_points is None]
    rest = total - sum(values.values())
    for i, c in enumerate(unknown):
        values[c.id] = rest // len(unknown) + (1 if i < rest % len(unknown) else 0)
    return {f"score_{k}": str(v) for k, v in values.items()}


def make_app(config):
    from functions.web import context, create_app

    app = create_app(config)
    return app, context(app)


@pytest.fixture
def local(tmp_path):
    return make_app(Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True,
                           assessment_max_file_bytes=10_000))


def commune_code(client) -> str:
    """A valid access code of muong-ang in the client's app (issued once per app): upload slots need one."""
    ctx = client.application.extensions["bvte"]
    if "test-code" not in ctx.cache:
        ctx.cache["test-code"] = access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")[0]
    return ctx.cache["test-code"]


def start(client, name="ho-so.pdf", ctype="application/pdf", size=len(PDF), sha256=None):
    body = {"filename": name, "content_type": ctype, "size": size, "commune": "muong-ang",
            "access_code": commune_code(client)}
    if sha256:
        body["sha256"] = sha256
    return client.post("/api/uploads", json=body)


def submit(client, ctx, rubric, **extra):
    code = commune_code(client)
    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": code, **scores(rubric), **extra}
    return client.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")


# -- local: the Flask server plays S3 -------------------------------------------------------------

def test_local_flow_upload_then_claim_in_the_assessment(local, rubric):
    app, ctx = local
    client = app.test_client()
    started = start(client, sha256=hashlib.sha256(PDF).hexdigest())
    assert started.status_code == 201
    answer = started.get_json()
    assert answer["url"] == "/api/uploads/local" and answer["max_bytes"] == 10_000
    posted = client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(PDF), "ho-so.pdf")},
                         content_type="multipart/form-data")
    assert posted.status_code == 204
    # Nothing counts yet: the file waits under uploads/.
    assert [k for k in ctx.storage.list("assessments/evidence/")] == []

    r = submit(client, ctx, rubric, upload_evidence_tc01=answer["upload"])
    assert r.status_code == 201, r.get_json()
    evidence = r.get_json()["assessment"]["evidence"]
    assert [(e["filename"], e["sha256"], e["size"], e["criterion"]) for e in evidence] == [
        ("ho-so.pdf", hashlib.sha256(PDF).hexdigest(), len(PDF), "tc01")]
    from functions.core.assessments import read_evidence

    assert b"".join(read_evidence(ctx.storage, hashlib.sha256(PDF).hexdigest())) == PDF


def test_local_stand_in_enforces_the_policy_like_s3(local):
    app, _ = local
    client = app.test_client()
    answer = start(client).get_json()
    too_big = client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(b"%PDF" + b"x" * 10_001), "a.pdf")},
                          content_type="multipart/form-data")
    assert too_big.status_code == 400 and b"EntityTooLarge" in too_big.data
    other_type = client.post(answer["url"], data={**answer["fields"], "Content-Type": "text/html",
                                                   "file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert other_type.status_code == 403
    other_key = client.post(answer["url"], data={**answer["fields"], "key": "tips/x/report.sealed",
                                                  "file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert other_key.status_code == 403
    ok = client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(PDF), "a.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 204
    again = client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(PNG), "a.pdf")},
                        content_type="multipart/form-data")
    assert again.status_code == 412  # create-only: an upload cannot be replaced after the fact


def test_start_refuses_wrong_types_sizes_and_cross_site(local):
    app, _ = local
    client = app.test_client()
    assert start(client, ctype="text/html").status_code == 415
    big = start(client, size=10_001)
    assert big.status_code == 413 and "MB" in big.get_json()["error"]["fields"]["file"]
    assert start(client, size=0).status_code == 400
    cross = client.post("/api/uploads", json={"filename": "a.pdf", "content_type": "application/pdf", "size": 10},
                        headers={"Origin": "https://evil.example.com"})
    assert cross.status_code == 403


def test_a_forged_or_unsent_upload_is_a_message_next_to_the_field(local, rubric):
    app, ctx = local
    client = app.test_client()
    r = submit(client, ctx, rubric, upload_evidence="not-a-token")
    assert r.status_code == 400
    assert "evidence" in r.get_json()["error"]["fields"]
    never_sent = start(client).get_json()["upload"]
    r = submit(client, ctx, rubric, upload_evidence=never_sent)
    assert r.status_code == 400 and "Chưa nhận được" in r.get_json()["error"]["fields"]["evidence"]
    assert list(ctx.storage.list("assessments/")) == []


def test_bytes_that_are_not_what_was_announced_are_415(local, rubric):
    app, ctx = local
    client = app.test_client()
    answer = start(client, size=len(PNG)).get_json()  # announced as PDF, really a PNG
    assert client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(PNG), "a.pdf")},
                       content_type="multipart/form-data").status_code == 204
    r = submit(client, ctx, rubric, upload_evidence=answer["upload"])
    assert r.status_code == 415 and "không đúng loại" in r.get_json()["error"]["fields"]["evidence"]
    assert list(ctx.storage.list("assessments/")) == []


def test_hash_announced_by_the_browser_must_match(local):
    app, ctx = local
    client = app.test_client()
    answer = start(client, sha256="0" * 64).get_json()
    client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(PDF), "a.pdf")},
                content_type="multipart/form-data")
    with pytest.raises(UploadRejected) as caught:
        claim(ctx, answer["upload"], "evidence")
    assert "mã băm" in caught.value.message
    # A token cannot be edited to point elsewhere.
    body, mac = answer["upload"].split(".")
    forged = base64.urlsafe_b64encode(b'{"exp":9999999999,"key":"tips/x/report.sealed","name":"x","sha256":"","type":"application/pdf"}').decode().rstrip("=")
    with pytest.raises(UploadRejected):
        claim(ctx, f"{forged}.{mac}", "evidence")


# -- SeaweedFS: the real S3 server enforces the presigned policy -----------------------------------

# test_presigned_post_to_seaweedfs_then_claim moved to test_evidence_seal_browser.py: on S3 only a file
# sealed in the browser goes ahead now (issue 13), and that test drives the sealed flow.


# -- upload slots only for a commune holding its access code (issue 15: 1.26 GB from one client in 7 s) --

def test_upload_slots_need_the_communes_access_code(local):
    app, ctx = local
    client = app.test_client()
    announce = {"filename": "a.pdf", "content_type": "application/pdf", "size": 100}
    none = client.post("/api/uploads", json=announce)
    assert none.status_code == 400 and "commune" in none.get_json()["error"]["fields"]
    wrong = client.post("/api/uploads", json={**announce, "commune": "muong-ang", "access_code": "ABCD-EFGH-JKMN-PQRS"})
    assert wrong.status_code == 401 and "access_code" in wrong.get_json()["error"]["fields"]
    right = client.post("/api/uploads", json={**announce, "commune": "muong-ang", "access_code": commune_code(client)})
    assert right.status_code == 201
    assert [k for k in ctx.storage.list("uploads/")] == []  # a slot is only a signature: nothing stored yet


def test_wrong_codes_on_upload_slots_count_like_the_forms(local):
    app, ctx = local
    client = app.test_client()
    commune_code(client)
    announce = {"filename": "a.pdf", "content_type": "application/pdf", "size": 100, "commune": "muong-ang"}
    for _ in range(ctx.config.access_code_attempts_per_hour):
        assert client.post("/api/uploads", json={**announce, "access_code": "WRONG"}).status_code == 401
    assert client.post("/api/uploads", json={**announce, "access_code": commune_code(client)}).status_code == 429


def test_the_page_may_send_the_commune_and_its_code_in_headers(local):
    app, _ = local
    client = app.test_client()
    announce = {"filename": "a.pdf", "content_type": "application/pdf", "size": 100}
    right = client.post("/api/uploads", json=announce,
                        headers={"X-Commune": "muong-ang", "X-Access-Code": commune_code(client)})
    assert right.status_code == 201
    by_name = client.post("/api/uploads", json=announce,
                          headers={"X-Commune": "M%C6%B0%E1%BB%9Dng%20%E1%BA%A2ng", "X-Access-Code": "WRONG"})
    assert by_name.status_code == 401  # the commune was understood (percent-encoded name); the code is wrong
