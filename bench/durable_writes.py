"""Where the tests' files live: the storage's durable writes (``functions.storage.files.create_file``: temp
file, fsync, link, folder fsync) in a folder on the disk against one in memory (``/dev/shm``, where
``make test`` puts TMPDIR). Per 1,000 writes of 1 KiB, each into a new folder as a report's is: wall seconds
and the whole machine's busy CPU seconds (the disk's journal is written by kernel threads, outside this
process), median of rounds; ratio against the disk in the same run.

    .venv/bin/python -m bench durable_writes [--rounds 5] [--writes 1000] [--disk /var/tmp] [--memory /dev/shm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import busy_cpu_seconds
from functions.storage.files import create_file


def write_round(parent: Path, writes: int) -> tuple[float, float]:
    """(wall s, busy CPU s) of ``writes`` durable writes under a new folder in ``parent``."""
    folder = Path(tempfile.mkdtemp(prefix="bench-test-files-", dir=parent))
    data = os.urandom(1024)
    try:
        wall, busy = time.perf_counter(), busy_cpu_seconds()
        for i in range(writes):
            create_file(folder / "tips" / f"{i:06d}" / "report.json", data)
        return time.perf_counter() - wall, busy_cpu_seconds() - busy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--disk", type=Path, default=Path("/var/tmp"))
    parser.add_argument("--memory", type=Path, default=Path("/dev/shm"))
    args = parser.parse_args(argv if argv is not None else [])
    places = {"disk": args.disk, "memory": args.memory}
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in places}
    for _ in range(args.rounds):  # alternating, so a busy moment falls on both
        for name, folder in places.items():
            rounds[name].append(write_round(folder, args.writes))
    base_wall = statistics.median(w for w, _ in rounds["disk"])
    base_busy = statistics.median(b for _, b in rounds["disk"])
    print(f"{args.writes} durable writes of 1 KiB, each in a new folder; median of {args.rounds} rounds")
    print(f"{'where':28s} {'wall s':>8s} {'ratio':>6s} {'busy CPU s':>11s} {'ratio':>6s}")
    for name, folder in places.items():
        wall = statistics.median(w for w, _ in rounds[name])
        busy = statistics.median(b for _, b in rounds[name])
        print(f"{name + ' (' + str(folder) + ')':28s} {wall:8.2f} {wall / base_wall:6.2f} {busy:11.2f} "
              f"{busy / base_busy:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
