"""First paint of every public page type on a 2G/3G link, this site against plain mkdocs-material (issue 14).

Both sites are built in this run from the same Markdown (``bench.page_weight``: this site strict with every
hook; plain material = ``content/`` with a mkdocs.yml of only ``theme: material``, compressed by the same
``compress_tree``) and served by the project's Flask app on 127.0.0.1. For each page type, in a fresh
Chromium context at 360×640 (phone, empty cache):

- render-blocking bytes: the HTML plus every response Chromium marks ``renderBlockingBehavior: Blocking``
  (CDP ``Network.requestWillBeSent``), compressed bytes with headers (``encodedDataLength``);
- first-view bytes and requests: every response finished by the load event (CDP ``Page.loadEventFired``,
  same clock as ``Network.loadingFinished``), what a fresh cache downloads before the page counts as
  loaded; and, for comparison, every response until the network is idle (that adds what loads after,
  such as material's bundle, ``theme/assets/js/material-later.js``);
- FCP (``first-contentful-paint``) and "111 visible" (the first animation frame in which a text containing
  "111" is laid out on the first screen) on a link emulated by ``Network.emulateNetworkConditions``:
  400 kbit/s down and up, 400 ms round trip; median of 3 loads.

Requests to other hosts are refused (plain material asks Google Fonts for its font: refused at once, which
flatters plain material on a real link). Then Lighthouse 12 (``bench/package.json``, ``cd bench && npm ci``)
scores every page type, mobile and desktop, when it is installed (``BENCH_LIGHTHOUSE=none`` skips it).

Run: ``.venv/bin/python -m bench site_first_paint``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.page_weight import CHROMIUM, CHROMIUM_ARGS, LIGHTHOUSE, Server, build_ours, build_plain

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LINK = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "vi-VN"}

# One page of every public page type (tests/test_site_weight.py and theme/tools/critical_css.py use the same).
PAGE_TYPES = {
    "home": "/",
    "directive": "/van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em/",
    "directives index": "/van-ban/",
    "article": "/bai-viet/noi-chuyen-voi-con/",
    "articles index": "/bai-viet/",
    "children's page": "/tre-em/",
    "hotlines": "/duong-day-nong/",
    "directory": "/danh-ba/",
    "report form": "/bao-tin/",
    "status lookup": "/tra-cuu/",
    "self-assessment": "/tu-danh-gia/",
}

# Runs before any script of the page: the time of the first frame showing "111" on the first screen.
WATCH_111 = """
window.__seen111 = null;
(function look() {
  if (document.body) {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      if (!/(^|\\D)111(\\D|$)/.test(node.data)) continue;
      const el = node.parentElement, r = el.getBoundingClientRect(), s = getComputedStyle(el);
      if (r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth
          && s.visibility !== "hidden" && s.opacity !== "0") { window.__seen111 = performance.now(); return; }
    }
  }
  requestAnimationFrame(look);
})();
"""


def load(browser, url: str) -> dict:
    """One load on the emulated link in a fresh context: bytes, requests, FCP and "111 visible"."""
    context = browser.new_context(**PHONE)
    context.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname == "127.0.0.1" else r.abort())
    context.add_init_script(WATCH_111)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", LINK)
    sent: dict[str, dict] = {}
    sizes: dict[str, int] = {}
    finished: dict[str, float] = {}
    loaded: list[float] = []
    cdp.send("Page.enable")
    cdp.on("Page.loadEventFired", lambda e: loaded.append(e["timestamp"]))
    cdp.on("Network.requestWillBeSent", lambda e: sent.setdefault(e["requestId"], e))
    cdp.on("Network.loadingFinished", lambda e: (sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
                                                 finished.__setitem__(e["requestId"], e["timestamp"])))
    try:
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
        fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
        seen = page.evaluate("window.__seen111")
    finally:
        context.close()
    document = next(rid for rid, e in sent.items() if e.get("type") == "Document")
    blocking = [rid for rid, e in sent.items() if e.get("renderBlockingBehavior") == "Blocking"]
    by_load = [rid for rid, t in finished.items() if t <= loaded[0]]
    return {
        "render_blocking": sizes.get(document, 0) + sum(sizes.get(rid, 0) for rid in blocking if rid != document),
        "blocking_urls": [urlsplit(sent[rid]["request"]["url"]).path for rid in blocking],
        "first_view": sum(sizes[rid] for rid in by_load),
        "requests": len(by_load),
        "idle_bytes": sum(sizes.get(rid, 0) for rid in sent),
        "idle_requests": len(sent),
        "fcp": fcp,
        "seen_111": seen,
    }


def measure(browser, base: str, path: str) -> dict:
    runs = [load(browser, base + path) for _ in range(RUNS)]
    seen = [r["seen_111"] for r in runs if r["seen_111"] is not None]
    return {**runs[0], "fcp": statistics.median(r["fcp"] for r in runs),
            "seen_111": statistics.median(seen) if len(seen) == len(runs) else None}


def lighthouse(url: str, desktop: bool) -> dict | None:
    cmd = [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
           "--only-categories=performance,accessibility,best-practices,seo",
           "--blocked-url-patterns=*fonts.googleapis.com*", "--blocked-url-patterns=*fonts.gstatic.com*",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
           "--disable-background-networking --disable-component-update --disable-sync"]
    if desktop:
        cmd.append("--preset=desktop")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "CHROME_PATH": CHROMIUM})
    if result.returncode != 0:
        print(f"Lighthouse failed for {url}: {result.stderr[-400:]}")
        return None
    categories = json.loads(result.stdout)["categories"]
    return {name: round(c["score"] * 100) for name, c in categories.items() if c["score"] is not None}


def _exists(site: Path, path: str) -> bool:
    return (site / path.lstrip("/") / "index.html").is_file()


def _ms(value) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _cell(figures: dict | None, key: str, fmt) -> str:
    return "no such page" if figures is None else fmt(figures[key])


def _print_table(results: dict) -> None:
    kib = lambda v: f"{v / 1024:.1f} KiB"  # noqa: E731
    print(f"\nLink: 400 kbit/s, 400 ms RTT; median of {RUNS} loads; bytes compressed, with headers.\n")
    print("| page type | render-blocking: this / plain | first view (by load): this / plain "
          "| by network idle: this / plain | FCP: this / plain | 111 visible: this / plain |")
    print("|---|---|---|---|---|---|")
    for kind, r in results.items():
        o, p = r["ours"], r["plain"]
        print(f"| {kind} | {kib(o['render_blocking'])} / {_cell(p, 'render_blocking', kib)} "
              f"| {kib(o['first_view'])}, {o['requests']} req / {_cell(p, 'first_view', kib)}, {_cell(p, 'requests', str)} req "
              f"| {kib(o['idle_bytes'])}, {o['idle_requests']} req / {_cell(p, 'idle_bytes', kib)}, "
              f"{_cell(p, 'idle_requests', str)} req "
              f"| {_ms(o['fcp'])} / {_cell(p, 'fcp', _ms)} | {_ms(o['seen_111'])} / {_cell(p, 'seen_111', _ms)} |")
    for kind, r in results.items():
        print(f"  {kind}: render-blocking files, this site {r['ours']['blocking_urls']}; "
              f"plain {r['plain']['blocking_urls'] if r['plain'] else '-'}")


def _lighthouse_all(results: dict, ours: Server, plain: Server, plain_dir: Path) -> None:
    if os.environ.get("BENCH_LIGHTHOUSE", "all") == "none":
        print("\nLighthouse skipped (BENCH_LIGHTHOUSE=none)")
        return
    if not LIGHTHOUSE.exists():
        print("\nLighthouse not installed (cd bench && npm ci): scores skipped")
        return
    print("\n| page type | Lighthouse mobile (perf/a11y/best/SEO): this / plain | desktop: this / plain |")
    print("|---|---|---|")
    fmt = lambda s: "/".join(str(s[k]) for k in ("performance", "accessibility", "best-practices", "seo")) if s else "–"  # noqa: E731
    for kind, path in PAGE_TYPES.items():
        row = []
        for desktop in (False, True):
            mine = lighthouse(ours.url + path, desktop)
            theirs = lighthouse(plain.url + path, desktop) if _exists(plain_dir, path) else None
            row.append(f"{fmt(mine)} / {fmt(theirs)}")
            results[kind][f"lighthouse_{'desktop' if desktop else 'mobile'}"] = {"ours": mine, "plain": theirs}
        print(f"| {kind} | {row[0]} | {row[1]} |", flush=True)


def main() -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bvte-first-paint-") as tmp:
        tmp = Path(tmp)
        ours_dir, plain_dir = tmp / "ours", tmp / "plain"
        print(f"build: this site {build_ours(ours_dir):.1f} s; plain material {build_plain(tmp / 'src', plain_dir):.1f} s")
        with Server(ours_dir, tmp / "var-ours") as ours, Server(plain_dir, tmp / "var-plain") as plain:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    for kind, path in PAGE_TYPES.items():
                        results[kind] = {"path": path, "ours": measure(browser, ours.url, path),
                                         "plain": measure(browser, plain.url, path) if _exists(plain_dir, path) else None}
                        print(f"  measured {kind}", flush=True)
                finally:
                    browser.close()
            _print_table(results)
            _lighthouse_all(results, ours, plain, plain_dir)
    return results


if __name__ == "__main__":
    main()
