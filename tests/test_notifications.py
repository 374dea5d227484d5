"""Notices to officers (functions/notifications): what reaches a real SMTP server (aiosmtpd on 127.0.0.1) and a
webhook relay after real reports, and never a word of the report; channels down or hanging; the webhook
signature; the server-side 12-hour reminder; the officer-side deadline counts; the sender thread of
``bvte serve``. The kill-mid-batch and flood tests are in test_notifications_delivery.py, which imports the
helpers defined first here (SMTP server, hanging server, webhook relay, an office with a signed keyring).
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from functions.core import office_keys
from functions.core.office_keys import Identity, Officer
from functions.keys import ROOT_PUBLIC_NAME, keys_dir
from functions.notifications.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_webhook

SENDER = "thong-bao@van-phong.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received: ``(recipients, raw bytes)`` per message. ``block_at = n`` makes the
    server hold the n-th message after receiving it and before answering 250, until ``release`` is set."""

    def __init__(self):
        self.messages: list[tuple[tuple[str, ...], bytes]] = []
        self.lock = threading.Lock()
        self.block_at: int | None = None
        self.reached, self.release = threading.Event(), threading.Event()
        self.got = threading.Event()  # set at each message received

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((tuple(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
            count = len(self.messages)
        self.got.set()
        if self.block_at == count:
            self.reached.set()
            self.release.wait(30)
        return "250 OK"

    def to(self, address: str) -> list[bytes]:
        with self.lock:
            return [raw for rcpts, raw in self.messages if address in rcpts]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def readable(raw: bytes) -> str:
    """Every header (decoded) and the body of a message, as one text."""
    message = message_from_bytes(raw, policy=policy.default)
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return headers + "\n\n" + message.get_content() + "\n" + raw.decode("ascii", "replace")


@contextmanager
def smtp_server(port: int | None = None, **options):
    """aiosmtpd on 127.0.0.1 (a free port unless given), stopped on exit; yields ``(port, inbox)``."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        inbox.release.set()
        controller.stop()


@contextmanager
def hanging_server():
    """Accepts connections on 127.0.0.1 and never says a word (an SMTP server that hangs); yields its port and
    the list of connections it accepted."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    held = []

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], held
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


class WebhookReceiver:
    """A relay on 127.0.0.1 that checks each request with the reference verifier: 204 if it verifies,
    401 if not. ``requests``: ``(headers, body, verified)``."""

    def __init__(self, secret: bytes):
        self.secret = secret
        self.requests: list[tuple[dict, bytes, bool]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = verify_webhook(receiver.secret, body, self.headers.get(TIMESTAMP_HEADER, ""),
                                    self.headers.get(SIGNATURE_HEADER, ""))
                receiver.requests.append((dict(self.headers), body, ok))
                self.send_response(204 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bvte"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Office:
    """A root and a signed keyring in ``storage``; the root's public key where ``config`` finds it."""

    def __init__(self, storage, config):
        self.storage, self.config = storage, config
        self.root = Identity.generate()
        self.people: dict[str, Identity] = {}
        self.keyring = office_keys.EMPTY_KEYRING
        folder = keys_dir(config)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ROOT_PUBLIC_NAME).write_text(office_keys.verify_key_text(self.root.verify_key), encoding="ascii")

    def add(self, officer_id: str, communes: tuple[str, ...], email: str = "") -> Identity:
        identity = Identity.generate()
        self.people[officer_id] = identity
        self.keyring = self.keyring.with_officer(
            Officer(officer_id, f"Cán bộ {officer_id}", communes, identity.verify_key, email))
        office_keys.publish_keyring(self.storage, self.keyring, self.root)
        return identity


def smtp_settings(config, port: int, **more):
    return config.replace(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_from=SENDER, **more)


# == the tests ===================================================================================================

import json  # noqa: E402 - the helpers above are imported by the delivery tests; the tests follow them
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from functions.config import Config  # noqa: E402
from functions.core import cases  # noqa: E402
from functions.core.places import load_places  # noqa: E402
from functions.core.tip_validation import load_categories  # noqa: E402
from functions.notifications import delivery_failures, mark_opened, outbox  # noqa: E402
from functions.notifications.channels import ChannelError, WebhookChannel, sign_webhook  # noqa: E402
from functions.notifications.messages import FOOTER, SUBJECT  # noqa: E402
from functions.notifications.sender import deliver_once, initial_due  # noqa: E402

LAN, HOA, TAM = "lan@van-phong.test", "hoa@van-phong.test", "tam@van-phong.test"
WORDS = ["bé", "gái", "trai", "ở", "bản", "bị", "đánh", "bỏ", "đói", "nhà", "hàng", "xóm", "thấy", "khóc", "đêm",
         "qua", "cha", "dượng", "nương", "chợ", "trường", "Co", "Hắc", "nghỉ", "học"]


def office_app(config, **settings_):
    """An app whose intake seals to a keyring of three officers (two communes, one for all)."""
    from functions.web import create_app, context

    app = create_app(config.replace(tips_per_hour=1000, **settings_))
    office = Office(context(app).storage, context(app).config)
    office.add("can-bo-lan", ("muong-ang",), LAN)
    office.add("can-bo-hoa", ("bung-lao",), HOA)
    office.add("can-bo-tam", ("*",), TAM)
    return app, context(app).storage, context(app).config


def post_report(client, **fields) -> dict:
    report = {"description": "Em bé ở bản Co Hắc bị đánh nhiều ngày", "category": "bao-luc",
              "commune": "Mường Ảng", **fields}
    answer = client.post("/api/tips", json=report)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_each_officer_covering_the_commune_gets_one_fixed_notice_with_the_12_hour_deadline(config):
    with smtp_server() as (port, inbox):
        app, storage, cfg = office_app(config, **vars_smtp(port))
        post_report(app.test_client())
        [(day, tip_id, entry)] = outbox.queued(storage, datetime.now(timezone.utc))
        assert sorted(entry) == ["officers", "received"]  # nothing else is queued: no urgent flag when off
        assert entry["officers"] == ["can-bo-lan", "can-bo-tam"]
        done = deliver_once(storage, cfg)
        assert done.delivered == 2 and inbox.count() == 2
        assert inbox.to(HOA) == []  # Búng Lao's officer is not told of a Mường Ảng report
        from functions.core.clocks import vietnam_time_label

        due = initial_due(datetime.fromisoformat(entry["received"]))
        assert due - datetime.fromisoformat(entry["received"]) == timedelta(hours=12)
        for address in (LAN, TAM):
            [raw] = inbox.to(address)
            message = message_from_bytes(raw, policy=policy.default)
            assert message["Subject"] == SUBJECT and message["From"] == SENDER and message["To"] == address
            assert message.get_content().strip() == (
                f"Có tin báo mới cần xem trong bảng điều khiển. Hạn đánh giá ban đầu: {vietnam_time_label(due)}."
                f"\n\n{FOOTER}")
        assert deliver_once(storage, cfg).delivered == 0 and inbox.count() == 2  # told once


def vars_smtp(port: int, **more) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_from": SENDER, **more}


_CONTENT_DIR = Config().content_dir
_CONTENT = load_places(_CONTENT_DIR)
_CATEGORIES = load_categories(_CONTENT_DIR)
report_strategy = st.fixed_dictionaries({
    "words": st.lists(st.sampled_from(WORDS), min_size=3, max_size=15),
    "marker": st.from_regex(r"[A-Z]{3}[0-9]{3}[a-z]{3}", fullmatch=True),
    "commune": st.sampled_from(_CONTENT.communes),
    "category": st.sampled_from(_CATEGORIES),
    "urgent": st.booleans(),
    "age": st.integers(0, 17),
    "name": st.sampled_from(["Lò Văn Pằng", "Quàng Thị Xuân", "Giàng A Páo", ""]),
    "phone": st.from_regex(r"09[0-9]{8}", fullmatch=True),
})


def _report_words(drawn: dict) -> tuple[dict, list[str]]:
    """The report to post, and every string of it that must never reach a notice."""
    commune = drawn["commune"]
    description = " ".join(drawn["words"]) + f" {drawn['marker']}"
    location = f"gần {drawn['marker']}-nha"
    fields = {"description": description, "category": drawn["category"].id, "commune": commune.name,
              "urgent": "on" if drawn["urgent"] else "", "child_age": str(drawn["age"]),
              "location_detail": location, "reporter_name": drawn["name"], "reporter_phone": drawn["phone"]}
    secret = [description, drawn["marker"], location, drawn["phone"], drawn["category"].id, drawn["category"].label,
              commune.id, commune.name, commune.label, *commune.former_names, f"{drawn['age']} tuổi"]
    return fields, secret + ([drawn["name"]] if drawn["name"] else [])


def test_no_field_receipt_case_number_or_commune_ever_reaches_a_notice(config):
    with smtp_server() as (port, inbox):
        app, storage, cfg = office_app(config, **vars_smtp(port))
        client, start, rounds = app.test_client(), datetime.now(timezone.utc), []

        @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(report_strategy)
        def check(drawn):
            fields, secret = _report_words(drawn)
            receipt = post_report(client, **fields)["receipt"]
            numbers = sorted(cases.case_numbers(storage))
            before = inbox.count()
            # Each report a batch window (11 minutes) after the last, so each one is told at once.
            rounds.append(start + timedelta(minutes=11 * (len(rounds) + 1)))
            assert deliver_once(storage, cfg, now=rounds[-1]).delivered >= 1
            with inbox.lock:
                new = [raw for _, raw in inbox.messages[before:]]
            assert new
            for raw in new:
                text = readable(raw)
                for word in secret + [receipt, receipt.replace("-", ""), numbers[-1]]:
                    assert word not in text, word
                assert "khẩn" not in text  # urgent wording is off by default

        check()


def test_urgent_wording_only_when_the_office_turns_it_on(config):
    with smtp_server() as (port, inbox):
        app, storage, cfg = office_app(config, **vars_smtp(port, notify_urgent_wording=True))
        post_report(app.test_client(), urgent="on", commune="Búng Lao")
        [(_, _, entry)] = outbox.queued(storage, datetime.now(timezone.utc))
        assert entry["urgent"] is True
        deliver_once(storage, cfg)
        body = message_from_bytes(inbox.to(HOA)[0], policy=policy.default).get_content()
        assert "khẩn cấp" in body and body.startswith("Có tin báo mới được người báo đánh dấu khẩn cấp")


def test_smtp_down_the_reporter_gets_201_at_once_and_the_notice_arrives_once_it_is_back(config):
    port = free_port()  # nothing listens there yet
    app, storage, cfg = office_app(config, **vars_smtp(port))
    started = time.monotonic()
    post_report(app.test_client())
    assert time.monotonic() - started < 3  # intake never talks to the mail server
    now = datetime.now(timezone.utc)
    first = deliver_once(storage, cfg, now=now)
    assert first.delivered == 0 and first.failed == 2
    failures = delivery_failures(storage, now)
    assert {f["reason"] for f in failures} == {"unreachable"} and {f["recipient"] for f in failures} == {
        "can-bo-lan", "can-bo-tam"}
    assert not any("@" in json.dumps(f) for f in failures)  # never an address in the failure log
    with smtp_server(port) as (_, inbox):
        assert deliver_once(storage, cfg, now=now + timedelta(seconds=5)).delivered == 0  # still backing off
        assert deliver_once(storage, cfg, now=now + timedelta(seconds=31)).delivered == 2
        assert deliver_once(storage, cfg, now=now + timedelta(minutes=20)).delivered == 0
        assert len(inbox.to(LAN)) == 1 and len(inbox.to(TAM)) == 1


def test_smtp_hanging_the_reporter_gets_201_at_once_and_the_notice_arrives_from_a_working_server(config):
    with hanging_server() as (stuck, accepted):
        app, storage, cfg = office_app(config, **vars_smtp(stuck, notify_timeout_seconds=3))
        started = time.monotonic()
        post_report(app.test_client())
        # Intake never opened a connection to the mail server, so it cannot have waited on it.
        assert accepted == [] and time.monotonic() - started < 3
        now = datetime.now(timezone.utc)
        assert deliver_once(storage, cfg, now=now).failed == 2
        assert len(accepted) == 1  # one wait per round on a hanging server, not one per officer
    with smtp_server() as (port, inbox):
        cfg = cfg.replace(smtp_port=port)
        assert deliver_once(storage, cfg, now=now + timedelta(minutes=1)).delivered == 2
        assert len(inbox.to(LAN)) == 1 and len(inbox.to(TAM)) == 1


def test_smtp_login_uses_the_password_from_the_file(config, tmp_path):
    from aiosmtpd.smtp import AuthResult

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"mat-khau-smtp")

    (tmp_path / "smtp-password").write_text("mat-khau-smtp\n", encoding="utf-8")
    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (port, inbox):
        app, storage, cfg = office_app(config, **vars_smtp(port, smtp_user="van-phong",
                                                          smtp_password_file=str(tmp_path / "smtp-password")))
        post_report(app.test_client())
        assert deliver_once(storage, cfg).delivered == 2
    assert seen[0] == (b"van-phong", b"mat-khau-smtp")


def test_notify_to_addresses_are_told_of_every_report_without_a_keyring(config, dev_keys):
    """A one-officer office without a root key: BVTE_NOTIFY_TO alone."""
    from functions.web import create_app, context

    with smtp_server() as (port, inbox):
        app = create_app(config.replace(**vars_smtp(port, notify_to=f"{LAN}, {TAM}")))
        post_report(app.test_client())
        assert deliver_once(context(app).storage, context(app).config).delivered == 2
        assert len(inbox.to(LAN)) == 1 and len(inbox.to(TAM)) == 1


def test_webhook_is_signed_verifies_and_a_replayed_old_request_is_refused(config, tmp_path):
    secret = b"khoa-ky-webhook-cua-van-phong"
    (tmp_path / "webhook-secret").write_bytes(secret + b"\n")
    with WebhookReceiver(secret) as relay:
        app, storage, cfg = office_app(config, webhook_url=relay.url, webhook_secret_file=str(tmp_path / "webhook-secret"))
        post_report(app.test_client(), commune="Búng Lao")
        assert deliver_once(storage, cfg).delivered == 2
    assert [ok for _, _, ok in relay.requests] == [True, True]
    assert sorted(json.loads(body)["recipient"] for _, body, _ in relay.requests) == ["can-bo-hoa", "can-bo-tam"]
    headers, body, _ = relay.requests[0]
    assert "Búng" not in body.decode("utf-8") and "bung-lao" not in body.decode("utf-8")
    from functions.notifications.channels import verify_webhook

    stamp = headers["X-Bvte-Timestamp"]
    signature = headers["X-Bvte-Signature"]
    assert verify_webhook(secret, body, stamp, signature)
    assert not verify_webhook(secret, body, stamp, signature, now=int(stamp) + 301)  # replayed 5 min later
    assert not verify_webhook(secret, body + b" ", stamp, signature)  # altered body
    assert not verify_webhook(b"another-secret", body, stamp, signature)
    # A fresh signature on the old body with a new timestamp is what only the office can make.
    assert verify_webhook(secret, body, str(int(stamp) + 400), sign_webhook(secret, body, int(stamp) + 400),
                          now=int(stamp) + 400)


def test_webhook_must_be_https_except_on_this_machine():
    with pytest.raises(ChannelError):
        WebhookChannel("http://relay.van-phong.test/bvte", b"k")
    with pytest.raises(ChannelError):
        WebhookChannel("https://relay.van-phong.test/bvte", b"")
    assert WebhookChannel("http://127.0.0.1:9/bvte", b"k") and WebhookChannel("https://relay.test/x", b"k")


def test_the_12_hour_reminder_goes_once_when_nobody_opened_the_case_4_hours_before(config):
    with smtp_server() as (port, inbox):
        app, storage, cfg = office_app(config, **vars_smtp(port))
        client = app.test_client()
        post_report(client)
        post_report(client, commune="Búng Lao", description="Một em nhỏ bị bỏ đói ở nhà một mình")
        entries = outbox.queued(storage, datetime.now(timezone.utc))
        received = min(datetime.fromisoformat(e["received"]) for _, _, e in entries)
        deliver_once(storage, cfg, now=received)
        told = inbox.count()
        opened_tip = next(tip for _, tip, e in entries if "can-bo-hoa" in e["officers"])
        mark_opened(storage, opened_tip)
        mark_opened(storage, opened_tip)  # idempotent
        assert deliver_once(storage, cfg, now=received + timedelta(hours=7, minutes=50)).delivered == 0
        deliver_once(storage, cfg, now=received + timedelta(hours=8, minutes=1))
        reminders = [raw for _, raw in inbox.messages[told:]]
        # The Mường Ảng report was opened by nobody: its two officers are reminded; Búng Lao's was opened.
        assert sorted(r for rcpts, _ in inbox.messages[told:] for r in rcpts) == [LAN, TAM]
        for raw in reminders:
            assert message_from_bytes(raw, policy=policy.default).get_content().startswith(
                "Có tin báo chưa cán bộ nào mở, sắp hết hạn đánh giá ban đầu:")
        assert deliver_once(storage, cfg, now=received + timedelta(hours=9)).delivered == 0  # once only
        assert deliver_once(storage, cfg, now=received + timedelta(hours=13)).delivered == 0  # past due: silence


def test_a_refused_notice_is_retried_and_a_notice_that_keeps_failing_is_given_up_and_shown(config):
    from functions.notifications.channels import Refused

    class Picky:
        """A channel whose server refuses the first message, then takes the rest."""

        name = "smtp"

        def __init__(self):
            self.sent, self.refusals = [], 1

        def open(self):
            channel = self

            class Link:
                def prepare(self, address):
                    self.address = address

                def transmit(self, notice, notice_id):
                    if channel.refusals:
                        channel.refusals -= 1
                        raise Refused("DATA 554")
                    channel.sent.append(self.address)

                def close(self):
                    pass

            return Link()

    app, storage, cfg = office_app(config, **vars_smtp(free_port()))
    post_report(app.test_client(), commune="Búng Lao")
    picky, now = Picky(), datetime.now(timezone.utc)
    assert deliver_once(storage, cfg, now=now, channels=[picky]).failed == 1
    assert deliver_once(storage, cfg, now=now + timedelta(seconds=40), channels=[picky]).delivered == 1
    assert sorted(picky.sent) == [HOA, TAM]
    assert [f["reason"] for f in delivery_failures(storage, now)] == ["refused"]
    # A server that is never reachable: retried with backoff, given up after 12 hours, shown once more.
    post_report(app.test_client(), commune="Búng Lao", description="Một em nhỏ bị bỏ đói ở nhà một mình")
    for _, tip_id, _ in outbox.queued(storage, now):
        mark_opened(storage, tip_id)  # opened: no 12-hour reminder adds its own notices here
    later = now + timedelta(minutes=30)
    for minutes in range(0, 13 * 60, 60):
        deliver_once(storage, cfg, now=later + timedelta(minutes=minutes))
    reasons = [f["reason"] for f in delivery_failures(storage, later + timedelta(hours=13))]
    assert reasons.count("expired") == 2 and reasons.count("unreachable") == 2


def test_an_old_keyring_without_email_still_verifies_and_officers_add_keeps_the_email(tmp_path):
    from functions.core.office_keys import canonical, current_keyring
    from functions.storage.local import LocalStorage

    storage, root = LocalStorage(tmp_path / "store"), Identity.generate()
    officer = Identity.generate()
    body = {"format": "bvte-keyring-v1", "version": 1, "created": "2026-11-01T00:00:00+00:00",
            "officers": [{"id": "can-bo-cu", "name": "Cán bộ cũ", "communes": ["*"],
                          "verify_key": office_keys.verify_key_text(officer.verify_key)}]}
    assert b"email" not in canonical(body)
    document = {"keyring": body, "signature": root.sign(body)}
    storage.create(office_keys.keyring_key(1), json.dumps(document).encode("utf-8"))
    keyring = current_keyring(storage, root.verify_key)
    assert keyring.version == 1 and keyring.officer("can-bo-cu").email == ""
    newer = keyring.with_officer(Officer("can-bo-moi", "Cán bộ mới", ("*",), Identity.generate().verify_key,
                                         "moi@van-phong.test"))
    office_keys.publish_keyring(storage, newer, root)
    again = current_keyring(storage, root.verify_key)
    assert again.officer("can-bo-moi").email == "moi@van-phong.test" and again.officer("can-bo-cu").email == ""
