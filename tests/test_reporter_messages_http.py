"""``POST /api/tips/messages`` over HTTP (functions/api/tip_messages.py): the whole conversation with and
without JavaScript (report → the office asks → the reporter answers with a photo → the officer reads it →
the reporter sees the next message), errors next to the field with the text kept, exactly once under 20
concurrent sends, unknown receipts, closed cases, rate limits and the content-free notice."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from functions.core import cases, receipts, reporter_messages
from functions.keys import DEV_OFFICER_ID
from functions.web import context

from test_console_case import post_report, status_of

ANSWER = "Cháu 9 tuổi, tối nay ở nhà bà ngoại bản Huổi Lóng"
QUESTION = "Cháu mấy tuổi? Tối nay cháu có an toàn không?"
NEXT = "Cảm ơn bạn. Cán bộ xã sẽ đến nhà bà ngoại sáng mai."
JSON = {"Accept": "application/json"}


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 2.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 90, 10)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


@pytest.fixture
def fast(app):
    """No answer floor (it is measured in its own test): the other tests stay quick."""
    context(app).config.tip_message_floor_seconds = 0
    return app


@pytest.fixture
def reported(console, client, fast):
    """The development office's unlocked console and one report: ``(console, case, identity, receipt)``."""
    receipt = post_report(client, "messages-http-000000001")
    assert console.unlock().status_code == 303
    identity = console.app.extensions["console-keys"].current().identity
    storage = console.session.storage
    [number] = cases.case_numbers(storage)
    case = cases.open_case(storage, cases.find_case(storage, number), identity, DEV_OFFICER_ID)
    return console, case, identity, receipt


def send(client, receipt: str, message: str, message_id: str, photo: bytes | None = None, headers=None):
    data = {"receipt": receipt, "message": message, "message_id": message_id}
    if photo is not None:
        data["attachments"] = (io.BytesIO(photo), "anh.jpg")
    return client.post("/api/tips/messages", data=data, headers=headers or {}, content_type="multipart/form-data")


def events(console, case):
    return cases.read_events(console.session.storage, case, console.session.root, console.session.versions)


def test_the_whole_conversation_with_javascript_answers(reported, client):
    console, case, identity, receipt = reported
    storage = console.session.storage
    cases.reply(storage, case, DEV_OFFICER_ID, identity, QUESTION, events(console, case))
    answer = send(client, receipt, ANSWER, "message-id-http-000001", gps_jpeg(), JSON)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["found"] and body["sent"] and not body["closed"]
    assert [(m["who"], m["text"]) for m in body["conversation"]] == [("Văn phòng", QUESTION), ("Bạn", ANSWER)]
    # The officer reads it; the photo has lost its GPS position.
    [message] = reporter_messages.read_messages(storage, case, identity, DEV_OFFICER_ID)
    assert message.text == ANSWER
    photo = reporter_messages.read_attachment(storage, message, message.attachments[0])
    assert not Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)
    later = datetime.now(timezone.utc) + timedelta(seconds=2)  # office times are to the second: a later one
    cases.reply(storage, case, DEV_OFFICER_ID, identity, NEXT, events(console, case), later)
    assert [m["text"] for m in status_of(client, receipt)["conversation"]] == [QUESTION, ANSWER, NEXT]
    # Nothing the reporter wrote, nor the receipt, is in storage in clear.
    raw = b"".join(storage.read(key) for key in storage.list(""))
    assert ANSWER.encode() not in raw and "Huổi Lóng".encode() not in raw and receipt.encode() not in raw
    # A content-free notice was queued for the officer, naming no content.
    queued = [key for key in storage.list("notices/queue/") if "-m" in key]
    assert len(queued) == 1
    assert json.loads(storage.read(queued[0]))["officers"] == [DEV_OFFICER_ID]


def test_without_javascript_the_form_posts_and_a_reload_sends_nothing_twice(reported, client):
    console, case, identity, receipt = reported
    page = client.post("/api/tips/status", data={"receipt": receipt}).get_data(as_text=True)
    message_id = re.search(r'name="message_id" value="([A-Za-z0-9_-]+)"', page).group(1)
    assert 'action="/api/tips/messages"' in page and 'enctype="multipart/form-data"' in page
    form = {"receipt": receipt, "message": ANSWER, "message_id": message_id}
    first = client.post("/api/tips/messages", data=form)
    text = first.get_data(as_text=True)
    assert first.status_code == 201 and "Đã gửi tin nhắn của bạn tới văn phòng." in text and ANSWER in text
    assert re.search(r'name="message_id" value="([A-Za-z0-9_-]+)"', text).group(1) != message_id  # the next is new
    assert '<textarea id="message"' in text and f">{ANSWER}</textarea>" not in text  # the form is empty again
    reload = client.post("/api/tips/messages", data=form)  # the browser sends the form again
    assert reload.status_code == 201
    assert len(reporter_messages.message_keys(console.session.storage, case.tip_id)) == 1


def test_errors_are_next_to_the_field_with_everything_typed_kept(reported, client):
    _console, _case, _identity, receipt = reported
    empty = client.post("/api/tips/messages", data={"receipt": receipt, "message": "   ",
                                                    "message_id": "message-id-http-000002"})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 400 and 'id="message-error"' in page and "Hãy viết tin nhắn." in page
    assert 'value="message-id-http-000002"' in page  # the same id: sending again is the same message
    long = "Dài " * 700
    too_long = client.post("/api/tips/messages", data={"receipt": receipt, "message": long,
                                                       "message_id": "message-id-http-000003"})
    assert too_long.status_code == 400 and "tối đa 2000 ký tự" in too_long.get_data(as_text=True)
    assert long.strip() in too_long.get_data(as_text=True)
    weak = client.post("/api/tips/messages", json={"receipt": receipt, "message": ANSWER, "message_id": "a" * 20})
    assert weak.status_code == 400 and "tải lại trang" in weak.get_json()["error"]["fields"]["message"]
    wrong = client.post("/api/tips/messages", json={"receipt": "ABCD", "message": ANSWER})
    assert wrong.status_code == 400 and "receipt" in wrong.get_json()["error"]["fields"]
    not_image = send(client, receipt, ANSWER, "message-id-http-000004", b"MZ not an image at all", JSON)
    assert not_image.status_code == 415 and "attachments" in not_image.get_json()["error"]["fields"]
    html = send(client, receipt, ANSWER, "message-id-http-000005", b"MZ not an image at all")
    assert html.status_code == 415 and ANSWER in html.get_data(as_text=True)


def test_twenty_concurrent_sends_of_one_message_id_store_one_message(reported, fast):
    console, case, _identity, receipt = reported
    codes, barrier = [], threading.Barrier(20)

    def one():
        client = fast.test_client()
        barrier.wait()
        codes.append(send(client, receipt, ANSWER, "message-id-concurrent-http", gps_jpeg(), JSON).status_code)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [201] * 20
    storage = console.session.storage
    assert len(reporter_messages.message_keys(storage, case.tip_id)) == 1
    assert len([k for k in storage.list(f"tips/{case.tip_id}/messages/") if k.endswith(".box")]) == 1


def test_an_unknown_receipt_gets_the_same_shape_and_nothing_is_stored(reported, client):
    console, _case, _identity, receipt = reported
    storage = console.session.storage
    before = {key for key in storage.list("") if not key.startswith("ratelimit/")}
    unknown = send(client, receipts.random_receipt(), ANSWER, "message-id-http-000006", gps_jpeg(), JSON)
    after = {key for key in storage.list("") if not key.startswith("ratelimit/")}
    assert unknown.status_code == 201 and after == before
    known = send(client, receipt, ANSWER, "message-id-http-000007", None, JSON)
    assert set(unknown.get_json()) == set(known.get_json())
    assert unknown.get_json()["found"] is False and unknown.get_json()["sent"] is False
    assert unknown.get_json()["conversation"] == []


def test_known_and_unknown_receipts_take_the_same_answer_floor(reported, client, monkeypatch):
    """Both answers are held to the floor from the same starting point. A virtual clock that moves only
    when the handler sleeps shows it without timing the machine (a wall-clock check is at the mercy of
    the load on a shared CI machine): each path sleeps exactly the floor."""
    import time as real_time

    from functions.api import tip_messages

    class VirtualTime:
        def __init__(self):
            self.now, self.slept = 1000.0, []

        def monotonic(self):
            return self.now

        def time(self):  # wall time for rate-limit windows stays real
            return real_time.time()

        def sleep(self, seconds):
            self.slept.append(seconds)
            self.now += seconds

    _console, _case, _identity, receipt = reported
    context(client.application).config.tip_message_floor_seconds = 0.25
    slept = {}
    for name, target in (("known", receipt), ("unknown", receipts.random_receipt())):
        clock = VirtualTime()
        monkeypatch.setattr(tip_messages, "time", clock)
        assert send(client, target, ANSWER, f"message-id-floor-{name}-01", None, JSON).status_code == 201
        slept[name] = clock.slept
    assert slept == {"known": [0.25], "unknown": [0.25]}


def test_a_used_message_id_with_other_text_is_409_and_the_text_kept(reported, client):
    _console, _case, _identity, receipt = reported
    assert send(client, receipt, ANSWER, "message-id-http-000008").status_code == 201
    other = client.post("/api/tips/messages", data={"receipt": receipt, "message": "Một tin khác",
                                                    "message_id": "message-id-http-000008"})
    page = other.get_data(as_text=True)
    assert other.status_code == 409 and "Một tin khác" in page and 'value="message-id-http-000008"' not in page


def test_a_closed_case_refuses_messages_and_keeps_the_conversation_readable(reported, client):
    console, case, identity, receipt = reported
    assert send(client, receipt, ANSWER, "message-id-http-000009").status_code == 201
    cases.set_public_status(console.session.storage, case, DEV_OFFICER_ID, identity, "closed", events(console, case))
    refused = send(client, receipt, "Còn một điều nữa", "message-id-http-000010", None, JSON)
    assert refused.status_code == 409 and refused.get_json()["error"]["message"].startswith("Hồ sơ đã đóng")
    page = client.post("/api/tips/status", data={"receipt": receipt}).get_data(as_text=True)
    assert ANSWER in page and "gửi tin báo mới hoặc gọi 111" in page and 'id="message-form"' not in page


def test_messages_are_rate_limited_per_client_and_per_receipt(reported, client, fast):
    _console, _case, _identity, receipt = reported
    config = context(fast).config
    config.tip_messages_per_receipt_hour = 2
    codes = [send(client, receipt, f"tin {n}", f"message-id-limit-{n:06d}", None, JSON).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    config.tip_messages_per_hour = 4  # this client has sent 3 already
    assert send(client, receipts.random_receipt(), "x", "message-id-limit-000009", None, JSON).status_code == 201
    limited = client.post("/api/tips/messages", data={"receipt": receipt, "message": "Vẫn còn đây",
                                                      "message_id": "message-id-limit-000010"})
    assert limited.status_code == 429 and "Vẫn còn đây" in limited.get_data(as_text=True)


def test_a_cross_site_post_is_refused(reported, client):
    _console, _case, _identity, receipt = reported
    answer = client.post("/api/tips/messages", json={"receipt": receipt, "message": ANSWER},
                         headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


def test_the_message_limits_and_floor_are_settings_the_environment_sets(config):
    import time

    from functions.config import Config
    from functions.web import create_app

    defaults = Config.from_env({})
    assert (defaults.tip_messages_per_hour, defaults.tip_messages_per_receipt_hour,
            defaults.tip_message_floor_seconds) == (30, 20, 0.3)
    environ = {"BVTE_TIP_MESSAGES_PER_HOUR": "3", "BVTE_TIP_MESSAGES_PER_RECEIPT_HOUR": "1",
               "BVTE_TIP_MESSAGE_FLOOR_SECONDS": "0.15"}
    settings = Config.from_env(environ, data_dir=config.data_dir, site_dir=config.site_dir,
                               content_dir=config.content_dir, testing=True)
    assert (settings.tip_messages_per_hour, settings.tip_messages_per_receipt_hour,
            settings.tip_message_floor_seconds) == (3, 1, 0.15)
    client = create_app(settings).test_client()
    first, second = receipts.random_receipt(), receipts.random_receipt()
    start = time.perf_counter()
    assert send(client, first, "tin 1", "message-id-env-000001", None, JSON).status_code == 201
    assert time.perf_counter() - start >= 0.15  # the floor the environment set
    assert send(client, first, "tin 2", "message-id-env-000002", None, JSON).status_code == 429  # 1 per receipt
    assert send(client, second, "tin 3", "message-id-env-000003", None, JSON).status_code == 201
    third = receipts.random_receipt()  # a receipt not yet used: only the client's limit (3) refuses it
    assert send(client, third, "tin 4", "message-id-env-000004", None, JSON).status_code == 429
