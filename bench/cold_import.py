"""Cold start of the Lambda entry module against ``import boto3`` alone, same run.

Each figure is a fresh interpreter (``python -c ...``), repeated and alternated so drift in the
machine's load hits every variant alike; we report medians and the ratio to ``import boto3``.
Variants: the bare interpreter; ``import boto3``; ``import functions.lambda_handler`` (what Lambda's
init phase pays: imports are lazy); and import + the first request (GET /api/health on S3 settings:
routes, handlers, boto3 and the S3 client built — no network).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "15"))

FIRST_REQUEST = (
    "import functions.lambda_handler as h\n"
    "ev = {'version': '2.0', 'rawPath': '/api/health', 'headers': {},"
    " 'requestContext': {'http': {'method': 'GET', 'sourceIp': '203.0.113.7'}, 'stage': '$default'}}\n"
    "assert h.handler(ev, None)['statusCode'] == 200\n"
)

VARIANTS = {
    "python (nothing)": "pass",
    "import boto3": "import boto3",
    "import functions.lambda_handler": "import functions.lambda_handler",
    "import + first request (S3 settings)": FIRST_REQUEST,
    "same, function for one area (health)": "import os; os.environ['BVTE_LAMBDA_AREAS'] = 'health'\n" + FIRST_REQUEST,
}


def run_once(code: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "0",
            "BVTE_STORAGE": "s3", "BVTE_S3_BUCKET": "bench", "BVTE_S3_REGION": "ap-southeast-1",
            "BVTE_DATA_DIR": tmp, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
        }
        for code in VARIANTS.values():  # warm the .pyc caches once: Lambda ships compiled files too
            run_once(code, env)
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(RUNS):
            for name, code in VARIANTS.items():
                times[name].append(run_once(code, env))
    base = statistics.median(times["python (nothing)"])
    boto = statistics.median(times["import boto3"]) - base
    print(f"{RUNS} fresh interpreters per variant, medians; import cost = total - bare interpreter ({base * 1000:.0f} ms)")
    print(f"{'variant':42} {'total ms':>9} {'import ms':>10} {'vs import boto3':>16}")
    for name, values in times.items():
        total = statistics.median(values)
        cost = total - base
        ratio = "" if name == "python (nothing)" else f"{cost / boto:.2f}x"
        print(f"{name:42} {total * 1000:9.0f} {cost * 1000:10.0f} {ratio:>16}")


if __name__ == "__main__":
    main()
