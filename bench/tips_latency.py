"""``POST /api/tips`` latency (p50, p99) and throughput with 1, 10 and 50 concurrent clients.

A real threaded server on 127.0.0.1 (``functions.commands.serve.wsgi_server``, as in the tests), local backend with fsync, a
development key pair. Each case sends a bounded number of requests; ``GET /api/health`` on the same
server in the same run is the baseline the ratios are against. A report costs: validation, sealing
to the office key, 2 create-only durable writes (receipt index, record) + 1 rate-limit increment;
the photo case adds decoding, re-encoding without metadata and one more sealed write.
No figure here is asserted: read them.
"""

from __future__ import annotations

import concurrent.futures
import io
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

REQUESTS = {1: 100, 10: 200, 50: 300}


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 30.0, 0.0)}
    Image.effect_noise((1280, 960), 40).convert("RGB").save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _run(fn, n: int, workers: int) -> tuple[list[float], float]:
    local = threading.local()

    def timed(i: int) -> float:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        start = time.perf_counter()
        fn(local.session, i)
        return time.perf_counter() - start

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        latencies = list(pool.map(timed, range(n)))
    return latencies, n / (time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    from functions.commands.serve import wsgi_server
    from functions.config import Config
    from functions.keys import ensure_dev_keypair
    from functions.web import create_app

    photo = _photo()
    body = {"description": "Một em bé ở bản bên bị đánh nhiều lần, hàng xóm nghe tiếng khóc mỗi tối",
            "category": "bao-luc", "commune": "Ẳng Tở", "child_age": "8", "reporter_phone": "0912345678"}
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(data_dir=Path(tmp) / "var", site_dir=Path(tmp), testing=True,
                        tips_per_hour=10**6, status_lookups_per_hour=10**6)
        ensure_dev_keypair(config)
        app = create_app(config)
        run_id = int(time.time())
        with wsgi_server(app) as server:
            def health(session, _i):
                assert session.get(server.url + "/api/health", timeout=60).status_code == 200

            def tip(session, i, workers=0):
                r = session.post(server.url + "/api/tips", json={**body, "submission_id": f"bench-{run_id}-{workers}-{i:06d}"},
                                 timeout=60)
                assert r.status_code == 201, r.text[:200]

            def tip_photo(session, i):
                r = session.post(server.url + "/api/tips", headers={"Accept": "application/json"},
                                 data={**body, "submission_id": f"bench-photo-{run_id}-{i:06d}"},
                                 files={"attachments": ("anh.jpg", photo, "image/jpeg")}, timeout=120)
                assert r.status_code == 201, r.text[:200]

            def status(session, i):
                r = session.post(server.url + "/api/tips/status", json={"receipt": "7KQ4-M2XH-9TPD-RW3C-BNF6"}, timeout=60)
                assert r.status_code in (200, 400)

            print(f"{'clients':>7} {'endpoint':<22} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}  ratio to health (p50 / req/s)")
            for workers, n in REQUESTS.items():
                base_lat, base_rate = _run(health, n, workers)
                tip_lat, tip_rate = _run(lambda s, i: tip(s, i, workers), n, workers)
                for name, lat, rate in (("GET /api/health", base_lat, base_rate), ("POST /api/tips", tip_lat, tip_rate)):
                    ratio = "" if name.startswith("GET") else \
                        f"{statistics.median(lat) / statistics.median(base_lat):.1f}× slower / {rate / base_rate:.2f}×"
                    print(f"{workers:>7} {name:<22} {1000 * statistics.median(lat):8.1f} {1000 * _pct(lat, 0.99):8.1f} "
                          f"{rate:8.1f}  {ratio}")
            lat, rate = _run(tip_photo, 40, 10)
            print(f"{10:>7} {'POST /api/tips + photo':<22} {1000 * statistics.median(lat):8.1f} {1000 * _pct(lat, 0.99):8.1f} "
                  f"{rate:8.1f}  ({len(photo) // 1024} KiB JPEG 1280×960 with GPS EXIF, re-encoded)")
            lat, rate = _run(status, 100, 10)
            print(f"{10:>7} {'POST /api/tips/status':<22} {1000 * statistics.median(lat):8.1f} {1000 * _pct(lat, 0.99):8.1f} "
                  f"{rate:8.1f}  (unknown receipt: same work as a known one)")
        from functions.core import tips as tip_store
        from functions.web import context

        stored = len(tip_store.tip_ids(context(app).storage))
        print(f"reports stored: {stored} of {sum(REQUESTS.values()) + 40} sent")


if __name__ == "__main__":
    main()
