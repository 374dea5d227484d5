"""The prune (``bvte data prune``, the server's hourly prune) and reporter messages (issue 16): an attachment
whose message never committed (``tips/<id>/messages/<name>/*.box`` with no ``<name>.json``) goes once older
than 2 days; committed messages, their attachments and handover objects are never touched. On the local
disk and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from test_reporter_messages import ANSWER, SECRET, Office, gps_jpeg

from functions.commands import main
from functions.core import cases, images, reporter_messages
from functions.storage.local import LocalStorage

DAY = 24 * 3600
ORPHAN = "a" * 40  # a message name whose commit point never came
RECENT = "b" * 40


def committed_message(store) -> tuple[Office, cases.Case, reporter_messages.ReporterMessage]:
    """A report, a message with a photo, and a handover of it to Minh; the message as Lan reads it."""
    office = Office(store)
    receipt, case = office.report()
    photo = images.clean_attachment(gps_jpeg(), 5 * 1024 * 1024)
    reporter_messages.send(store, SECRET, office.sealing, receipt, "message-id-prune-00001", ANSWER, [photo],
                           datetime.now(timezone.utc))
    cases.grant(store, case, "can-bo-lan", office.lan, office.keyring.officer("can-bo-minh"), [])
    [message] = reporter_messages.read_messages(store, case, office.lan, "can-bo-lan")
    return office, case, message


def orphans(store, tip_id: str) -> tuple[list[str], str]:
    """Two old orphan attachments of one never-committed message, one recent orphan: (old keys, recent key)."""
    old = [f"tips/{tip_id}/messages/{ORPHAN}/{n}.box" for n in ("0123456789abcdef", "fedcba9876543210")]
    recent = f"tips/{tip_id}/messages/{RECENT}/0011223344556677.box"
    for key in old + [recent]:
        store.create(key, b"sealed bytes")
    return old, recent


def still_whole(store, case: cases.Case, office: Office, message) -> None:
    """The committed message, its photo and the handover still read as before."""
    [again] = reporter_messages.read_messages(store, case, office.minh, "can-bo-minh")
    assert again.text == ANSWER
    assert reporter_messages.read_attachment(store, again, again.attachments[0]) == \
        reporter_messages.read_attachment(store, message, message.attachments[0])


def test_on_disk_an_attachment_of_a_message_never_committed_goes_once_old(tmp_path):
    store = LocalStorage(tmp_path / "store")
    office, case, message = committed_message(store)
    old, recent = orphans(store, case.tip_id)
    then = time.time() - 3 * DAY
    for path in (tmp_path / "store" / "tips").rglob("*"):
        if path.is_file() and RECENT not in path.name and RECENT not in str(path.parent):
            os.utime(path, (then, then))  # everything old but the recent orphan: committed things too
    before = set(store.list(f"tips/{case.tip_id}/"))
    result = CliRunner().invoke(main, ["data", "prune", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Đã xóa 2 tệp" in result.output
    after = set(store.list(f"tips/{case.tip_id}/"))
    assert before - after == set(old) and recent in after
    assert not (tmp_path / "store" / "tips" / case.tip_id / "messages" / ORPHAN).exists()
    assert any(key.endswith(".grant") for key in after)
    still_whole(store, case, office, message)
    assert store.prune(now=time.time() + 3 * DAY) == 1  # the recent one, once it too is 2 days old
    still_whole(store, case, office, message)


@pytest.mark.s3
def test_on_s3_an_attachment_of_a_message_never_committed_goes_once_old(request):
    """S3 sets LastModified itself, so the prune is asked as if two days and an hour had passed."""
    from s3_servers import s3_storage

    store = s3_storage(request.getfixturevalue("seaweedfs"))
    office, case, message = committed_message(store)
    old, recent = orphans(store, case.tip_id)
    assert store.prune() == 0  # everything is recent: a retry of the message may still commit
    before = set(store.list(f"tips/{case.tip_id}/"))
    assert store.prune(now=time.time() + 2 * DAY + 3600) == 3
    after = set(store.list(f"tips/{case.tip_id}/"))
    assert before - after == set(old) | {recent}
    still_whole(store, case, office, message)
