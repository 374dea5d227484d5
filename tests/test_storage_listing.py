"""Listing on the local backend walks only the prefix's folder, and still finds every key the prefix names."""

from __future__ import annotations

from functions.storage.local import LocalStorage


def test_prefixes_that_end_inside_a_segment_or_at_a_folder(tmp_path):
    store = LocalStorage(tmp_path / "store")
    for key in ("tips/ab/report", "tips/abc/report", "tips/b/x", "tipsy/y", "top"):
        store.create(key, b"x")
    store.increment("ratelimit/tips/1")  # counters live in a hidden folder: never listed
    assert list(store.list("tips/ab")) == ["tips/ab/report", "tips/abc/report"]
    assert list(store.list("tips/ab/")) == ["tips/ab/report"]
    assert list(store.list("tips")) == ["tips/ab/report", "tips/abc/report", "tips/b/x", "tipsy/y"]
    assert list(store.list("")) == ["tips/ab/report", "tips/abc/report", "tips/b/x", "tipsy/y", "top"]
    assert list(store.list("nothing/here/")) == []
    assert list(store.list("../")) == [] and list(store.list(".counters/")) == []


def test_listing_one_case_does_not_read_the_other_folders(tmp_path, monkeypatch):
    import os

    store = LocalStorage(tmp_path / "store")
    for i in range(50):
        store.create(f"tips/{i:04d}/case/e1", b"x")
    walked = []
    real_walk = os.walk
    monkeypatch.setattr(os, "walk", lambda top, *a, **k: (walked.append(str(top)) or real_walk(top, *a, **k)))
    assert list(store.list("tips/0007/case/")) == ["tips/0007/case/e1"]
    assert walked == [str(tmp_path / "store" / "tips" / "0007" / "case")]
