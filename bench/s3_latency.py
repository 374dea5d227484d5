"""``POST /api/tips`` latency and throughput: SeaweedFS (real S3 on 127.0.0.1) against local storage.

Same run, same app code (Flask test client, JSON tips, no attachment), one backend after another:
- local: the data directory (fsync per write);
- s3+dynamodb: SeaweedFS for objects, moto server for the rate-limit counter (as on AWS);
- s3-cas: SeaweedFS alone, counter by compare-and-swap on an object (a domestic provider).
Sequential requests give the latency (median, p95); 4 threads give the throughput.
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

N = int(os.environ.get("BENCH_TIPS", "60"))
THREADS = 4
ORIGIN = "https://baovetreem.example.vn"
TIP = {"description": "Cháu bé hàng xóm thường bị đánh, tôi rất lo cho cháu.", "commune": "muong-ang",
       "category": "bao-luc"}


def measure(app) -> dict:
    client = app.test_client()
    headers = {"Origin": ORIGIN, "Accept": "application/json"}
    for _ in range(3):  # warm: data files, key, connections
        assert client.post("/api/tips", json=TIP, headers=headers).status_code == 201
    latencies = []
    for _ in range(N):
        started = time.perf_counter()
        r = client.post("/api/tips", json=TIP, headers=headers)
        latencies.append(time.perf_counter() - started)
        assert r.status_code == 201, r.data[:200]
    per_thread = N // THREADS
    errors = []

    def worker():
        c = app.test_client()
        for _ in range(per_thread):
            if c.post("/api/tips", json=TIP, headers=headers).status_code != 201:
                errors.append(1)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - started
    assert not errors
    latencies.sort()
    return {"median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
            "seq_per_s": N / sum(latencies), "par_per_s": per_thread * THREADS / elapsed}


def main() -> None:
    from nacl.public import PrivateKey

    from functions.config import Config
    from functions.web import create_app
    from s3_servers import ACCESS_KEY, SECRET_KEY, MotoDynamo, SeaweedFS, s3_config

    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = ACCESS_KEY, SECRET_KEY
    key = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    weed = SeaweedFS().start()
    moto = MotoDynamo().start()
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Config(data_dir=Path(tmp) / "var", site_dir=Path(tmp) / "no-site", testing=True,
                          allowed_origins=ORIGIN, public_key=key, secret_key="ab" * 32, tips_per_hour=10**9)
            variants = {
                "local": base,
                "s3+dynamodb": s3_config(base, weed, moto),
                "s3-cas": s3_config(base, weed),
            }
            for name, config in variants.items():
                results[name] = measure(create_app(config))
    finally:
        moto.stop()
        weed.cleanup()
    local = results["local"]
    print(f"POST /api/tips (JSON, no attachment), {N} sequential + {N // THREADS * THREADS} on {THREADS} threads")
    print(f"{'backend':14} {'median ms':>10} {'p95 ms':>8} {'seq req/s':>10} {'4-thread req/s':>15} {'vs local':>9}")
    for name, r in results.items():
        print(f"{name:14} {r['median_ms']:10.1f} {r['p95_ms']:8.1f} {r['seq_per_s']:10.1f} {r['par_per_s']:15.1f} "
              f"{r['par_per_s'] / local['par_per_s']:8.2f}x")


if __name__ == "__main__":
    main()
