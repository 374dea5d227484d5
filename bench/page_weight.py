"""First view of the home page and of a directive page: bytes on the wire and requests, in Chromium.

This site (built strict, served by the project's Flask app with its pre-compressed twins) against a plain
mkdocs-material site of the same Markdown (``content/`` without hooks or theme overrides, default
material config), built in the same run and served the same way (the same server, and the same
brotli/gzip twins written by ``theme/hooks/compress.py``, so compression is not what is compared).

Measured per page in a fresh Chromium context (empty cache, 360×640 phone): every request the page
makes, and bytes transferred (CDP ``Network.loadingFinished.encodedDataLength``: compressed body plus
headers). Dedicated workers fetch outside the page's CDP target (lunr language files), so the server also
counts requests and body bytes it sent. Requests to other hosts are refused and listed (plain material
loads Google Fonts by default). Then the reader opens search and types a query: what that costs on top.

Lighthouse (npm, ``bench/package.json``; ``CHROME_PATH=/usr/bin/chromium``) scores performance and
accessibility of both home pages when it is installed (``cd bench && npm ci``).

Run: ``python -m bench page_weight``. Prints the figures; ratios are this site ÷ plain material.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from functions.commands.serve import BackgroundServer, wsgi_server

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BVTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage"]
LIGHTHOUSE = REPO / "bench" / "node_modules" / ".bin" / "lighthouse"
SEARCH_QUERY = "tong dai"


# --- builds ------------------------------------------------------------------------------------------------

def _mkdocs(config: Path | None, dest: Path, strict: bool) -> float:
    cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", str(dest)]
    if strict:
        cmd.append("--strict")
    if config:
        cmd += ["--config-file", str(config)]
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build failed: {result.stderr[-2000:]}")
    return time.perf_counter() - started


def build_ours(dest: Path) -> float:
    return _mkdocs(None, dest, strict=True)


def build_plain(work: Path, dest: Path) -> float:
    """The same Markdown as a plain mkdocs-material site: default theme config, default navigation."""
    docs = work / "docs"
    shutil.copytree(REPO / "content", docs, ignore=shutil.ignore_patterns("data"))
    config = work / "mkdocs.yml"
    config.write_text(f"site_name: Bảo vệ trẻ em Mường Ảng\ndocs_dir: {docs}\ntheme:\n  name: material\n",
                      encoding="utf-8")
    seconds = _mkdocs(config, dest, strict=False)
    sys.path.insert(0, str(REPO / "theme" / "hooks"))
    from compress import compress_tree  # the same twins as this site's build

    compress_tree(dest)
    return seconds


# --- serving -----------------------------------------------------------------------------------------------

class Counting:
    """WSGI middleware: requests and response body bytes the server sent."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.requests: list[tuple[str, int]] = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        body = self.app(environ, start_response)
        size = 0
        try:
            for chunk in body:
                size += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):
                body.close()
            with self.lock:
                self.requests.append((path, size))

    def take(self) -> list[tuple[str, int]]:
        with self.lock:
            taken, self.requests = self.requests, []
        return taken


class Server(BackgroundServer):
    def __init__(self, site: Path, data: Path):
        from functions.config import Config
        from functions.web import create_app

        self.counter = Counting(create_app(Config(site_dir=site, data_dir=data, testing=True)))
        super().__init__(wsgi_server(self.counter).server)


# --- measuring in Chromium -----------------------------------------------------------------------------------

class Visit:
    def __init__(self, browser, server: Server):
        self.server = server
        self.context = browser.new_context(locale="vi-VN", viewport={"width": 360, "height": 640},
                                           is_mobile=True, has_touch=True, device_scale_factor=2)
        self.foreign: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cdp.on("Network.requestWillBeSent", lambda e: self.urls.setdefault(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.loadingFinished", lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        self.cdp.on("Network.loadingFailed", lambda e: self.sizes.setdefault(e["requestId"], 0))

    def _route(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(1500)

    def snapshot(self) -> dict:
        self.page.wait_for_timeout(200)
        served = self.server.counter.take()
        figures = {
            "requests": len(self.urls),
            "bytes": sum(self.sizes.get(rid, 0) for rid in self.urls),
            "server_requests": len(served),
            "server_body_bytes": sum(size for _, size in served),
            "urls": sorted(urlsplit(u).path for u in self.urls.values()),
            "served": sorted(path for path, _ in served),
            "foreign": list(self.foreign),
        }
        self.urls.clear()
        self.sizes.clear()
        self.foreign.clear()
        return figures

    def close(self):
        self.context.close()


def measure(browser, server: Server, path: str) -> dict:
    server.counter.take()
    visit = Visit(browser, server)
    try:
        visit.page.goto(server.url + path, wait_until="load")
        visit.settle()
        first = visit.snapshot()
        visit.page.locator("label[for=__search]").first.click()
        box = visit.page.locator("input[data-md-component=search-query]")
        box.fill(SEARCH_QUERY)
        box.press("End")
        visit.page.wait_for_function(
            "() => document.querySelectorAll('.md-search-result__item').length > 0", timeout=20000)
        visit.settle()
        search = visit.snapshot()
    finally:
        visit.close()
    return {"first": first, "search": search}


# --- Lighthouse ----------------------------------------------------------------------------------------------

def lighthouse(url: str) -> dict | None:
    if not LIGHTHOUSE.exists():
        print("Lighthouse not installed (cd bench && npm ci): scores skipped")
        return None
    cmd = [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
           "--only-categories=performance,accessibility",
           "--blocked-url-patterns=*fonts.googleapis.com*", "--blocked-url-patterns=*fonts.gstatic.com*",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
           "--disable-background-networking --disable-component-update --disable-sync"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CHROME_PATH": CHROMIUM})
    if result.returncode != 0:
        print(f"Lighthouse failed for {url}: {result.stderr[-800:]}")
        return None
    report = json.loads(result.stdout)
    audits = report["audits"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "bytes": round(audits["total-byte-weight"]["numericValue"]),
    }


# --- main -------------------------------------------------------------------------------------------------------

def _directive_path(site: Path) -> tuple[str, str]:
    pages = sorted(p.parent for p in (site / "van-ban").glob("*/index.html")) if (site / "van-ban").is_dir() else []
    if pages:
        return "/" + pages[0].relative_to(site).as_posix() + "/", "directive page"
    return "/duong-day-nong/", "content page (no directive published yet)"


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


def main() -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bvte-weight-") as tmp:
        tmp = Path(tmp)
        ours_dir, plain_dir = tmp / "ours", tmp / "plain"
        print(f"build: this site {build_ours(ours_dir):.1f} s; plain material {build_plain(tmp / 'plain-src', plain_dir):.1f} s")
        directive, kind = _directive_path(ours_dir)
        pages = [("home page", "/"), (kind, directive)]
        with Server(ours_dir, tmp / "var-ours") as ours, Server(plain_dir, tmp / "var-plain") as plain, \
                sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for label, path in pages:
                    results[label] = {"path": path, "ours": measure(browser, ours, path),
                                      "plain": measure(browser, plain, path)}
            finally:
                browser.close()
            print()
            print("| page | what | this site: requests / transferred | plain material | ratio (bytes) |")
            print("|---|---|---|---|---|")
            for label, r in results.items():
                for phase, name in (("first", "first view"), ("search", f"then search '{SEARCH_QUERY}'")):
                    o, p = r["ours"][phase], r["plain"][phase]
                    ratio = o["bytes"] / p["bytes"] if p["bytes"] else float("nan")
                    print(f"| {label} `{r['path']}` | {name} | {o['requests']} / {_kib(o['bytes'])} | "
                          f"{p['requests']} / {_kib(p['bytes'])} | {ratio:.2f}× |")
            print()
            print("Server-side (includes worker-loaded files), body bytes sent:")
            for label, r in results.items():
                for phase in ("first", "search"):
                    o, p = r["ours"][phase], r["plain"][phase]
                    print(f"  {label} {phase}: this site {o['server_requests']} req / {_kib(o['server_body_bytes'])}; "
                          f"plain {p['server_requests']} req / {_kib(p['server_body_bytes'])}")
            for label, r in results.items():
                print(f"  {label} first view, this site: {', '.join(r['ours']['first']['served'])}")
                print(f"  {label} first view, plain:     {', '.join(r['plain']['first']['served'])}")
                blocked = r["plain"]["first"]["foreign"] + r["ours"]["first"]["foreign"]
                if blocked:
                    print(f"  {label}: requests to other hosts refused: {blocked}")
            print()
            scores = {"ours": lighthouse(ours.url + "/"), "plain": lighthouse(plain.url + "/")}
            results["lighthouse"] = scores
            if scores["ours"] and scores["plain"]:
                print("Lighthouse (mobile, simulated throttling), home page:")
                for who, s in scores.items():
                    print(f"  {who}: performance {s['performance']}, accessibility {s['accessibility']}, "
                          f"FCP {s['fcp_ms']} ms, LCP {s['lcp_ms']} ms, TBT {s['tbt_ms']} ms, "
                          f"total byte weight {_kib(s['bytes'])}")
    return results


if __name__ == "__main__":
    main()
