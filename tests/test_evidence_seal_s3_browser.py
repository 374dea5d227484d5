"""Evidence sealed in real Chromium before it goes to a real S3 server (SeaweedFS on 127.0.0.1), issue 13:
the self-assessment page loads libsodium only when a file goes ahead, encrypts a 3 MiB PDF chunk by chunk,
posts the ciphertext with the signed post, and the form is accepted. No object in the bucket — after the
upload and after the submission — holds any 64-byte window of the file; the office's key opens the stored
file with the same SHA-256; the page raised no CSP violation (WebAssembly is allowed by 'wasm-unsafe-eval')."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from functions.config import Config
from functions.core import assessments, evidence_seal
from s3_servers import ACCESS_KEY, BUCKET, SECRET_KEY, s3_config
from test_assessments_uploads_browser import open_form, receipt_rows
from test_evidence_seal_browser import keyed_app, office  # noqa: F401 - the office fixture

pytestmark = [pytest.mark.browser, pytest.mark.s3]
MIB = 1024 * 1024

# Kept across the navigation to the receipt: every CSP violation the page saw.
WATCH = """() => {
  document.addEventListener("securitypolicyviolation", (e) => {
    const list = JSON.parse(sessionStorage.getItem("csp") || "[]");
    list.push(e.violatedDirective + " " + e.blockedURI);
    sessionStorage.setItem("csp", JSON.stringify(list));
  });
}"""


def distinctive_pdf(size: int) -> bytes:
    body = b"%PDF-1.4\n% danh sach tre em\n"
    tail = b"\n%%EOF\n"
    return body + os.urandom(size).hex().encode()[: size - len(body) - len(tail)] + tail


def windows(data: bytes) -> list[bytes]:
    """64-byte slices spread over the file: first and last chunk, across chunk boundaries, the middle."""
    return [data[at:at + 64] for at in (40, MIB - 32, MIB + 4000, 2 * MIB - 10, len(data) // 2, len(data) - 200)]


def plaintext_in_bucket(s3, data: bytes) -> list[str]:
    """Every object of the whole bucket that holds one of ``windows(data)``."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []) or []:
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            if any(w in body for w in windows(data)):
                found.append(item["Key"])
    return found


@pytest.fixture
def s3_site(tmp_path, seaweedfs, monkeypatch, built_site, office):  # noqa: F811 - the office fixture
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    base = Config(data_dir=tmp_path / "var", site_dir=built_site, testing=True, secret_key="cd" * 32,
                  csp_connect_src=seaweedfs.endpoint)
    app, ctx = keyed_app(s3_config(base, seaweedfs), office)
    # The page posts to the bucket from its own origin: the bucket must answer it (as template.yaml's CORS).
    ctx.storage.client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]})
    from functions.commands.serve import wsgi_server

    with wsgi_server(app) as server:
        yield server, ctx


def test_a_commune_sends_a_3_mib_pdf_sealed_and_the_bucket_never_holds_it_readable(page, s3_site, office, rubric):  # noqa: F811
    server, ctx = s3_site
    root = office[0]
    data = distinctive_pdf(3 * MIB + 12345)
    sha = hashlib.sha256(data).hexdigest()
    page.add_init_script(f"({WATCH})()")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    open_form(page, server, ctx.cache["test-code"], rubric)
    # What a site built for Lambda renders (BVTE_ASSESSMENT_UPLOAD_AHEAD_BYTES=0): every file goes ahead.
    page.evaluate("document.getElementById('tu-danh-gia').setAttribute('data-upload-ahead', 'all')")
    assert not [u for u in requested if "libsodium" in u or "evidence-seal" in u]  # not in the first view
    found_while_waiting: list[list[str]] = []

    def scan_then_send(route):
        # The form post comes after the upload finished: the sealed object waits in the bucket now.
        found_while_waiting.append(plaintext_in_bucket(ctx.storage.client, data))
        found_while_waiting.append([k for k in ctx.storage.list("uploads/")])
        route.continue_()

    page.route("**/api/assessments", scan_then_send)
    page.set_input_files("#evidence_tc01", files=[{"name": "danh-sach.pdf", "mimeType": "application/pdf", "buffer": data}])
    with page.expect_navigation(timeout=120_000):
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

    assert "Đã nhận bản tự đánh giá" in page.locator("body").inner_text()
    assert [r[0::4] for r in receipt_rows(page)] == [["danh-sach.pdf", sha]]
    no_plaintext, waiting = found_while_waiting
    assert no_plaintext == [] and len(waiting) == 1  # one encrypted object waited, none readable
    assert plaintext_in_bucket(ctx.storage.client, data) == []
    assert list(ctx.storage.list("uploads/")) == []  # claimed: cut into the evidence parts
    opened = b"".join(assessments.open_evidence(ctx.storage, sha, "muong-ang", evidence_seal.holder_name(None),
                                                root.box_key))
    assert hashlib.sha256(opened).hexdigest() == sha
    # Loaded once a file went ahead, and WebAssembly ran without a CSP violation or console complaint.
    assert [u.rsplit("/", 1)[1] for u in requested if "/assets/js/" in u and ("vendor/" in u or "seal" in u)] == [
        "libsodium.js", "libsodium-wrappers.js", "evidence-seal.js"]
    assert json.loads(page.evaluate("sessionStorage.getItem('csp') || '[]'")) == []
    assert not [m for m in console if "Content Security Policy" in m or "WebAssembly" in m], console
