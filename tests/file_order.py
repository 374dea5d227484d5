"""Longest test files first, so that no worker runs alone at the end of a parallel run.

xdist (``--dist=loadfile``) hands out whole test files; with ``--no-loadscope-reorder`` it hands them out in
collection order. Its default orders them by their number of tests, which sent the slowest files out last
(a file of one or two tests that builds a whole site or drives a browser through many pages): one worker
then ran alone for up to 24 s while the others had finished. This plugin orders the collected files by
their seconds in ``file_seconds.json`` (a file not in it counts ``UNKNOWN_SECONDS_PER_TEST`` a test),
keeping the order of the tests within each file. ``pytest --record-file-seconds`` writes that table from a
run: each file's setup, call and teardown seconds.

The real site is built once per run, by the first test that needs it, while the others that need it wait
(``built_site``). The three longest files all start with such a test, so two of the three workers began the
run waiting some 6 s for the first's build: of the first file each worker gets, only one now starts with a
test that needs the site; the others are the longest files that do not.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

TABLE = Path(__file__).with_name("file_seconds.json")
UNKNOWN_SECONDS_PER_TEST = 0.5


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_files_first(nodeids: list[str], seconds: dict[str, float]) -> list[str]:
    """``nodeids`` with their files in decreasing expected seconds; a file's tests stay together, in order."""
    tests_in = Counter(file_of(nodeid) for nodeid in nodeids)
    expected = {name: seconds.get(name, UNKNOWN_SECONDS_PER_TEST * count) for name, count in tests_in.items()}
    first_seen = {name: i for i, name in reversed(list(enumerate(file_of(n) for n in nodeids)))}
    return sorted(nodeids, key=lambda nodeid: (-expected[file_of(nodeid)], first_seen[file_of(nodeid)]))


def one_waiting_start(nodeids: list[str], starts_with_site: set[str], workers: int) -> list[str]:
    """``nodeids`` (files in order) with at most one file of ``starts_with_site`` among the first ``workers``
    files: the first such file keeps its place, later ones make way for the next files that are not."""
    files = list(dict.fromkeys(file_of(nodeid) for nodeid in nodeids))
    head: list[str] = []
    rest = files[:]
    while len(head) < workers and rest:
        waits = any(name in starts_with_site for name in head)
        pick = next((name for name in rest if not (waits and name in starts_with_site)), None)
        if pick is None:
            break
        head.append(pick)
        rest.remove(pick)
    rank = {name: i for i, name in enumerate(head + rest)}
    return sorted(nodeids, key=lambda nodeid: rank[file_of(nodeid)])


def starts_with_the_built_site(items) -> set[str]:
    """Files whose first test needs the built site (asks for ``built_site`` or drives a browser)."""
    first: dict[str, object] = {}
    for item in items:
        first.setdefault(file_of(item.nodeid), item)
    return {name for name, item in first.items()
            if "built_site" in item.fixturenames or item.get_closest_marker("browser") is not None}


def read_table(path: Path) -> dict[str, float]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def pytest_addoption(parser):
    parser.addoption("--record-file-seconds", action="store_true",
                     help=f"write each test file's seconds in this run to tests/{TABLE.name}")


def pytest_collection_modifyitems(config, items):
    ordered = longest_files_first([i.nodeid for i in items], read_table(TABLE))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    ordered = one_waiting_start(ordered, starts_with_the_built_site(items), workers)
    order = {nodeid: i for i, nodeid in enumerate(ordered)}
    items.sort(key=lambda item: order[item.nodeid])


class Recorder:
    """Adds up the seconds of each file's test phases, as the reports arrive (from the workers, in parallel)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session) -> None:
        table = {name: round(value, 1) for name, value in sorted(self.seconds.items())}
        TABLE.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # The controller (or a run without workers) sees every report; a worker sees only its own.
    if config.getoption("record_file_seconds") and not os.environ.get("PYTEST_XDIST_WORKER"):
        config.pluginmanager.register(Recorder(), "file-seconds-recorder")
