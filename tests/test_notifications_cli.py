"""Notices through the officers' tools: ``bvte officers add --email`` feeds the sender, ``bvte cases show``
marks a case opened, ``bvte notify remind`` counts deadlines on the officer's computer (fixed clock, working
days, 24-hour window) and sends the two numbers only, ``bvte serve`` runs the sender and stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import requests
from cli_office import Office as CliOffice
from test_cases_cli import post_report
from test_notifications import free_port, readable, smtp_server

from functions.config import REPO_ROOT
from functions.core import clocks
from functions.core.case_steps import StepState
from functions.notifications import outbox
from functions.core.case_clocks import case_facts
from functions.notifications.deadlines import tally
from functions.notifications.messages import FOOTER, SUBJECT

LAN = "lan@van-phong.test"
VN = timezone(timedelta(hours=7))


def smtp_env(port: int) -> dict:
    return {"BVTE_SMTP_HOST": "127.0.0.1", "BVTE_SMTP_PORT": str(port), "BVTE_SMTP_SECURITY": "none",
            "BVTE_SMTP_FROM": "thong-bao@van-phong.test"}


def test_remind_sends_the_officer_two_counts_and_cases_show_marks_the_case_opened(runner, config, tmp_path):
    from functions.web import create_app, context

    office = CliOffice(runner, config, tmp_path)
    office.init()
    office.add("can-bo-lan", "--communes", "muong-ang", "--email", LAN)
    office.add("can-bo-minh", "--communes", "bung-lao")
    app = create_app(config)
    storage = context(app).storage
    post_report(app.test_client(), "Mường Ảng", "a" * 20, description="Em bé ở bản Co Hắc bị đánh")
    [(_, tip_id, entry)] = outbox.queued(storage, datetime.now(timezone.utc))
    assert entry["officers"] == ["can-bo-lan"]  # the e-mail lives in the keyring, never in the queue
    with smtp_server() as (port, inbox):
        result = office.run("notify", "remind", "--key", str(office.key("can-bo-lan")), **smtp_env(port))
        assert "1 việc sắp đến hạn trong 24 giờ, 0 việc quá hạn." in result.output
        [raw] = inbox.to(LAN)
        text = readable(raw)
        assert SUBJECT in text and ("1 việc sắp đến hạn trong 24 giờ, 0 việc quá hạn. Hãy xem trong bảng điều "
                                    f"khiển.\n\n{FOOTER}") in text
        assert "Co Hắc" not in text and "muong-ang" not in text and "Mường" not in text
        # An officer whose key opens no case: nothing to count, nothing sent.
        quiet = office.run("notify", "remind", "--key", str(office.key("can-bo-minh")), **smtp_env(port))
        assert "0 việc sắp đến hạn trong 24 giờ, 0 việc quá hạn." in quiet.output and inbox.count() == 1
    assert not outbox.is_opened(storage, tip_id)
    number = office.listed("can-bo-lan")[0]["case_number"]
    office.as_officer("can-bo-lan", "show", number)
    assert outbox.is_opened(storage, tip_id)


def test_remind_is_also_a_command_of_its_own(runner):
    from functions.commands import main

    answer = runner.invoke(main, ["remind", "--help"])
    assert answer.exit_code == 0 and "24 giờ" in answer.output


def test_deadline_counts_follow_working_days_and_the_24_hour_window():
    rules = clocks.load_clocks()
    received = datetime(2026, 11, 27, 10, 0, tzinfo=VN)  # a Friday, 10:00 in Việt Nam

    def counts(state: StepState, now: datetime) -> tuple[int, int]:
        return tally([clocks.deadlines(rules, case_facts(received.isoformat(), state), now)])

    fresh = StepState()
    assert counts(fresh, received + timedelta(hours=1)) == (1, 0)  # 12-hour assessment due today
    # Wednesday 09:00: the 12 hours are long past; the plan's 5 working days end Friday 4/12 10:00 (the
    # weekend does not count), more than 24 hours away.
    assert counts(fresh, datetime(2026, 12, 2, 9, 0, tzinfo=VN)) == (0, 1)
    assert counts(fresh, datetime(2026, 12, 3, 10, 30, tzinfo=VN)) == (1, 1)  # 23.5 hours before the plan
    assert counts(fresh, datetime(2026, 12, 3, 9, 59, tzinfo=VN)) == (0, 1)  # 24 h 1 min before: not yet
    assessed = StepState(completed_at={"mau-02": (received + timedelta(hours=6)).astimezone(timezone.utc).isoformat()})
    assert counts(assessed, datetime(2026, 12, 2, 9, 0, tzinfo=VN)) == (0, 0)  # met on time: not counted
    drafted = StepState(completed_at={"mau-02": (received + timedelta(hours=6)).isoformat(),
                                      "mau-04": datetime(2026, 12, 1, 10, 0, tzinfo=VN).isoformat()})
    # Approval within 2 working days of the draft: Thursday 3/12 10:00; at Wednesday 11:00 it is 23 h away.
    assert counts(drafted, datetime(2026, 12, 2, 11, 0, tzinfo=VN)) == (1, 0)
    separated = StepState(completed_at=drafted.completed_at, forms={"mau-07": {"thoi_diem_tach": "2026-11-28T08:00:00"}})
    # 15 calendar days from 28/11 08:00 Việt Nam time: overdue on 13/12 at 09:00, plus the unapproved plan.
    assert counts(separated, datetime(2026, 12, 13, 9, 0, tzinfo=VN)) == (0, 2)


def test_bvte_serve_tells_of_a_new_report_at_once_and_stops_its_sender_cleanly(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>bvte</title>", encoding="utf-8")
    port = free_port()
    with smtp_server() as (smtp_port, inbox):
        env = {**os.environ, **smtp_env(smtp_port), "BVTE_SITE_DIR": str(site), "BVTE_DATA_DIR": str(tmp_path / "var"),
               "PORT": str(port), "BVTE_NOTIFY_TO": LAN}
        server = subprocess.Popen([sys.executable, "-c", "from functions.commands import main; main()", "serve"],
                                  cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:  # until the server answers (or has died)
                assert server.poll() is None and time.monotonic() < deadline
                try:
                    if requests.get(f"{base}/api/health", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    inbox.got.wait(0.1)
            answer = requests.post(f"{base}/api/tips", timeout=10, json={
                "description": "Em bé ở bản Co Hắc bị đánh", "category": "bao-luc", "commune": "Mường Ảng"})
            assert answer.status_code == 201
            assert inbox.got.wait(30), "no notice arrived"
            assert "Có tin báo mới" in readable(inbox.to(LAN)[0])
        finally:
            server.send_signal(signal.SIGTERM)  # as systemd or Docker stop it (SIGINT may be ignored when
            output = server.communicate(timeout=30)[0].decode("utf-8", "replace")  # run as a background job)
    assert server.returncode == 0 and "Gửi thông báo cho cán bộ qua: smtp" in output
    assert output.rstrip().endswith("Đã dừng máy chủ.")
    assert "Traceback" not in output
