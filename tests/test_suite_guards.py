"""The suite's own rules: browser tests carry their mark, HTTP unit tests wait for no site build, the
shared development keys work, and SeaweedFS starts race-free and is ready only when it stores objects."""

from __future__ import annotations

import socket
import uuid

import pytest

import s3_servers
from functions.core import crypto
from functions.keys import PRIVATE_NAME, load_public_key

INNER_TESTS = '''
import pytest


@pytest.fixture
def chromium():  # stands in for the real browser: the guard must act before any browser is used
    return object()


@pytest.fixture
def page(chromium):
    return chromium


def test_unmarked_through_page(page):
    pass


def test_unmarked_direct(chromium):
    pass


@pytest.mark.browser
def test_marked(page):
    pass


def test_no_browser():
    pass
'''


def test_a_test_driving_chromium_without_the_browser_mark_is_an_error(pytester):
    pytester.makepyfile(test_inner=INNER_TESTS)
    # The suite's conftest as a plugin of the inner run: its guard, with the stand-in browser above.
    result = pytester.runpytest("-p", "conftest", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines([
        "*test_unmarked_through_page*drives Chromium*not marked*browser*",
        "*test_unmarked_direct*drives Chromium*not marked*browser*",
    ])


def test_http_unit_tests_get_no_site_and_so_wait_for_no_build(config, request):
    assert "built_site" not in request.fixturenames
    assert not config.site_dir.exists()


def test_a_test_that_asks_for_the_built_site_gets_it_in_its_config(config, built_site):
    assert config.site_dir == built_site
    assert (built_site / "_shell" / "index.html").is_file()


def test_dev_keys_are_a_working_pair_in_the_tests_own_folder(config, dev_keys, private_key):
    assert config.data_dir in dev_keys.parents
    assert (dev_keys / PRIVATE_NAME).stat().st_mode & 0o077 == 0  # the private key stays private
    sealed = crypto.seal(load_public_key(config), b"thu")
    assert crypto.unseal(private_key, sealed) == b"thu"


def test_seaweedfs_ports_are_outside_the_ephemeral_range_and_distinct():
    low, high = s3_servers._ephemeral_range()
    ports = s3_servers.pick_ports(10)
    assert len(set(ports)) == 10
    assert all(not low <= port <= high for port in ports)


def first_choice_includes(monkeypatch, listener: str, port: int) -> list[list[int]]:
    """Make SeaweedFS's first choice of ports give ``port`` to ``listener``; the list of choices made."""
    real_pick, chosen = s3_servers.pick_ports, []

    def pick(count: int) -> list[int]:
        ports = real_pick(count)
        if not chosen:
            ports[s3_servers.WEED_PORTS.index(listener)] = port
        chosen.append(ports)
        return ports

    monkeypatch.setattr(s3_servers, "pick_ports", pick)
    return chosen


@pytest.mark.s3
def test_seaweedfs_whose_s3_port_another_seaweedfs_holds_is_not_taken_for_ready(monkeypatch):
    """``weed mini`` carries on when its S3 port is taken, and the put/get/delete probe then passes against
    the other server: start() must see that its own process does not listen there and choose again (this
    made a fault test freeze one server and talk to another)."""
    other = s3_servers.SeaweedFS().start()
    chosen = first_choice_includes(monkeypatch, "s3", other.port)
    server = s3_servers.SeaweedFS()
    try:
        server.start()
        assert len(chosen) == 2 and server.port != other.port
        assert server.port in s3_servers.listening_ports(server.proc.pid)[0]
        other.freeze()  # the server it talks to is its own: still answering while the other is frozen
        client, key = server.client(connect_timeout=2, read_timeout=5), f"own/{uuid.uuid4().hex}"
        client.put_object(Bucket=s3_servers.BUCKET, Key=key, Body=b"own")
        assert client.get_object(Bucket=s3_servers.BUCKET, Key=key)["Body"].read() == b"own"
    finally:
        server.cleanup()
        other.cleanup()


def test_parallel_workers_choose_ports_from_disjoint_slices(monkeypatch):
    picked = {}
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        picked[worker] = set(s3_servers.pick_ports(200))
    assert not picked["gw0"] & picked["gw1"] and not picked["gw1"] & picked["gw2"] and not picked["gw0"] & picked["gw2"]


@pytest.mark.s3
def test_seaweedfs_starts_again_on_fresh_ports_when_one_is_taken_and_restarts_ready(monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    chosen = first_choice_includes(monkeypatch, "filer.port", busy)  # as if another process bound it first
    server = s3_servers.SeaweedFS()
    try:
        server.start()
        assert len(chosen) == 2 and busy not in server.ports.values()
        assert "Port allocation failed" in server.log_path.read_text(errors="replace")
        ports = dict(server.ports)
        server.stop()
        server.start()  # a restart keeps its ports and returns only once objects can be stored
        assert server.ports == ports
        client, key = server.client(), f"after-restart/{uuid.uuid4().hex}"
        client.put_object(Bucket=s3_servers.BUCKET, Key=key, Body=b"ok")
        assert client.get_object(Bucket=s3_servers.BUCKET, Key=key)["Body"].read() == b"ok"
    finally:
        server.cleanup()
        taken.close()
