"""The server secret behind every keyed hash: created once, atomically, and never short."""

from __future__ import annotations

import threading

import pytest

from functions.config import Config
from functions.server_secret import load_or_create_secret


def test_concurrent_first_use_gives_every_caller_the_same_full_secret(tmp_path):
    config = Config(data_dir=tmp_path / "var")
    barrier = threading.Barrier(20)
    secrets_seen = []

    def load():
        barrier.wait(timeout=10)
        secrets_seen.append(load_or_create_secret(config))

    threads = [threading.Thread(target=load) for _ in range(20)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(secrets_seen) == 20 and len(set(secrets_seen)) == 1
    assert len(secrets_seen[0]) == 32
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["secret.key"]  # no temporary left
    assert ((tmp_path / "var" / "secret.key").stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("content", ["", "abcd", "not hex at all"])
def test_a_short_or_damaged_secret_file_is_refused(tmp_path, content):
    (tmp_path / "secret.key").write_text(content)
    with pytest.raises(ValueError, match="64 hexadecimal"):
        load_or_create_secret(Config(data_dir=tmp_path))


def test_a_configured_secret_wins_and_must_be_long_enough(tmp_path):
    assert load_or_create_secret(Config(data_dir=tmp_path, secret_key="ab" * 32)) == b"\xab" * 32
    with pytest.raises(ValueError):
        load_or_create_secret(Config(data_dir=tmp_path, secret_key="ab" * 8))
    assert not (tmp_path / "secret.key").exists()
