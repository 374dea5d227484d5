"""Shared fixtures: the Flask ``app``/``client``/``runner``, a built site, a live server, Chromium.

Everything a fixture starts, it stops. Servers bind 127.0.0.1 only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from functions.config import REPO_ROOT, Config

CHROMIUM = os.environ.get("BVTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def build_site(dest: Path, config_file: Path | None = None) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` into ``dest``; returns the finished process (check returncode)."""
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)]
    if config_file is not None:
        cmd += ["--config-file", str(config_file)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The real site, built once per test session in strict mode."""
    dest = tmp_path_factory.mktemp("site")
    result = build_site(dest)
    assert result.returncode == 0, result.stderr[-4000:]
    return dest


@pytest.fixture
def config(tmp_path, built_site) -> Config:
    return Config(data_dir=tmp_path / "var", site_dir=built_site, testing=True)


@pytest.fixture
def app(config):
    from functions.web import create_app

    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def live_server(app):
    """The app on a real threaded server on 127.0.0.1 (``.url``), stopped after the test."""
    from functions.commands.serve import wsgi_server

    with wsgi_server(app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the session, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"locale": "vi-VN", "viewport": {"width": 360, "height": 740}}


@pytest.fixture
def browser_context(chromium):
    context = chromium.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def no_js_page(chromium):
    """A phone-sized page with JavaScript off: every form must still work."""
    context = chromium.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core (npm) in the page; return its violations (WCAG 2 A/AA and best practice)."""
    if not AXE_JS.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm ci` (make test does)")
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {resultTypes: ['violations']})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
