"""Visitor counter throughput on the local backend, against GET /api/health in the same run.

A page view costs four atomic counter increments (day, ISO week, month, total) plus a create-only
marker for "online now"; the figures show what that costs next to the cheapest endpoint, sequentially
and with 20 concurrent clients on a threaded server. No figure here is asserted: read them.
"""

from __future__ import annotations

import concurrent.futures
import tempfile
import time
from pathlib import Path

import requests

UA = "Mozilla/5.0 (Linux; Android 10) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"


def _rate(fn, n: int, workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for i in range(n):
            fn(i)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(fn, range(n)))
    return n / (time.perf_counter() - started)


def main() -> None:
    from functions.commands.serve import wsgi_server  # the same threaded server the tests use
    from functions.config import Config
    from functions.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Config(data_dir=Path(tmp) / "var", site_dir=Path(tmp), testing=True))
        uncached = create_app(Config(data_dir=Path(tmp) / "var2", site_dir=Path(tmp), testing=True,
                                     visits_cache_seconds=0))
        with wsgi_server(app) as server, requests.Session() as session:
            def health(_i):
                assert session.get(server.url + "/api/health", timeout=30).status_code == 200

            def view(i):
                r = session.post(server.url + "/api/visits", headers={"User-Agent": f"{UA} {i % 50}"}, timeout=30)
                assert r.status_code == 204

            def figures(_i):
                assert session.get(server.url + "/api/visits", timeout=30).status_code == 200

            n = 200
            for workers in (1, 20):
                base = _rate(health, n, workers)
                post = _rate(view, n, workers)
                get = _rate(figures, n, workers)
                print(f"workers={workers:2d}  GET /api/health {base:7.0f}/s   POST /api/visits {post:7.0f}/s "
                      f"({post / base:.2f}× health)   GET /api/visits {get:7.0f}/s ({get / base:.2f}× health)")
        with wsgi_server(uncached) as server, requests.Session() as session:
            def figures_uncached(_i):
                assert session.get(server.url + "/api/visits", timeout=30).status_code == 200

            print(f"GET /api/visits without reuse (visits_cache_seconds=0), 20 workers: "
                  f"{_rate(figures_uncached, n, 20):7.0f}/s")
        with wsgi_server(app) as server:
            time.sleep(app.extensions["bvte"].config.visits_cache_seconds)
            total = requests.get(server.url + "/api/visits", timeout=30).json()["total"]
            print(f"views counted: {total} of {2 * n} sent")


if __name__ == "__main__":
    main()
