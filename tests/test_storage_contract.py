"""The storage contract, run against every backend over its real medium.

- ``local``: a directory;
- ``s3+dynamodb``: SeaweedFS (a real S3 server on 127.0.0.1) with counters in DynamoDB (moto server);
- ``s3-cas``: SeaweedFS alone, counters by compare-and-swap (``If-Match``) on counter objects.
"""

from __future__ import annotations

import threading

import pytest

from functions.storage import AlreadyExists, NotFound, StorageUnavailable
from functions.storage.local import LocalStorage
from s3_servers import s3_storage


@pytest.fixture(params=["local", pytest.param("s3+dynamodb", marks=pytest.mark.s3),
                        pytest.param("s3-cas", marks=pytest.mark.s3)])
def backend(request, tmp_path):
    if request.param == "local":
        yield LocalStorage(tmp_path / "store")
    elif request.param == "s3+dynamodb":
        yield s3_storage(request.getfixturevalue("seaweedfs"), request.getfixturevalue("dynamodb"))
    else:
        yield s3_storage(request.getfixturevalue("seaweedfs"))


def test_create_then_read(backend):
    backend.create("tips/a/report.bin", b"\x00secret")
    assert backend.read("tips/a/report.bin") == b"\x00secret"
    assert backend.exists("tips/a/report.bin")


def test_create_is_create_only(backend):
    backend.create("k/one", b"first")
    with pytest.raises(AlreadyExists):
        backend.create("k/one", b"second")
    assert backend.read("k/one") == b"first"


def test_read_missing_raises_not_found(backend):
    with pytest.raises(NotFound):
        backend.read("nothing/here")
    assert not backend.exists("nothing/here")


def test_list_by_prefix_in_order(backend):
    for key in ("b/2", "a/1", "b/1", "bb/1"):
        backend.create(key, b"x")
    assert list(backend.list("b/")) == ["b/1", "b/2"]
    assert list(backend.list("")) == ["a/1", "b/1", "b/2", "bb/1"]


def test_concurrent_creates_of_one_key_have_one_winner(backend):
    wins, losses = [], []

    def attempt(i):
        try:
            backend.create("race/key", str(i).encode())
            wins.append(i)
        except AlreadyExists:
            losses.append(i)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(wins) == 1 and len(losses) == 19
    assert backend.read("race/key") == str(wins[0]).encode()


def test_increment_loses_nothing_under_concurrency(backend):
    def hit():
        for _ in range(25):
            backend.increment("visits/total")

    threads = [threading.Thread(target=hit) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert backend.increment("visits/total", 0) == 200


def test_delete_removes_and_tolerates_missing(backend):
    backend.create("tmp/x", b"1")
    backend.delete("tmp/x")
    backend.delete("tmp/x")
    assert not backend.exists("tmp/x")


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", ".hidden", "sp ace"])
def test_bad_keys_are_refused(backend, key):
    with pytest.raises(ValueError):
        backend.create(key, b"x")


@pytest.mark.parametrize("errno_name", ["EROFS", "ENOSPC", "EIO"])
def test_local_medium_failure_is_unavailable_and_leaves_nothing(tmp_path, monkeypatch, errno_name):
    import errno
    import os

    store = LocalStorage(tmp_path / "store")
    store.create("a/1", b"x")

    def failing_write(fd, data):
        raise OSError(getattr(errno, errno_name), os.strerror(getattr(errno, errno_name)))

    monkeypatch.setattr(os, "write", failing_write)
    with pytest.raises(StorageUnavailable):
        store.create("a/2", b"y")
    monkeypatch.undo()
    assert list(store.list("a/")) == ["a/1"]
    assert sorted(p.name for p in (tmp_path / "store" / "a").iterdir()) == ["1"]


def test_local_prune_removes_only_expired_short_lived_data(tmp_path, runner):
    import os
    import time

    from functions.commands import main

    store = LocalStorage(tmp_path / "var" / "store")
    store.increment("ratelimit/tips/2026112201/abc")
    store.create("visits/seen/100/visitor", b"")
    store.increment("visits/online/100")
    store.increment("visits/day/2026-11-22")
    store.create("tips/t1/report.sealed", b"sealed")
    store.create("receipts/r1", b"index")
    old = time.time() - 3 * 24 * 3600
    for path in (tmp_path / "var" / "store").rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    store.increment("ratelimit/tips/2026112202/fresh")  # a current hour: kept
    result = runner.invoke(main, ["data", "prune", "--data-dir", str(tmp_path / "var")])
    assert result.exit_code == 0, result.output
    assert "Đã xóa 3 tệp" in result.output
    assert store.read("tips/t1/report.sealed") == b"sealed" and store.exists("receipts/r1")
    assert not store.exists("visits/seen/100/visitor")
    assert store.increment("visits/day/2026-11-22", 0) == 1  # totals are never pruned
    assert store.increment("ratelimit/tips/2026112202/fresh", 0) == 1
    assert store.increment("ratelimit/tips/2026112201/abc", 0) == 0
