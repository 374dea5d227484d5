"""Prepare the Lambda code folder that template.yaml points at (``build/lambda/``).

    python deploy/package_lambda.py --site site     # after `make build`
    sam build && sam deploy --guided

It copies the ``functions`` package, the built page shell (``site/_shell/index.html`` →
``build/lambda/site/_shell/index.html``; the functions find it through ``BVTE_SITE_DIR=/var/task/site``
so receipt and error pages look like the site) and the content data the handlers read
(``content/data``, ``BVTE_CONTENT_DIR`` defaults to it), and writes ``requirements.txt`` with the
runtime dependencies pinned in pyproject.toml minus those Lambda never uses (Flask, Werkzeug, click).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOT_ON_LAMBDA = {"flask", "werkzeug", "click", "gunicorn", "brotli"}


def requirements() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    keep = []
    for spec in project["dependencies"]:
        name = re.split(r"[=<>!~\[ ]", spec, maxsplit=1)[0].lower()
        if name not in NOT_ON_LAMBDA:
            keep.append(spec)
    return keep


def package(site: Path, dest: Path) -> Path:
    shell = site / "_shell" / "index.html"
    if not shell.is_file():
        raise SystemExit(f"{shell} is missing: build the site first (make build)")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO / "functions", dest / "functions",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "web", "commands"))
    (dest / "site" / "_shell").mkdir(parents=True)
    shutil.copy2(shell, dest / "site" / "_shell" / "index.html")
    shutil.copytree(REPO / "content" / "data", dest / "content" / "data")
    (dest / "requirements.txt").write_text("\n".join(requirements()) + "\n", encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=REPO / "site", help="the built site (default: site/)")
    parser.add_argument("--dest", type=Path, default=REPO / "build" / "lambda")
    args = parser.parse_args(argv)
    out = package(args.site, args.dest)
    print(f"Lambda code ready in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
