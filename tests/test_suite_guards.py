"""The suite's own rules: browser tests carry their mark, HTTP unit tests wait for no site build, the
shared development keys work, SeaweedFS starts race-free and is ready only when it stores objects, the
longest test files are handed out first (but only one worker starts by waiting for the site build), and the
workers share the rewriting of the test modules."""

from __future__ import annotations

import json
import socket
import uuid

import pytest

import file_order
import s3_servers
import shared_rewrite
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


def test_longest_files_first_keeps_each_files_tests_together_and_in_order():
    nodeids = ["a.py::t1", "a.py::t2", "b.py::t1", "c.py::t1", "c.py::t2", "c.py::t3", "d.py::t1"]
    seconds = {"a.py": 2.0, "b.py": 30.0, "d.py": 1.5}  # c.py is not in the table: 3 tests at 0.5 s
    assert file_order.longest_files_first(nodeids, seconds) == [
        "b.py::t1", "a.py::t1", "a.py::t2", "c.py::t1", "c.py::t2", "c.py::t3", "d.py::t1"]


def test_of_the_first_file_of_each_worker_only_one_starts_by_waiting_for_the_site_build():
    nodeids = ["a.py::t1", "b.py::t1", "b.py::t2", "c.py::t1", "d.py::t1", "e.py::t1"]
    assert file_order.one_waiting_start(nodeids, {"a.py", "b.py", "d.py"}, 3) == [
        "a.py::t1", "c.py::t1", "e.py::t1", "b.py::t1", "b.py::t2", "d.py::t1"]
    assert file_order.one_waiting_start(nodeids, {"b.py", "c.py"}, 3) == [
        "a.py::t1", "b.py::t1", "b.py::t2", "d.py::t1", "c.py::t1", "e.py::t1"]
    assert file_order.one_waiting_start(nodeids, {"a.py", "b.py"}, 1) == nodeids  # one worker: nothing to spread


def test_a_file_whose_first_test_needs_the_built_site_or_a_browser_makes_way_at_the_start(pytester, monkeypatch):
    pytester.makeconftest("import pytest\n\n@pytest.fixture\ndef built_site():\n    return 'site'\n")
    pytester.makeini("[pytest]\nmarkers =\n    browser: drives Chromium\n")
    three = "\n".join(f"def test_{n}({{arg}}):\n    pass\n" for n in range(3))
    pytester.makepyfile(test_reads_site=three.format(arg="built_site"),
                        test_browses="import pytest\n\npytestmark = pytest.mark.browser\n" + three.format(arg=""),
                        test_alone="def test_1():\n    pass\n")
    monkeypatch.setattr(file_order, "TABLE", pytester.path / "no-table.json")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    collected = pytester.runpytest("-p", "file_order", "-p", "no:cacheprovider", "--collect-only", "-q")
    files = list(dict.fromkeys(line.split("::")[0] for line in collected.outlines if "::" in line))
    assert files == ["test_browses.py", "test_alone.py", "test_reads_site.py"]  # 1.5 s, 0.5 s, 1.5 s expected


def test_the_suite_is_collected_longest_file_first_and_a_run_records_each_files_seconds(
        pytester, monkeypatch, tmp_path):
    pytester.makepyfile(test_quick="def test_1():\n    pass\n\ndef test_2():\n    pass\n",
                        test_slow="import time\n\ndef test_1():\n    time.sleep(0.3)\n")
    table = tmp_path / "file_seconds.json"
    monkeypatch.setattr(file_order, "TABLE", table)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # the inner run is not a worker of ours
    # No table yet: a file counts half a second a test, so the file of two tests comes first.
    collected = pytester.runpytest("-p", "file_order", "-p", "no:cacheprovider", "--collect-only", "-q")
    assert [line for line in collected.outlines if "::" in line] == [
        "test_quick.py::test_1", "test_quick.py::test_2", "test_slow.py::test_1"]
    recorded = pytester.runpytest("-p", "file_order", "-p", "no:cacheprovider", "--record-file-seconds")
    recorded.assert_outcomes(passed=3)
    seconds = json.loads(table.read_text(encoding="utf-8"))
    assert seconds.keys() == {"test_quick.py", "test_slow.py"} and seconds["test_slow.py"] >= 0.3 > seconds["test_quick.py"]
    collected = pytester.runpytest("-p", "file_order", "-p", "no:cacheprovider", "--collect-only", "-q")
    assert [line for line in collected.outlines if "::" in line] == [
        "test_slow.py::test_1", "test_quick.py::test_1", "test_quick.py::test_2"]


def test_each_worker_imports_the_test_modules_from_its_own_share_and_collects_them_once(pytester, monkeypatch):
    imported = pytester.path / "imported.txt"
    for name in ("test_share_one", "test_share_two", "test_share_three", "test_share_four"):
        pytester.makepyfile(**{name: f"open({str(imported)!r}, 'a').write('{name}\\n')\n\ndef test_it():\n    pass\n"})
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")  # the second of two workers: it starts halfway
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    result = pytester.runpytest("-p", "shared_rewrite", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert imported.read_text().split() == ["test_share_three", "test_share_two", "test_share_four", "test_share_one"]
    assert shared_rewrite.rotated([1, 2, 3, 4, 5, 6], 2, 3) == [5, 6, 1, 2, 3, 4]
    assert shared_rewrite.modules_to_collect([f"{pytester.path}/test_share_two.py::test_it", "nothing.txt"]) == [
        pytester.path / "test_share_two.py"]


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
