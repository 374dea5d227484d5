"""What one browser test's page costs in Debian's full Chromium (headless mode) and in Debian's
chromium-headless-shell, the browser the tests drive (``python -m bench browser_cost``).

The real site (built here) and the functions on 127.0.0.1, as the browser tests see them. For each browser,
in alternating rounds: a new context with a blank page (what every browser test pays first), and a new
context that opens the hotline page at 360×640, waits until the network is idle (material's bundle has
loaded after the load event) and takes a screenshot. CPU is the whole machine's busy time from /proc/stat
(Chromium's renderers are not all children that a process tree would count), so run it on a quiet machine;
the ratio is taken against the full browser in the same run.

    .venv/bin/python -m bench browser_cost [--runs 3] [--pages 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench import busy_cpu_seconds

REPO = Path(__file__).resolve().parents[1]
BROWSERS = {"full chromium --headless": "/usr/bin/chromium",
            "chromium-headless-shell": "/usr/lib/chromium/chromium-headless-shell"}


def blank_page(browser, url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640})
    context.new_page().set_content("<p>trang trống</p>")
    context.close()


def site_page(browser, url: str) -> None:
    context = browser.new_context(locale="vi-VN", viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.goto(url + "/duong-day-nong/")
    page.wait_for_load_state("networkidle")
    page.screenshot()
    context.close()


def measure(browser, url: str, action, pages: int) -> tuple[float, float]:
    """CPU seconds and wall seconds per page, ``pages`` in a row after one to warm up."""
    action(browser, url)
    cpu, wall = busy_cpu_seconds(), time.perf_counter()
    for _ in range(pages):
        action(browser, url)
    return (busy_cpu_seconds() - cpu) / pages, (time.perf_counter() - wall) / pages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=8)
    args = parser.parse_args(argv if argv is not None else [])
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import CHROMIUM_ARGS, build_site

    from functions.commands.serve import wsgi_server
    from functions.config import Config
    from functions.web import create_app

    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bvte-browser-cost-") as tmp:
        site = Path(tmp) / "site"
        result = build_site(site)
        if result.returncode:
            raise RuntimeError(result.stderr[-2000:])
        config = Config(data_dir=Path(tmp) / "var", site_dir=site, testing=True)
        with wsgi_server(create_app(config)) as server, sync_playwright() as pw:
            for _ in range(args.runs):
                for name, executable in BROWSERS.items():
                    browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
                    try:
                        for label, action in (("blank page", blank_page), ("hotline page", site_page)):
                            figures.setdefault((name, label), []).append(
                                measure(browser, server.url, action, args.pages))
                    finally:
                        browser.close()
    print(f"{'browser':26s} {'page':13s} {'CPU s/page':>11s} {'wall s/page':>12s} {'CPU ratio':>10s}")
    for (name, label), rows in figures.items():
        cpu = statistics.median(r[0] for r in rows)
        wall = statistics.median(r[1] for r in rows)
        base = statistics.median(r[0] for r in figures[(next(iter(BROWSERS)), label)])
        print(f"{name:26s} {label:13s} {cpu:11.2f} {wall:12.2f} {cpu / base:10.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
