"""The compressed twins' cache (theme/hooks/compress.py): one build of this site without it, then with it
cold, warm, and warm after one page changed — CPU seconds of each, as ratios to the build without it in the
same run (the machine is shared: wall time is printed beside, ratios are taken on CPU).

    .venv/bin/python -m bench build_cache [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.build_time import REPO, _run


def _project(work: Path) -> Path:
    project = work / "project"
    for name in ("content", "theme"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


def _build(project: Path, cache: str):
    return _run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(project.parent / "out")],
                project, {"NO_MKDOCS_2_WARNING": "1", "BVTE_COMPRESS_CACHE": cache})


def one_round(work: Path) -> dict[str, tuple[float, float]]:
    project, cache = _project(work), str(work / "cache")
    figures = {}
    for name, setting in (("no cache", ""), ("cold cache", cache), ("warm cache", cache)):
        timing = _build(project, setting)
        figures[name] = (float(timing), timing.wall)
    page = project / "content" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMột dòng mới.\n", encoding="utf-8")
    timing = _build(project, cache)
    figures["warm, one page changed"] = (float(timing), timing.wall)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv if argv is not None else [])
    rounds = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bvte-build-cache-") as work:
            rounds.append(one_round(Path(work)))
    base = statistics.median(r["no cache"][0] for r in rounds)
    print(f"{'build':26s} {'CPU s (median)':>15s} {'wall s':>8s} {'CPU ratio':>10s}")
    for name in rounds[0]:
        cpu = statistics.median(r[name][0] for r in rounds)
        wall = statistics.median(r[name][1] for r in rounds)
        print(f"{name:26s} {cpu:15.2f} {wall:8.2f} {cpu / base:10.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
