"""Cost against the store's size: status lookup, report and assessment at 1,000 and 100,000 stored objects.

One process, the Flask app in-process (``test_client``: no sockets, so what is measured is the work each
request does), the local backend with fsync, a development office. The store is first filled with
objects where a busy deployment has them — report records and attachments, receipt index entries,
visitor markers, rate-limit counters — written directly as files (seeding 100,000 durable writes would
take longer than the measurement). Each size measures ``GET /api/health`` in the same run, and every
figure is given as its median and its ratio to health's median. The goal (issue 15): the ratio at
100,000 within 1.5x of the ratio at 1,000. Run: ``.venv/bin/python -m bench intake_store_size``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

SIZES = (1_000, 100_000)
ROUNDS = 60
JSON = {"Accept": "application/json"}


def seed(store: Path, count: int) -> None:
    """``count`` objects spread like a busy store's, written without fsync."""
    shares = [("tips/{a}/report.sealed", 0.2), ("tips/{a}/attachments/{b}.sealed", 0.2), ("receipts/{a}", 0.2),
              ("visits/seen/{w}/{a}", 0.3), ("fingerprints/{a}", 0.1)]
    for pattern, share in shares:
        for i in range(int(count * share)):
            key = pattern.format(a=secrets.token_hex(16), b=secrets.token_hex(8), w=5_966_000 + i % 288)
            path = store / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\0" * 64)


def scores(rubric) -> dict[str, str]:
    return {c.field: "0" for c in rubric.criteria}


def measure(app, code: str, rubric) -> dict[str, float]:
    client = app.test_client()
    year = str(dt.date.today().year)
    receipt = client.post("/api/tips", json={"description": "Em bé bị bố đánh nhiều lần ở bản Co Mạ",
                                             "category": "bao-luc", "commune": "muong-ang"}).get_json()["receipt"]
    cases = {
        "health": lambda i: client.get("/api/health"),
        "status lookup": lambda i: client.post("/api/tips/status", json={"receipt": receipt}),
        "report": lambda i: client.post("/api/tips", json={
            "description": f"Em bé bị bố đánh nhiều lần ở bản Co Mạ, lần thứ {i}", "category": "bao-luc",
            "commune": "muong-ang", "submission_id": secrets.token_urlsafe(18)}),
        "assessment": lambda i: client.post("/api/assessments", headers=JSON, content_type="multipart/form-data", data={
            "commune": "muong-ang", "year": year, "access_code": code, "submission_id": secrets.token_urlsafe(18),
            **scores(rubric)}),
    }
    medians = {}
    for name, send in cases.items():
        times = []
        for i in range(ROUNDS):
            started = time.perf_counter()
            answer = send(i)
            times.append(time.perf_counter() - started)
            assert answer.status_code < 400, (name, answer.status_code, answer.data[:200])
        medians[name] = statistics.median(times)
    return medians


def main() -> None:
    from functions.config import Config
    from functions.core import access_codes
    from functions.core.rubric import load_rubrics, rubrics_dir
    from functions.keys import ensure_dev_keypair
    from functions.web import context, create_app

    rubric = load_rubrics(rubrics_dir(Config().content_dir))[0]
    results = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            config = Config(data_dir=Path(folder) / "var", site_dir=Path(folder) / "no-site", tips_per_hour=10**6,
                            status_lookups_per_hour=10**6)
            ensure_dev_keypair(config)
            app = create_app(config)
            ctx = context(app)
            code, _ = access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")
            started = time.perf_counter()
            seed(Path(folder) / "var" / "store", size)
            print(f"seeded {size:,} objects in {time.perf_counter() - started:.1f} s", flush=True)
            results[size] = measure(app, code, rubric)
    print(f"\n{'':16}" + "".join(f"{f'{s:,} objects':>28}" for s in SIZES) + f"{'ratio change':>14}")
    for name in results[SIZES[0]]:
        cells, ratios = "", []
        for size in SIZES:
            median, health = results[size][name], results[size]["health"]
            ratios.append(median / health)
            cells += f"{median * 1000:>12.2f} ms ({median / health:>6.1f}x)  "
        print(f"{name:16}{cells}{ratios[1] / ratios[0]:>10.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    main()
