"""The console's guard: launch token, Host check, CSRF, headers, unlock, lock and the idle timeout."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from functions.commands.console import check_host
from functions.commands import main
from functions.console.guard import COOKIE, CSP
from tests.conftest import ConsoleDriver


def test_without_the_launch_token_every_request_is_refused(config):
    driver = ConsoleDriver(config)
    for path in ("/", "/mo-khoa", "/tep/console.css"):
        answer = driver.get(path)
        assert answer.status_code == 403, path
        assert "bvte console" in answer.get_data(as_text=True)
    assert driver.get("/bat-dau?t=wrong").status_code == 403


def test_the_launch_token_works_once_and_sets_a_strict_session_cookie(config):
    driver = ConsoleDriver(config)
    answer = driver.launch()
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Domain" not in cookie
    assert driver.get("/mo-khoa").status_code == 200
    other = driver.app.test_client()  # another browser replaying the same URL
    assert other.get(f"/bat-dau?t={driver.launch_token}", base_url=driver.base_url).status_code == 403


def test_another_host_is_refused_even_with_the_session(console):
    answer = console.client.get("/mo-khoa", base_url="http://evil.example:47001")
    assert answer.status_code == 400
    assert "127.0.0.1" in answer.get_data(as_text=True)
    assert console.client.get("/mo-khoa", base_url=f"http://127.0.0.1:{console.PORT + 1}").status_code == 400


def test_every_answer_is_no_store_under_a_strict_csp(console):
    for answer in (console.get("/mo-khoa"), console.get("/khong-co"), console.get("/tep/console.css")):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Content-Security-Policy"] == CSP
        assert "unsafe-inline" not in CSP and "default-src 'none'" in CSP


def test_a_post_without_csrf_or_from_another_origin_is_refused(console):
    assert console.post("/mo-khoa", {"mat_khau": "phat-trien"}, csrf=False).status_code == 403
    assert console.post("/mo-khoa", {"mat_khau": "phat-trien", "csrf": "doan-mo"}, csrf=False).status_code == 403
    foreign = console.post("/mo-khoa", {"mat_khau": "phat-trien"}, headers={"Origin": "http://127.0.0.1:9"})
    assert foreign.status_code == 403
    assert console.app.extensions["console-keys"].current() is None


def test_locked_pages_lead_to_unlock_and_a_wrong_passphrase_says_so_next_to_the_field(console):
    answer = console.get("/")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/mo-khoa")
    wrong = console.unlock("khong-dung-mat-khau")
    assert wrong.status_code == 400
    page = wrong.get_data(as_text=True)
    assert "Mật khẩu không đúng" in page and 'aria-invalid="true"' in page and "khong-dung-mat-khau" not in page
    assert console.unlock().status_code == 303
    assert console.get("/").status_code == 200


def test_unlock_returns_only_to_a_path_of_the_console(console):
    answer = console.post("/mo-khoa", {"mat_khau": "phat-trien", "tiep": "//evil.example/"})
    assert answer.headers["Location"] == "/"
    console.post("/khoa")
    answer = console.post("/mo-khoa", {"mat_khau": "phat-trien", "tiep": "/so-theo-doi"})
    assert answer.headers["Location"] == "/so-theo-doi"


def test_lock_drops_the_key_and_the_unlock_is_audited(console):
    from functions.core import audit

    console.unlock()
    assert [e["action"] for e in audit.entries(console.session.storage, "can-bo-phat-trien")][-1] == "unlock"
    assert console.post("/khoa").status_code == 303
    assert console.app.extensions["console-keys"].current() is None
    assert console.get("/").status_code == 303


def test_idle_for_longer_than_the_timeout_locks(config):
    now = [1000.0]
    driver = ConsoleDriver(config, idle_seconds=60, clock=lambda: now[0])
    driver.launch()
    driver.unlock()
    now[0] += 59
    assert driver.get("/").status_code == 200  # activity: the minute starts again
    now[0] += 59
    assert driver.get("/").status_code == 200
    now[0] += 61
    answer = driver.get("/")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/mo-khoa")
    assert driver.app.extensions["console-keys"].current() is None


def test_pages_tell_the_browser_to_forget_them_when_idle(console):
    """The page's script clears it and goes to the unlock page when the key is dropped (a meta refresh
    would do the same without script, but axe counts a timed refresh as an accessibility failure)."""
    assert 'data-idle-seconds="0"' in console.get("/mo-khoa").get_data(as_text=True)
    console.unlock()
    page = console.get("/").get_data(as_text=True)
    assert 'data-idle-seconds="900"' in page and '<script src="/tep/console.js" defer></script>' in page


def test_a_view_may_add_sandbox_to_the_policy_but_never_loosen_it(config):
    from flask import Response

    driver = ConsoleDriver(config)

    @driver.app.get("/thu-chinh-sach")
    def loosened():
        return Response("x", headers={"Content-Security-Policy": "default-src *"})

    @driver.app.get("/thu-sandbox")
    def stricter():
        return Response("x", headers={"Content-Security-Policy": CSP + "; sandbox"})

    driver.launch()
    assert driver.get("/thu-chinh-sach").headers["Content-Security-Policy"] == CSP
    assert driver.get("/thu-sandbox").headers["Content-Security-Policy"] == CSP + "; sandbox"


def test_form_posts_carry_an_origin_because_the_referrer_policy_allows_it(console):
    """Chromium sends "Origin: null" under no-referrer, which the Origin check refuses."""
    assert console.get("/mo-khoa").headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "localhost", "::1", "127.0.0.2"])
def test_host_other_than_loopback_is_refused_with_a_clear_message(host):
    answer = CliRunner().invoke(main, ["console", "--host", host, "--no-browser"])
    assert answer.exit_code == 2
    assert "chỉ chạy tại 127.0.0.1" in answer.output
    assert check_host("127.0.0.1") == "127.0.0.1"


def test_bvte_console_serves_on_loopback_and_prints_a_one_time_url(config, tmp_path):
    """The real command: a server on 127.0.0.1 at a free port, whose printed URL opens it exactly once."""
    import os
    import re
    import subprocess
    import sys

    import requests

    from functions.keys import ensure_dev_office

    ensure_dev_office(config)
    env = dict(os.environ, BVTE_DATA_DIR=str(config.data_dir), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-c", "from functions.commands import main; main()", "console", "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = []
        while not any("Bảng điều khiển: " in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = re.search(r"http://127\.0\.0\.1:\d+/bat-dau\?t=\S+", "".join(lines)).group(0)
        first = requests.get(url, allow_redirects=False, timeout=10)
        assert first.status_code == 303 and COOKIE in first.cookies
        assert requests.get(url, allow_redirects=False, timeout=10).status_code == 403
        page = requests.get(url.split("/bat-dau")[0] + "/mo-khoa", cookies=first.cookies, timeout=10)
        assert page.status_code == 200 and "Mở khóa" in page.text
    finally:
        process.terminate()
        process.wait(timeout=10)
