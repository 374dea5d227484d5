"""A 50 MB evidence file sent ahead from Chromium to a real S3 server (SeaweedFS on 127.0.0.1): sealed in the
browser (issue 13: SHA-256, /api/uploads, libsodium secretstream in 1 MiB chunks, the seal announced, the
ciphertext posted) against the same file posted plain with a presigned POST (SHA-256 + post), in the same run
and the same page; then the claim that cuts the sealed object into the evidence parts (POST /api/assessments).

The page is the built site's /tu-danh-gia/ served by the project's app; the sealing runs the page's own scripts
(theme/assets/js/evidence-seal.js and the vendored libsodium, loaded as assessment.js loads them). The file is
random (incompressible). Median of ``BENCH_RUNS`` runs (default 3); ``BENCH_SEAL_MB`` sets the size (default 50).

Run: ``.venv/bin/python -m bench evidence_seal_browser``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.page_weight import CHROMIUM, CHROMIUM_ARGS, build_ours

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SIZE = int(os.environ.get("BENCH_SEAL_MB", "50")) * 1000 * 1000

# In the page: a random File of `size` bytes kept as window.__file (made once, outside the timings).
MAKE_FILE = """(size) => {
  const pieces = [];
  for (let done = 0; done < size; done += 65536) {
    const piece = new Uint8Array(Math.min(65536, size - done));
    crypto.getRandomValues(piece);
    pieces.push(piece);
  }
  pieces[0].set(new TextEncoder().encode("%PDF-1.4\\n"));
  window.__file = new File(pieces, "ho-so-lon.pdf", {type: "application/pdf"});
  return window.__file.size;
}"""

HELPERS = """
window.__hex = async (blob) => {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
};
window.__post = (answer, body) => new Promise((resolve, reject) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(answer.fields)) data.append(k, v);
  data.append("file", body);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", answer.url);
  xhr.onload = () => (xhr.status < 300 ? resolve(xhr.status) : reject(new Error(xhr.status + xhr.responseText)));
  xhr.onerror = () => reject(new Error("network"));
  xhr.send(data);
});
window.__json = async (body, headers) => {
  const r = await fetch("/api/uploads", {method: "POST", body: JSON.stringify(body),
    headers: Object.assign({"Content-Type": "application/json", "Accept": "application/json"}, headers || {})});
  if (r.status !== 201) throw new Error(r.status + " " + await r.text());
  return r.json();
};
window.__loadSealer = () => {
  const load = (src) => new Promise((ok, no) => { const s = document.createElement("script"); s.src = src;
    s.onload = ok; s.onerror = no; document.head.appendChild(s); });
  return load("/assets/js/vendor/libsodium.js").then(() => load("/assets/js/vendor/libsodium-wrappers.js"))
    .then(() => load("/assets/js/evidence-seal.js")).then(() => window.sodium.ready);
};
"""

PLAIN = """async (answer) => {
  const t0 = performance.now();
  await window.__hex(window.__file);
  const t1 = performance.now();
  await window.__post(answer, window.__file);
  return {hash: t1 - t0, post: performance.now() - t1, total: performance.now() - t0};
}"""

SEALED = """async (code) => {
  const file = window.__file, t0 = performance.now();
  const hex = await window.__hex(file);
  const t1 = performance.now();
  const first = await window.__json({filename: file.name, content_type: "application/pdf", size: file.size,
                                     sha256: hex}, {"X-Commune": "muong-ang", "X-Access-Code": code});
  const sealed = await window.bvteEvidenceSeal.seal(window.sodium, file, first.seal,
                                                    {sha256: hex, size: file.size, kind: "pdf"}, null);
  const t2 = performance.now();
  const s = sealed.seal;
  const body = {seal: first.seal.upload, header: s.header, facts: s.facts, parts: s.parts, part_bytes: s.part_bytes,
                keyring_version: s.keyring_version};
  for (const h of Object.keys(s.keys)) body["key:" + h] = s.keys[h];
  const answer = await window.__json(body);
  await window.__post(answer, sealed.body);
  const t3 = performance.now();
  return {hash: t1 - t0, seal: t2 - t1, post: t3 - t2, total: t3 - t0, token: answer.upload, sha256: hex,
          heap: performance.memory ? performance.memory.usedJSHeapSize : null};
}"""


def _app(site: Path, data: Path, seaweed, office):
    from functions.config import Config
    from s3_servers import s3_config
    from test_evidence_seal_browser import keyed_app

    base = Config(data_dir=data, site_dir=site, testing=True, secret_key="ab" * 32,
                  assessment_max_file_bytes=SIZE + 1024 * 1024, csp_connect_src=seaweed.endpoint)
    app, ctx = keyed_app(s3_config(base, seaweed), office)
    ctx.storage.client.put_bucket_cors(Bucket=ctx.storage.bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]})
    return app, ctx


def _office():
    from functions.core import office_keys

    root, officer = office_keys.Identity.generate(), office_keys.Identity.generate()
    keyring = office_keys.Keyring(version=1, created="2026-01-01T00:00:00+00:00", officers=(
        office_keys.Officer("can-bo-a", "A", ("muong-ang",), officer.verify_key),))
    return root, officer, None, keyring


def _claim(app, ctx, token: str) -> float:
    """Seconds of the form post that claims the sealed object (cut into parts, manifest, upload deleted)."""
    from functions.core.rubric import load_rubrics, rubrics_dir
    from functions.config import Config
    from test_uploads import scores

    rubric = load_rubrics(rubrics_dir(Config().content_dir))[0]
    data = {"commune": "muong-ang", "year": str(dt.date.today().year), "access_code": ctx.cache["test-code"],
            **scores(rubric), "upload_evidence": token}
    started = time.perf_counter()
    answer = app.test_client().post("/api/assessments", data=data, headers={"Accept": "application/json"},
                                    content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    return time.perf_counter() - started


def _measure(page, app, ctx) -> tuple[dict, dict, float]:
    key = f"uploads/bench-plain-{os.urandom(6).hex()}"
    plain_answer = ctx.storage.presigned_post(key, "application/pdf", SIZE + 1, 900)
    plain = page.evaluate(PLAIN, plain_answer)
    ctx.storage.delete(key)
    sealed = page.evaluate(SEALED, ctx.cache["test-code"])
    claim = _claim(app, ctx, sealed["token"])
    return plain, sealed, claim


def main() -> None:
    from playwright.sync_api import sync_playwright

    from functions.commands.serve import wsgi_server
    from s3_servers import ACCESS_KEY, SECRET_KEY, SeaweedFS

    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        build_ours(site)
        seaweed = SeaweedFS().start()
        try:
            app, ctx = _app(site, Path(work) / "var", seaweed, _office())
            with wsgi_server(app) as server, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(f"{server.url}/tu-danh-gia/")
                page.evaluate(HELPERS)
                load_started = time.perf_counter()
                page.evaluate("() => window.__loadSealer()")
                load_ms = (time.perf_counter() - load_started) * 1000
                assert page.evaluate(MAKE_FILE, SIZE) == SIZE
                runs = [_measure(page, app, ctx) for _ in range(RUNS)]
                browser.close()
        finally:
            seaweed.stop()
    _report(runs, load_ms)


def _report(runs, load_ms: float) -> None:
    med = lambda values: statistics.median(values)  # noqa: E731 - a one-line helper for the table
    plain = {k: med([r[0][k] for r in runs]) / 1000 for k in ("hash", "post", "total")}
    sealed = {k: med([r[1][k] for r in runs]) / 1000 for k in ("hash", "seal", "post", "total")}
    claim = med([r[2] for r in runs])
    mb = SIZE / 1e6
    print(f"{mb:.0f} MB random PDF, Chromium → SeaweedFS on 127.0.0.1, median of {len(runs)} runs")
    print(f"sealer scripts loaded (once, from this server): {load_ms:.0f} ms")
    print(f"plain:  SHA-256 {plain['hash']:.2f} s + post {plain['post']:.2f} s = {plain['total']:.2f} s")
    print(f"sealed: SHA-256 {sealed['hash']:.2f} s + seal {sealed['seal']:.2f} s ({mb / sealed['seal']:.0f} MB/s)"
          f" + announce and post {sealed['post']:.2f} s = {sealed['total']:.2f} s")
    print(f"ratio sealed / plain (browser side): {sealed['total'] / plain['total']:.2f}×")
    print(f"claim of the sealed object (POST /api/assessments, cut into {int(-(-SIZE // 1048576))} parts): {claim:.2f} s")
    heaps = [r[1]["heap"] for r in runs if r[1].get("heap")]
    if heaps:
        print(f"page JS heap after sealing (performance.memory): {max(heaps) / 1048576:.0f} MiB")
    print(json.dumps({"plain": plain, "sealed": sealed, "claim_s": claim, "load_ms": load_ms}))


if __name__ == "__main__":
    main()
