"""Nothing acknowledged is ever damaged: fault injection around the commit point, local and S3.

- a record write whose outcome is unknown (a folder fsync failing after the link; an S3 answer lost
  after the object was stored) deletes nothing: the retry answers the same receipt and the photo is there;
- a failure that certainly happened before the record still leaves nothing (the existing guarantee);
- the receipt index race: an attempt undoing its index entry never hides a concurrent retry's record;
- a retry of a stored report answers its receipt even when nothing can be written;
- the honeypot never hands out a stored report's receipt.
"""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from functions.core import receipts, tips
from functions.core.images import CleanFile
from functions.storage import OutcomeUnknown, StorageUnavailable
from functions.storage import files as storage_files

JSON = {"Accept": "application/json"}
GOOD = {"description": "Tôi thấy bé bị bố đánh bằng gậy nhiều lần ở bản Co Mạ", "category": "bao-luc",
        "commune": "Ẳng Tở"}
SECRET = b"s" * 32

pytestmark = pytest.mark.usefixtures("dev_keys")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def post_with_photo(client, submission_id: str):
    return client.post("/api/tips", headers=JSON, content_type="multipart/form-data",
                       data={**GOOD, "submission_id": submission_id, "attachments": [(io.BytesIO(png()), "a.png")]})


def PHOTO() -> CleanFile:
    return CleanFile(kind="png", content_type="image/png", extension="png", data=png())


def assert_stored_whole(storage, private_key, receipt_of_answer: str, secret: bytes, submission_id: str) -> None:
    """One record, its receipt the answer's, every attachment it names readable."""
    assert receipt_of_answer == receipts.derive(secret, submission_id)
    tip_id = receipts.tip_id(secret, submission_id)
    assert tips.tip_ids(storage) == [tip_id]
    tip = tips.read(storage, private_key, tip_id)
    assert tip.attachments
    for attachment in tip.attachments:
        assert tips.read_attachment(storage, private_key, attachment).startswith(b"\x89PNG")


# -- local: the folder fsync fails after the record was linked --------------------------------------

def test_local_fsync_failure_after_the_record_link_keeps_its_attachments(app, client, storage, private_key,
                                                                           monkeypatch):
    from functions.web import context

    real_fsync_dir = storage_files.fsync_dir

    def fsync_dir(path):
        if any(p.name == "report.sealed" for p in path.iterdir()):
            raise OSError(5, "Input/output error")
        return real_fsync_dir(path)

    monkeypatch.setattr(storage_files, "fsync_dir", fsync_dir)
    first = post_with_photo(client, "fsync-after-link-000000001")
    monkeypatch.undo()
    assert first.status_code == 503  # not acknowledged: the person retries
    retry = post_with_photo(client, "fsync-after-link-000000001")
    assert retry.status_code == 201
    assert_stored_whole(storage, private_key, retry.get_json()["receipt"], context(app).secret(),
                        "fsync-after-link-000000001")


def test_local_create_says_outcome_unknown_only_after_the_link(tmp_path, monkeypatch):
    from functions.storage.local import LocalStorage

    store = LocalStorage(tmp_path)
    store.create("a/first", b"x")  # the folder exists: only the fsync after the link is left to fail
    monkeypatch.setattr(storage_files, "fsync_dir", lambda path: (_ for _ in ()).throw(OSError(5, "EIO")))
    with pytest.raises(OutcomeUnknown):
        store.create("a/b", b"x")
    assert store.read("a/b") == b"x"  # it is there (durability unknown)
    monkeypatch.undo()

    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_files.os, "write", full)
    with pytest.raises(StorageUnavailable) as raised:
        store.create("a/c", b"x")
    assert not isinstance(raised.value, OutcomeUnknown) and not store.exists("a/c")


# -- a retry of a stored report when nothing can be written ----------------------------------------

def test_retry_of_a_stored_report_answers_its_receipt_on_a_full_disk(client, storage, monkeypatch):
    first = client.post("/api/tips", json={**GOOD, "submission_id": "full-disk-retry-0000000001"})
    assert first.status_code == 201
    storage.delete(tips.index_storage_key(client.application.extensions["bvte"].secret(), first.get_json()["receipt"]))

    def no_space(self, *args, **kwargs):
        raise StorageUnavailable("local write failed: ENOSPC")

    monkeypatch.setattr(type(storage), "create", no_space)
    monkeypatch.setattr(type(storage), "increment", no_space)
    retry = client.post("/api/tips", json={**GOOD, "submission_id": "full-disk-retry-0000000001"})
    monkeypatch.undo()
    assert retry.status_code == 201 and retry.get_json() == first.get_json()
    # Once there is room again, a retry repairs the index entry the first attempt had lost.
    client.post("/api/tips", json={**GOOD, "submission_id": "full-disk-retry-0000000001"})
    assert client.post("/api/tips/status", json=first.get_json()).get_json()["found"] is True


# -- the receipt index race -------------------------------------------------------------------------

class Interleaved:
    """Storage whose record write runs ``before_record`` first, then fails (certainly: nothing written)."""

    def __init__(self, inner, before_record):
        self.inner, self.before_record, self.name = inner, before_record, inner.name
        self.fired = False

    def create(self, key, data):
        if key.endswith("/report.sealed") and not self.fired:
            self.fired = True
            self.before_record()
            raise StorageUnavailable("power cut before the record")
        return self.inner.create(key, data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("b_commits", ["before A undoes", "after A undoes"])
def test_an_attempt_undoing_its_index_entry_never_hides_a_concurrent_retrys_record(tmp_path, private_key, b_commits):
    from functions.storage.local import LocalStorage

    inner = LocalStorage(tmp_path / "store")
    lock = tips.SingleKeyLock(private_key.public_key)
    photo = [PHOTO()]
    submission = "index-race-000000000000001"
    results = {}

    def retry_b():  # B started while A was between its index entry and its record
        results["b"] = tips.store(inner, SECRET, lock, submission, {"description": "B"}, photo)

    if b_commits == "before A undoes":
        storage = Interleaved(inner, retry_b)
    else:
        storage = Interleaved(inner, lambda: None)
        real_delete = inner.delete

        def delete(key):  # B commits right after A deleted the index entry
            real_delete(key)
            if key.startswith("receipts/") and "b" not in results:
                retry_b()

        storage.delete = delete
    with pytest.raises(StorageUnavailable):
        tips.store(storage, SECRET, lock, submission, {"description": "A"}, photo)
    assert results["b"].existing is False
    answer = tips.lookup(inner, SECRET, results["b"].receipt)
    assert answer["found"] is True  # B's report is reachable with its receipt
    assert tips.tip_ids(inner) == [results["b"].tip_id]


# -- the honeypot ---------------------------------------------------------------------------------

def test_honeypot_never_reveals_a_stored_reports_receipt(client, storage):
    stored = client.post("/api/tips", json={**GOOD, "submission_id": "honeypot-target-0000000001"})
    bot = client.post("/api/tips", json={**GOOD, "submission_id": "honeypot-target-0000000001", "website": "x"})
    again = client.post("/api/tips", json={**GOOD, "submission_id": "honeypot-target-0000000001", "website": "x"})
    assert stored.status_code == bot.status_code == 201
    assert bot.get_json()["receipt"] != stored.get_json()["receipt"]
    assert bot.get_json() == again.get_json()  # the same fake for each retry, like the real path
    assert receipts.parse(bot.get_json()["receipt"]) == bot.get_json()["receipt"]  # same shape


# -- S3: an answer lost after the record was stored --------------------------------------------------

class LosesRecordAnswers:
    """An S3 client whose PutObject of a report record reaches the server and then loses every answer."""

    def __init__(self, client):
        self._client = client

    def put_object(self, **kwargs):
        from botocore.exceptions import ReadTimeoutError

        if kwargs["Key"].endswith("/report.sealed"):
            try:
                self._client.put_object(**kwargs)
            except Exception:  # noqa: BLE001 - the second attempt is refused (412): the answer is lost anyway
                pass
            raise ReadTimeoutError(endpoint_url="http://127.0.0.1")
        return self._client.put_object(**kwargs)

    def get_object(self, **kwargs):
        from botocore.exceptions import ReadTimeoutError

        if kwargs["Key"].endswith("/report.sealed"):
            raise ReadTimeoutError(endpoint_url="http://127.0.0.1")  # the read-back cannot tell either
        return self._client.get_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.mark.s3
def test_s3_record_answer_lost_keeps_its_attachments_and_the_retry_answers(seaweedfs, private_key):
    from s3_servers import s3_storage

    storage = s3_storage(seaweedfs)
    storage.deadline = 0.5
    real_client = storage.client
    storage.client = LosesRecordAnswers(real_client)
    lock = tips.SingleKeyLock(private_key.public_key)
    photo = [PHOTO()]
    with pytest.raises(OutcomeUnknown):
        tips.store(storage, SECRET, lock, "s3-lost-answer-000000001", {"description": "x"}, photo)
    storage.client = real_client
    again = tips.store(storage, SECRET, lock, "s3-lost-answer-000000001", {"description": "x"}, photo)
    assert again.existing is True  # the first attempt's record was stored after all
    tip = tips.read(storage, private_key, again.tip_id)
    assert [tips.read_attachment(storage, private_key, a)[:4] for a in tip.attachments] == [b"\x89PNG"]
    assert tips.lookup(storage, SECRET, again.receipt)["found"] is True


@pytest.mark.s3
def test_s3_create_refused_before_sending_is_certain(seaweedfs):
    from botocore.exceptions import EndpointConnectionError

    from s3_servers import s3_storage

    class Refused:
        def put_object(self, **kwargs):
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    storage = s3_storage(seaweedfs)
    storage.deadline, storage.client = 0.3, Refused()
    with pytest.raises(StorageUnavailable) as raised:
        storage.create("a/b", b"x")
    assert not isinstance(raised.value, OutcomeUnknown)


def test_concurrent_copies_of_one_submission_store_one_record(tmp_path, private_key):
    from functions.storage.local import LocalStorage

    storage = LocalStorage(tmp_path / "store")
    lock = tips.SingleKeyLock(private_key.public_key)
    answers, start = [], threading.Barrier(8)

    def send():
        start.wait()
        answers.append(tips.store(storage, SECRET, lock, "twenty-copies-00000000001", {"description": "x"},
                                  [PHOTO()]))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a.receipt for a in answers}) == 1 and sum(not a.existing for a in answers) == 1
    (tip_id,) = tips.tip_ids(storage)
    named = {a["key"] for a in tips.read(storage, private_key, tip_id).attachments}
    assert {k for k in storage.list(f"tips/{tip_id}/attachments/")} == named  # losers left nothing
    assert tips.lookup(storage, SECRET, answers[0].receipt)["found"] is True
