"""Shared fixtures: the Flask ``app``/``client``/``runner``, a built site, a live server, Chromium,
development keys and the rubric; the S3 servers come from the ``s3_servers`` plugin.

Everything a fixture starts, it stops. Servers bind 127.0.0.1 only. Every test that drives Chromium
must carry ``@pytest.mark.browser`` (checked below, before it runs).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from filelock import FileLock

from functions.config import REPO_ROOT, Config

# Plugins, registered once for the whole suite (importing fixtures into each module would define them
# once per module, and a session fixture would then exist once per module too).
pytest_plugins = ["s3_servers", "cli_office", "file_order", "shared_rewrite", "pytester"]

# Debian's chromium-headless-shell: the same Chromium (Blink, V8, network stack) built as the headless-only
# browser Playwright itself uses for headless tests. It starts a page for a quarter of the CPU of the full
# browser in headless mode (bench/browser_cost.py), and the browser tests are most of the suite's CPU.
CHROMIUM = os.environ.get("BVTE_CHROMIUM", "/usr/lib/chromium/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
    # No name but 127.0.0.1 resolves, IP literals included: nothing a page asks for can leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def build_site(dest: Path, config_file: Path | None = None, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` into ``dest`` (``env`` added to the environment); returns the finished
    process (check returncode)."""
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)]
    if config_file is not None:
        cmd += ["--config-file", str(config_file)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=600)


def run_folder(tmp_path_factory) -> Path:
    """This run's temporary folder, shared by its parallel workers (each has its own below it)."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session", autouse=True)
def compression_cache(tmp_path_factory):
    """Every site build of this run (and its workers) shares one cache of compressed twins
    (theme/hooks/compress.py), never the user's own: a run starts cold and leaves nothing behind."""
    previous = os.environ.get("BVTE_COMPRESS_CACHE")
    os.environ["BVTE_COMPRESS_CACHE"] = str(run_folder(tmp_path_factory) / "compress-cache")
    yield
    if previous is None:
        os.environ.pop("BVTE_COMPRESS_CACHE", None)
    else:
        os.environ["BVTE_COMPRESS_CACHE"] = previous


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The real site, built once per test run in strict mode; parallel workers share that one build."""
    root = run_folder(tmp_path_factory)
    dest = root / "built-site"
    # The first worker builds while the others wait; "done" is written only after a good build.
    with FileLock(root / "built-site.lock"):
        if not (root / "built-site.done").exists():
            result = build_site(dest)
            assert result.returncode == 0, result.stderr[-4000:]
            (root / "built-site.done").touch()
    return dest


def wants_built_site(request: pytest.FixtureRequest) -> bool:
    """A test sees the real site when it asks for ``built_site`` or drives a browser."""
    return "built_site" in request.fixturenames or request.node.get_closest_marker("browser") is not None


@pytest.fixture
def config(request, tmp_path) -> Config:
    """Settings for one test with its own data folder. HTTP unit tests get a site folder that does not
    exist (pages then use the fallback shell of functions/pages.py), so they never wait for the build."""
    site_dir = request.getfixturevalue("built_site") if wants_built_site(request) else tmp_path / "no-site"
    return Config(data_dir=tmp_path / "var", site_dir=site_dir, testing=True)


@pytest.fixture(scope="session")
def dev_keypair(tmp_path_factory) -> SimpleNamespace:
    """One development key pair for the session (``folder``, and ``private_key`` already opened), copied
    into each test's data folder by ``dev_keys``: the same pair throughout, made and opened once."""
    from functions.core import crypto
    from functions.keys import DEV_PASSPHRASE, PRIVATE_NAME, ensure_dev_keypair, keys_dir

    template = Config(data_dir=tmp_path_factory.mktemp("dev-keys"), testing=True)
    ensure_dev_keypair(template)
    folder = keys_dir(template)
    return SimpleNamespace(folder=folder,
                           private_key=crypto.unlock_private_key((folder / PRIVATE_NAME).read_bytes(), DEV_PASSPHRASE))


@pytest.fixture
def dev_keys(config, dev_keypair) -> Path:
    """The development key pair in the test's data folder, as ``ensure_dev_keypair`` leaves it (a copy of
    the session's pair: what the app seals, ``private_key`` opens); its folder."""
    from functions.keys import PUBLIC_NAME, keys_dir

    folder = keys_dir(config)
    if not config.public_key and not (folder / PUBLIC_NAME).exists():
        shutil.copytree(dev_keypair.folder, folder, dirs_exist_ok=True)
    return folder


@pytest.fixture
def private_key(dev_keys, dev_keypair):
    return dev_keypair.private_key


@pytest.fixture
def app(config):
    from functions.web import create_app

    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def storage(app):
    """The storage the app writes to."""
    from functions.web import context

    return context(app).storage


@pytest.fixture(scope="session")
def rubric():
    """The self-assessment rubric in force (content/data/rubrics)."""
    from functions.core.rubric import load_rubrics, rubrics_dir

    return load_rubrics(rubrics_dir(Config().content_dir))[0]


@pytest.fixture
def code(app) -> str:
    """A commune access code for muong-ang, issued in the app's storage."""
    from functions.core import access_codes
    from functions.web import context

    ctx = context(app)
    issued, _ = access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")
    return issued


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
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pytest_xdist_auto_num_workers(config) -> int:
    """One worker more than there are cores (``-n auto``; pyproject caps it at 4): the tests often wait on a
    browser, a server or a disk, and a third worker on 2 cores keeps both busy (4 min 54 s with two workers,
    3 min 59 s with three, 4 min 08 s with four, here)."""
    return (os.cpu_count() or 1) + 1


BROWSER_FIXTURE = "chromium"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Refuse to run a test that drives Chromium (``chromium`` among its fixtures, directly or through
    ``page``, ``browser_context``, ``no_js_page``...) without the ``browser`` mark: the mark is how
    browser tests are selected and grouped, so an unmarked one would silently escape both."""
    if BROWSER_FIXTURE in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
        pytest.fail(f"{item.nodeid} drives Chromium (fixture `{BROWSER_FIXTURE}`) but is not marked "
                    "@pytest.mark.browser: add the mark (or `pytestmark = pytest.mark.browser`)", pytrace=False)


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


def two_commune_office(keyring_version: int):
    """(root, officer of muong-ang ``can-bo-a``, officer of bung-lao ``can-bo-b``, their keyring), in memory."""
    from functions.core import office_keys

    root, officer, other = (office_keys.Identity.generate() for _ in range(3))
    keyring = office_keys.Keyring(version=keyring_version, created="2026-01-01T00:00:00+00:00", officers=(
        office_keys.Officer("can-bo-a", "A", ("muong-ang",), officer.verify_key),
        office_keys.Officer("can-bo-b", "B", ("bung-lao",), other.verify_key)))
    return root, officer, other, keyring


def strong_id(seed: object = 0) -> str:
    """A submission id as strong as the report page's own (24 base64url characters, 144 bits), the same for
    the same ``seed``: the server refuses weak ids (fewer than 96 bits, too few distinct characters)."""
    digest = hashlib.sha256(f"test-submission|{seed}".encode()).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


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


class ConsoleDriver:
    """The officer console of the development office, through Flask's test client: launched (session
    cookie set), on the Host the console checks. ``unlock()`` types the development passphrase."""

    PORT = 47001  # never listened on: the test client only names it in Host

    def __init__(self, config: Config, idle_seconds: int = 900, clock=None):
        from functions.commands.session import Session
        from functions.console import create_console_app
        from functions.keys import dev_officer_key, ensure_dev_office

        ensure_dev_office(config)
        self.config = config
        self.session = Session(None, config=config)
        self.key_path = dev_officer_key(config)
        self.launch_token = "launch-" + "x" * 40
        self.app = create_console_app(self.session, self.key_path, launch_token=self.launch_token, port=self.PORT,
                                      idle_seconds=idle_seconds, clock=clock)
        self.client = self.app.test_client()
        self.base_url = f"http://127.0.0.1:{self.PORT}"

    @property
    def csrf(self) -> str:
        return self.app.extensions["console-guard"].csrf_token

    def get(self, path: str, **kwargs):
        return self.client.get(path, base_url=self.base_url, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return self.client.post(path, data=form, base_url=self.base_url, **kwargs)

    def launch(self):
        return self.get(f"/bat-dau?t={self.launch_token}")

    def unlock(self, passphrase: str | None = None):
        from functions.keys import DEV_PASSPHRASE

        return self.post("/mo-khoa", {"mat_khau": DEV_PASSPHRASE if passphrase is None else passphrase})


@pytest.fixture
def console(config) -> ConsoleDriver:
    """The development office's console, launched but still locked."""
    driver = ConsoleDriver(config)
    assert driver.launch().status_code == 303
    return driver
