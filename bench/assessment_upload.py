"""Time and server memory to accept a self-assessment with 10 MB of evidence (``python -m bench assessment_upload``).

A real server process (Werkzeug, threaded, local backend with fsync) on 127.0.0.1 with an empty
data directory. For each case the client posts N submissions and we report the median time, and
the server's resident-memory high-water mark (``VmHWM`` from /proc) measured after each case. The
baseline is a submission without evidence in the same run; a 50 MB case shows that memory does not
grow with the evidence: files are spooled to disk by the form parser, hashed and stored in 1 MiB parts.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
RUNS = 5
SERVER = """
import sys
from werkzeug.serving import make_server

from functions.commands.serve import QuietRequestHandler
from functions.config import Config
from functions.web import create_app
cfg = Config(data_dir=sys.argv[1], site_dir=sys.argv[2], testing=False)
server = make_server("127.0.0.1", int(sys.argv[3]), create_app(cfg), threaded=True,
                     request_handler=QuietRequestHandler)
print("ready", flush=True)
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n%bench\n"
    return head + secrets.token_bytes(size - len(head))  # random: nothing compresses or dedupes


def main() -> None:
    from functions.config import Config
    from functions.core import access_codes
    from functions.core.rubric import load_rubrics, rubric_in_force, rubrics_dir
    from functions.server_secret import load_or_create_secret
    from functions.storage import open_storage

    with tempfile.TemporaryDirectory(prefix="bvte-bench-") as tmp:
        data_dir, site_dir = Path(tmp) / "var", Path(tmp) / "site"
        site_dir.mkdir()
        cfg = Config(data_dir=data_dir, site_dir=site_dir)
        code, _ = access_codes.issue(open_storage(cfg), load_or_create_secret(cfg), "muong-ang")
        rubric = rubric_in_force(load_rubrics(rubrics_dir(cfg.content_dir)), dt.date.today())
        known = sum(c.max_points for c in rubric.criteria if c.max_points)
        unknown = [c for c in rubric.criteria if c.max_points is None]
        scores = {c.field: str(c.max_points if c.max_points else (800 - known) // len(unknown) + 1) for c in rubric.criteria}
        fields = {"commune": "muong-ang", "year": str(dt.date.today().year), "access_code": code, **scores}

        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(data_dir), str(site_dir), str(port)],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            assert proc.stdout.readline().strip() == "ready"
            url = f"http://127.0.0.1:{port}/api/assessments"
            session = requests.Session()

            def post(files) -> float:
                started = time.perf_counter()
                r = session.post(url, data=fields, files=files, headers={"Accept": "application/json"})
                elapsed = time.perf_counter() - started
                assert r.status_code == 201, r.text[:300]
                return elapsed

            post(None)  # warm up: imports, rubric and places loaded, secret read
            cases = [
                ("no evidence (baseline)", lambda i: None, 0),
                ("1 × 10 MB PDF", lambda i: [("evidence", (f"e{i}.pdf", _pdf(10 * 1024 * 1024), "application/pdf"))], 10),
                ("5 × 10 MB PDF (50 MB)", lambda i: [("evidence", (f"e{i}-{k}.pdf", _pdf(10 * 1024 * 1024), "application/pdf"))
                                                   for k in range(5)], 50),
            ]
            base_rss = _rss_kib(proc.pid)
            print(f"server RSS after warm-up: {base_rss / 1024:.1f} MiB; {RUNS} submissions per case; "
                  "random (incompressible, distinct) evidence")
            print(f"{'case':26} {'median s':>9} {'MB/s':>7} {'× baseline':>10} {'server peak RSS MiB':>20} {'peak − warm-up':>15}")
            baseline = None
            for name, make, mb in cases:
                times = [post(make(i)) for i in range(RUNS)]
                median = statistics.median(times)
                baseline = baseline or median
                hwm = _hwm_kib(proc.pid)
                rate = f"{mb / median:.0f}" if mb else "-"
                print(f"{name:26} {median:9.3f} {rate:>7} {median / baseline:10.1f} {hwm / 1024:20.1f} "
                      f"{(hwm - base_rss) / 1024:15.1f}")
            stored = sum(1 for _ in open_storage(cfg).list("assessments/evidence/"))
            print(f"evidence keys stored: {stored} (1 MiB parts + one manifest per file)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
