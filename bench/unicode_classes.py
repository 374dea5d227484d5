"""What every site build pays for the form rules' character classes (``functions.core.text``): the
browser's ``\\s`` and ``\\d`` classes and the digit zeros, each found by scanning a string of every code
point. CPU seconds of the three in a fresh process, median of rounds; ratio against building that string
by joining 1.1 million ``chr()`` (the code before 2026-12-01), in the same run.

    .venv/bin/python -m bench unicode_classes [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

MEASURE = """
import time
from functions.core import text
{patch}
start = time.process_time()
text.js_space_class(); text.js_digit_class(); text.digit_zeros()
print(time.process_time() - start)
"""
JOINED = 'text._every_code_point = lambda: "".join(map(chr, range(0x110000)))'


def cpu_seconds(patch: str) -> float:
    """CPU seconds of the three classes in a new Python process (``patch`` applied first)."""
    answer = subprocess.run([sys.executable, "-c", MEASURE.format(patch=patch)], capture_output=True, text=True,
                            check=True)
    return float(answer.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.unicode_classes")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv if argv is not None else [])
    joined, decoded = [], []
    for _ in range(args.rounds):  # alternated, so that a busy neighbour weighs on both alike
        joined.append(cpu_seconds(JOINED))
        decoded.append(cpu_seconds(""))
    base, now = statistics.median(joined), statistics.median(decoded)
    print("| every code point built by | CPU s (median) | ratio |")
    print("|---|---:|---:|")
    print(f"| joining `chr()` (before) | {base:.3f} | 1.00 |")
    print(f"| decoding UTF-32 (`_every_code_point`) | {now:.3f} | {now / base:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
