"""Reading the office's data files (content/data/*.yml) as the functions do when they start: PyYAML's
pure-Python safe loader (before) against libyaml's (``functions/core/yaml_data.py``), CPU seconds per
reading of every file, median of rounds; ratio against the pure-Python loader in the same run.

    .venv/bin/python -m bench data_load [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import yaml

from functions.config import Config
from functions.core.yaml_data import load_yaml


def read_all(texts: list[str], load) -> float:
    started = time.process_time()
    for text in texts:
        load(text)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv if argv is not None else [])
    files = sorted((Config().content_dir / "data").rglob("*.yml"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    pure = [read_all(texts, yaml.safe_load) for _ in range(args.rounds)]
    lib = [read_all(texts, load_yaml) for _ in range(args.rounds)]
    base = statistics.median(pure)
    print(f"{len(files)} files, {sum(len(t) for t in texts) / 1024:.0f} KiB")
    print(f"{'loader':34s} {'CPU s (median)':>15s} {'ratio':>7s}")
    print(f"{'yaml.safe_load (pure Python)':34s} {base:15.3f} {1:7.2f}")
    print(f"{'load_yaml (libyaml CSafeLoader)':34s} {statistics.median(lib):15.3f} {statistics.median(lib) / base:7.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
