"""Fuzz throughput and 5xx count per endpoint: the fuzz suite's hostile requests (tests/test_fuzz_intake.py,
same seed) straight through ``dispatch``, storage in memory. Run: ``.venv/bin/python -m bench intake_fuzz``.
"""

from __future__ import annotations

import io
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REQUESTS = 5_000


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import test_fuzz_intake as fuzz

    from functions.api import public_router
    from functions.api.http import Context, Request
    from functions.api.router import dispatch

    logging.disable(logging.CRITICAL)  # python-multipart warns on every malformed part
    router = public_router()
    print(f"{'endpoint':28}{'requests':>10}{'req/s (CPU)':>14}{'5xx':>6}  statuses")
    for method, path in fuzz.ENDPOINTS:
        with tempfile.TemporaryDirectory() as folder:
            ctx = Context(config=fuzz.fuzz_config(Path(folder)), storage=fuzz.MemoryStorage())
            code, rng = fuzz.issue_code(ctx), random.Random(f"{fuzz.SEED}|{method}|{path}")
            sent = [fuzz.hostile_request(rng, method, path, code) for _ in range(REQUESTS)]
            statuses: Counter = Counter()
            started = time.process_time()
            for s in sent:
                request = Request(method=s["method"], path=s["path"], headers=dict(s["headers"]),
                                  body=io.BytesIO(s["body"]), client_address=s["client"], host_url="http://localhost")
                statuses[dispatch(router, request, ctx).status] += 1
            rate = REQUESTS / (time.process_time() - started)
        errors = sum(n for status, n in statuses.items() if status >= 500)
        print(f"{method + ' ' + path:28}{REQUESTS:>10}{rate:>14.0f}{errors:>6}  {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
