"""The local prune (``bvte data prune`` and the server's hourly prune): unclaimed uploads, temporary files
left by kill -9 and attachments of reports never committed go; nothing that counts is ever touched."""

from __future__ import annotations

import os
import time

import pytest
from click.testing import CliRunner

from functions.commands import main
from functions.core import tips
from functions.core.images import CleanFile
from functions.storage.local import LocalStorage

DAY = 24 * 3600
SECRET = b"p" * 32


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def stored_tip(store: LocalStorage, private_key, submission: str):
    photo = CleanFile(kind="png", content_type="image/png", extension="png", data=b"\x89PNG photo")
    return tips.store(store, SECRET, tips.SingleKeyLock(private_key.public_key), submission, {"d": "x"}, [photo])


def test_unclaimed_uploads_go_after_their_claim_time(tmp_path):
    store = LocalStorage(tmp_path)
    store.create("uploads/old", b"%PDF")
    store.create("uploads/new", b"%PDF")
    age(tmp_path / "uploads" / "old", 26 * 3600)
    assert store.prune() == 1
    assert list(store.list("uploads/")) == ["uploads/new"]


def test_temporary_files_left_by_an_interrupted_write_go(tmp_path):
    store = LocalStorage(tmp_path)
    store.create("tips/abc/attachments/x.sealed", b"x")
    old, fresh = tmp_path / "tips" / "abc" / ".tmp-0011", tmp_path / "tips" / ".tmp-0022"
    old.write_bytes(b"half a photo")
    fresh.write_bytes(b"being written now")
    age(old, 2 * 3600)
    store.prune()
    assert not old.exists() and fresh.exists()


def test_attachments_of_a_report_never_committed_go_once_old(tmp_path, private_key):
    store = LocalStorage(tmp_path)
    committed = stored_tip(store, private_key, "prune-committed-00000001")
    store.create("tips/" + "f" * 32 + "/attachments/orphan.sealed", b"sealed bytes")
    store.create("tips/" + "e" * 32 + "/attachments/recent.sealed", b"sealed bytes")
    for path in (tmp_path / "tips").rglob("*.sealed"):
        if "e" * 32 not in str(path):
            age(path, 3 * DAY)
    assert store.prune() == 1
    remaining = set(store.list("tips/"))
    assert "tips/" + "f" * 32 + "/attachments/orphan.sealed" not in remaining
    assert "tips/" + "e" * 32 + "/attachments/recent.sealed" in remaining  # a retry may still claim it
    tip = tips.read(store, private_key, committed.tip_id)
    assert tips.read_attachment(store, private_key, tip.attachments[0]) == b"\x89PNG photo"


def test_bvte_data_prune_removes_them_and_says_how_many(tmp_path):
    store = LocalStorage(tmp_path / "store")
    store.create("uploads/old", b"%PDF")
    age(tmp_path / "store" / "uploads" / "old", 2 * DAY)
    result = CliRunner().invoke(main, ["data", "prune", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Đã xóa 1 tệp" in result.output and list(store.list("uploads/")) == []


@pytest.mark.s3
def test_on_s3_attachments_of_a_report_never_committed_go_once_old(request, private_key):
    """The same rule on a real S3 server (SeaweedFS): `bvte data prune` and the server's hourly prune call it.
    S3 sets LastModified itself, so the prune is asked as if two days and an hour had passed."""
    from s3_servers import s3_storage

    store = s3_storage(request.getfixturevalue("seaweedfs"))
    committed = stored_tip(store, private_key, "prune-committed-s3-000001")
    store.create("tips/" + "f" * 32 + "/attachments/orphan.sealed", b"sealed bytes")
    store.create("tips/" + "f" * 32 + "/attachments/orphan-2.sealed", b"sealed bytes")
    later = time.time() + 2 * DAY + 3600
    assert store.prune() == 0  # everything is recent: a retry may still claim it
    assert store.prune(now=later) == 2
    remaining = set(store.list("tips/"))
    assert not any("f" * 32 in key for key in remaining)
    tip = tips.read(store, private_key, committed.tip_id)
    assert tips.read_attachment(store, private_key, tip.attachments[0]) == b"\x89PNG photo"
