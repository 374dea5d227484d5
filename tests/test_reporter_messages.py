"""The receipt holder's messages (functions/core/reporter_messages.py): sealed to the case's holders and the
root, readable with the receipt, exactly once, nothing for an unknown receipt, closed cases refused, read
markers. Pure core over a local storage, with an office made in memory (no key files, no argon2)."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from functions.core import cases, images, office_keys, receipts, reporter_messages, tips
from functions.core.office_keys import Identity, Keyring, Officer
from functions.storage.local import LocalStorage

SECRET = b"s" * 32
T0 = datetime(2026, 11, 30, 7, 5, tzinfo=timezone.utc)
REPLY = "Cháu mấy tuổi? Tối nay cháu có an toàn không?"
ANSWER = "Cháu khoảng 9 tuổi, đang ở nhà bà ngoại bản Huổi Lóng"


class Office:
    """A root, two officers of Mường Ảng and one of Búng Lao, their keyring published."""

    def __init__(self, storage):
        self.storage = storage
        self.root = Identity.generate()
        self.lan, self.hoa, self.minh = Identity.generate(), Identity.generate(), Identity.generate()
        self.keyring = Keyring(1, "2020-01-01T00:00:00+00:00", (
            Officer("can-bo-lan", "Lan", ("muong-ang",), self.lan.verify_key),
            Officer("can-bo-hoa", "Hoa", ("muong-ang",), self.hoa.verify_key),
            Officer("can-bo-minh", "Minh", ("bung-lao",), self.minh.verify_key)))
        office_keys.publish_keyring(storage, self.keyring, self.root)
        self.sealing = reporter_messages.Sealing(self.root.verify_key, self.keyring)

    def report(self, submission: str = "submission-000000001") -> tuple[str, cases.Case]:
        lock = cases.CaseLock(self.root.verify_key, self.keyring, "muong-ang")
        stored = tips.store(self.storage, SECRET, lock, submission, {"description": "x" * 30, "commune": "muong-ang",
                                                                     "category": "bao-luc"}, [], T0)
        return stored.receipt, cases.open_case(self.storage, stored.tip_id, self.lan, "can-bo-lan")


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "store")


@pytest.fixture
def office(storage):
    return Office(storage)


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 2.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 90, 200)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def every_byte(storage) -> bytes:
    return b"".join(storage.read(key) for key in storage.list(""))


def test_a_message_is_sealed_to_the_case_holders_and_readable_with_the_receipt(office, storage):
    receipt, case = office.report()
    cases.reply(storage, case, "can-bo-lan", office.lan, REPLY, [], T0 + timedelta(minutes=5))
    photo = images.clean_attachment(gps_jpeg(), 5 * 1024 * 1024)
    sent = reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000001", ANSWER, [photo],
                                  T0 + timedelta(hours=1))
    assert sent.found and not sent.existing and sorted(sent.officers) == ["can-bo-hoa", "can-bo-lan"]
    # The receipt holder sees both sides, oldest first, as "Văn phòng" and "Bạn", in Vietnam time.
    answer = tips.lookup(storage, SECRET, receipt)
    assert [(m["who"], m["text"]) for m in answer["conversation"]] == [("Văn phòng", REPLY), ("Bạn", ANSWER)]
    assert answer["conversation"][1]["time_label"] == "15:05 thứ Hai 30/11/2026"
    # Each holder opens it; Minh (another commune) cannot; the photo comes back without its GPS position.
    for identity, officer in ((office.lan, "can-bo-lan"), (office.hoa, "can-bo-hoa"), (office.root, None)):
        [message] = reporter_messages.read_messages(storage, case, identity, officer)
        assert message.readable and message.text == ANSWER
    [unread] = reporter_messages.read_messages(storage, case, office.minh, "can-bo-minh")
    assert not unread.readable and unread.text == ""
    [message] = reporter_messages.read_messages(storage, case, office.lan, "can-bo-lan")
    data = reporter_messages.read_attachment(storage, message, message.attachments[0])
    assert not Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    # Nothing of it is stored in clear.
    raw = every_byte(storage)
    assert ANSWER.encode() not in raw and "Huổi Lóng".encode() not in raw and receipt.encode() not in raw


def test_a_granted_colleague_receives_later_messages_and_a_removed_officer_does_not(office, storage):
    receipt, case = office.report()
    minh = office.keyring.officer("can-bo-minh")
    cases.grant(storage, case, "can-bo-lan", office.lan, minh, [])
    without_hoa = reporter_messages.Sealing(office.root.verify_key, office.keyring.without_officer("can-bo-hoa"))
    reporter_messages.send(storage, SECRET, without_hoa, receipt, "message-id-00000002", ANSWER, [])
    document = json.loads(storage.read(reporter_messages.message_keys(storage, case.tip_id)[0]))
    assert sorted(document["keys"]) == ["officer/can-bo-lan", "officer/can-bo-minh", "root"]
    assert reporter_messages.read_messages(storage, case, office.minh, "can-bo-minh")[0].text == ANSWER


def test_a_colleague_granted_later_reads_the_messages_that_arrived_before_the_grant(office, storage):
    receipt, case = office.report()
    photo = images.clean_attachment(gps_jpeg(), 5 * 1024 * 1024)
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000011", ANSWER, [photo],
                           T0 + timedelta(hours=1))
    [before] = reporter_messages.read_messages(storage, case, office.minh, "can-bo-minh")
    assert not before.readable  # Minh (Búng Lao) is no holder of this Mường Ảng case yet
    minh = office.keyring.officer("can-bo-minh")
    cases.grant(storage, case, "can-bo-lan", office.lan, minh, [])
    [message] = reporter_messages.read_messages(storage, case, office.minh, "can-bo-minh")
    assert message.readable and message.text == ANSWER and "officer/can-bo-minh" in message.holders
    data = reporter_messages.read_attachment(storage, message, message.attachments[0])
    assert Image.open(io.BytesIO(data)).size == (64, 48)
    # The handover is a create-only object beside the message: the message itself is unchanged.
    [grant_key] = [k for k in storage.list(f"tips/{case.tip_id}/messages/") if k.endswith(".grant")]
    assert grant_key.startswith(message.key.removesuffix(".json") + ".can-bo-minh-")
    grant = json.loads(storage.read(grant_key))
    assert grant["officer"] == "can-bo-minh" and grant["by"] == "can-bo-lan" and ANSWER.encode() not in storage.read(grant_key)
    assert sorted(json.loads(storage.read(message.key))["keys"]) == ["officer/can-bo-hoa", "officer/can-bo-lan", "root"]
    # Others gain nothing from it: Hoa and the root read as before; a third officer still cannot.
    assert reporter_messages.read_messages(storage, case, office.hoa, "can-bo-hoa")[0].text == ANSWER
    assert reporter_messages.read_messages(storage, case, office.root, None)[0].text == ANSWER
    # A message after the grant is sealed to Minh on arrival (grants are among the holders): no handover object.
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000012", "Tin sau khi chia sẻ", [],
                           T0 + timedelta(hours=2))
    later = [m for m in reporter_messages.read_messages(storage, case, office.minh, "can-bo-minh")
             if m.text == "Tin sau khi chia sẻ"]
    assert len(later) == 1 and "officer/can-bo-minh" in json.loads(storage.read(later[0].key))["keys"]
    # Granting again (or the root granting) hands over nothing twice.
    root_case = cases.open_case(storage, case.tip_id, office.root, None)
    assert reporter_messages.seal_to_colleague(storage, root_case, cases.ROOT, office.root, minh) == 0
    assert len([k for k in storage.list(f"tips/{case.tip_id}/messages/") if k.endswith(".grant")]) == 1


def test_a_colleague_granted_by_the_root_reads_earlier_messages_and_can_pass_them_on(office, storage):
    receipt, case = office.report()
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000013", ANSWER, [],
                           T0 + timedelta(hours=1))
    root_case = cases.open_case(storage, case.tip_id, office.root, None)
    minh = office.keyring.officer("can-bo-minh")
    cases.grant(storage, root_case, cases.ROOT, office.root, minh, [])
    assert reporter_messages.read_messages(storage, case, office.minh, "can-bo-minh")[0].text == ANSWER
    # Minh, holding the message only through the handover, hands it to a fourth officer in turn.
    tam = Identity.generate()
    office.keyring = office.keyring.with_officer(Officer("can-bo-tam", "Tâm", ("bung-lao",), tam.verify_key))
    minh_case = cases.open_case(storage, case.tip_id, office.minh, "can-bo-minh")
    cases.grant(storage, minh_case, "can-bo-minh", office.minh, office.keyring.officer("can-bo-tam"), [])
    assert reporter_messages.read_messages(storage, case, tam, "can-bo-tam")[0].text == ANSWER


def test_the_same_message_id_is_stored_once_and_other_content_under_it_is_refused(office, storage):
    receipt, case = office.report()
    first = reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000003", ANSWER, [])
    again = reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000003", ANSWER, [])
    assert again.existing and again.time == first.time
    with pytest.raises(reporter_messages.MessageConflict):
        reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000003", "khác", [])
    assert len(reporter_messages.message_keys(storage, case.tip_id)) == 1


def test_twenty_concurrent_sends_of_one_message_id_store_one_message(office, storage):
    receipt, case = office.report()
    photo = images.clean_attachment(gps_jpeg(), 5 * 1024 * 1024)
    results, barrier = [], threading.Barrier(20)

    def one():
        barrier.wait()
        results.append(reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-concurrent",
                                              ANSWER, [photo]))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20 and sum(not r.existing for r in results) == 1
    assert len(reporter_messages.message_keys(storage, case.tip_id)) == 1
    # The losers' attachments were removed: one message, one attachment.
    assert len([k for k in storage.list(f"tips/{case.tip_id}/messages/") if k.endswith(".box")]) == 1


def test_an_unknown_receipt_stores_nothing_and_does_the_same_reads(office, storage):
    office.report()
    before = sorted(storage.list(""))
    calls = {}

    class Counting:
        def __getattr__(self, name):
            method = getattr(storage, name)

            def counted(*args, **kwargs):
                calls[name] = calls.get(name, 0) + 1
                return method(*args, **kwargs)
            return counted

    sent = reporter_messages.send(Counting(), SECRET, office.sealing, receipts.random_receipt(), "message-id-00000004",
                                  ANSWER, [])
    assert not sent.found and sorted(storage.list("")) == before
    unknown = dict(calls)
    calls.clear()
    receipt, _case = office.report("submission-000000002")
    reporter_messages.send(Counting(), SECRET, office.sealing, receipt, "message-id-00000005", ANSWER, [])
    known_reads = {name: calls[name] for name in ("read", "exists", "list")}
    assert {name: unknown.get(name, 0) for name in known_reads} == known_reads
    assert "create" not in unknown and calls["create"] == 1


def test_a_closed_case_refuses_messages_and_keeps_its_conversation(office, storage):
    receipt, case = office.report()
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000006", ANSWER, [])
    cases.set_public_status(storage, case, "can-bo-lan", office.lan, "closed", [])
    with pytest.raises(reporter_messages.CaseClosed):
        reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000007", "thêm", [])
    # A retry of the message sent before closing still answers as sent.
    assert reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-00000006", ANSWER, []).existing
    answer = tips.lookup(storage, SECRET, receipt)
    assert answer["closed"] and [m["text"] for m in answer["conversation"]] == [ANSWER]


def test_withdrawn_replies_and_notes_never_reach_the_conversation(office, storage):
    receipt, case = office.report()
    sent = cases.reply(storage, case, "can-bo-lan", office.lan, "Tin nhắn gửi nhầm", [])
    cases.write_event(storage, case, "can-bo-lan", office.lan, "note", {"text": "GHI CHU NOI BO"}, [sent])
    cases.withdraw(storage, case, "can-bo-lan", office.lan, sent.payload["message_id"], "nhầm", [sent])
    text = json.dumps(tips.lookup(storage, SECRET, receipt), ensure_ascii=False)
    assert "gửi nhầm" not in text and "GHI CHU" not in text and "can-bo-lan" not in text and "Lan" not in text


def test_unread_counts_follow_each_officers_signed_read_marker(office, storage):
    receipt, case = office.report()
    for n in range(2):
        reporter_messages.send(storage, SECRET, office.sealing, receipt, f"message-id-unread-{n}", f"tin {n}", [],
                               T0 + timedelta(minutes=n))
    times = reporter_messages.message_times(storage, case.tip_id)
    events = cases.read_events(storage, case, office.root.verify_key, [office.keyring])
    assert reporter_messages.unread(times, events, "can-bo-lan") == 2
    marker = reporter_messages.mark_read(storage, case, "can-bo-lan", office.lan, times, events)
    assert marker.kind == "messages_read" and marker.label == "Đã đọc tin nhắn của người báo tin"
    events = cases.read_events(storage, case, office.root.verify_key, [office.keyring])
    assert reporter_messages.unread(times, events, "can-bo-lan") == 0
    assert reporter_messages.unread(times, events, "can-bo-hoa") == 2  # Hoa has not read them
    assert reporter_messages.mark_read(storage, case, "can-bo-lan", office.lan, times, events) is None
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-unread-9", "tin mới", [],
                           T0 + timedelta(hours=2))
    later = reporter_messages.message_times(storage, case.tip_id)
    assert reporter_messages.unread(later, events, "can-bo-lan") == 1
    # The marker changes nothing else of the case.
    assert cases.replay(events).public_status == "received" and not cases.replay(events).unverified


def test_on_seaweedfs_no_message_is_stored_in_clear_and_it_is_stored_once(seaweedfs):
    from s3_servers import s3_storage

    storage = s3_storage(seaweedfs)
    office = Office(storage)
    receipt, case = office.report()
    photo = images.clean_attachment(gps_jpeg(), 5 * 1024 * 1024)
    for _ in range(2):  # a retry answers the same and stores nothing more
        reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-s3-000001", ANSWER, [photo])
    assert len(reporter_messages.message_keys(storage, case.tip_id)) == 1
    raw = every_byte(storage)
    assert ANSWER.encode() not in raw and "Huổi Lóng".encode() not in raw and receipt.encode() not in raw
    [message] = reporter_messages.read_messages(storage, case, office.lan, "can-bo-lan")
    assert message.text == ANSWER


def _ids_stored_in_reverse(receipt: str) -> tuple[str, str]:
    """Two message ids whose storage names list the second before the first (a listing alone would show the
    later message first)."""
    first = "message-id-order-000001"
    name = reporter_messages.message_name(SECRET, receipt, first)
    for n in range(2, 200):
        second = f"message-id-order-{n:06d}"
        if reporter_messages.message_name(SECRET, receipt, second) < name:
            return first, second
    raise AssertionError("no id found")


def test_two_messages_in_one_second_keep_their_order_everywhere(office, storage):
    receipt, case = office.report()
    first_id, second_id = _ids_stored_in_reverse(receipt)
    second_start = T0 + timedelta(hours=1)
    office_reply = second_start - timedelta(seconds=1)
    cases.reply(storage, case, "can-bo-lan", office.lan, REPLY, [], office_reply)
    reporter_messages.send(storage, SECRET, office.sealing, receipt, first_id, "Tin thứ nhất", [],
                           second_start + timedelta(milliseconds=200))
    reporter_messages.send(storage, SECRET, office.sealing, receipt, second_id, "Tin thứ hai", [],
                           second_start + timedelta(milliseconds=700))
    # /tra-cuu/: the office's question, then both answers in the order they were sent.
    texts = [m["text"] for m in tips.lookup(storage, SECRET, receipt)["conversation"]]
    assert texts == [REPLY, "Tin thứ nhất", "Tin thứ hai"]
    # The office's side (console, bvte cases show) in the same order.
    messages = reporter_messages.read_messages(storage, case, office.lan, "can-bo-lan")
    assert [m.text for m in messages] == ["Tin thứ nhất", "Tin thứ hai"]
    # A read marker at the first leaves the second (same second) unread.
    times = reporter_messages.message_times(storage, case.tip_id)
    events = cases.read_events(storage, case, office.root.verify_key, [office.keyring])
    reporter_messages.mark_read(storage, case, "can-bo-lan", office.lan, times[:1], events)
    events = cases.read_events(storage, case, office.root.verify_key, [office.keyring])
    assert reporter_messages.unread(times, events, "can-bo-lan") == 1


def test_messages_stored_to_the_second_before_this_change_still_order_against_finer_ones(office, storage):
    from functions.core import crypto

    receipt, case = office.report()
    moment = T0 + timedelta(hours=1)  # 08:05:00 UTC
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-order-000101", "Trước",
                           [], moment - timedelta(milliseconds=500))
    reporter_messages.send(storage, SECRET, office.sealing, receipt, "message-id-order-000102", "Sau",
                           [], moment + timedelta(milliseconds=100))
    # A message as the first version stored it: its time to the second (08:05:00), in clear and in its box.
    [key] = [k for k in reporter_messages.message_keys(storage, case.tip_id)
             if "Sau" == reporter_messages._open_one(k, json.loads(storage.read(k)), [
                 (office.root.box_key, json.loads(storage.read(k))["keys"]["root"])]).text]
    document = json.loads(storage.read(key))
    mine = json.loads(crypto.box_decrypt(case.reporter_key, crypto.unb64(document["reporter"])))
    old = moment.isoformat(timespec="seconds")
    mine.update(time=old, text="Cũ")
    document.update(time=old, reporter=crypto.b64(crypto.box_encrypt(case.reporter_key, json.dumps(mine).encode())))
    storage.create(key.replace(".json", "0.json"), json.dumps(document).encode())
    texts = [m["text"] for m in tips.lookup(storage, SECRET, receipt)["conversation"]]
    assert texts == ["Trước", "Cũ", "Sau"]
    assert [m.time[17:] for m in reporter_messages.read_messages(storage, case, office.root, None)] == [
        "59.500000+00:00", "00+00:00", "00.100000+00:00"]
    times = reporter_messages.message_times(storage, case.tip_id)
    assert times[1] == old and reporter_messages.unread(times, [], "can-bo-lan") == 3
