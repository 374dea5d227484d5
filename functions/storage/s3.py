"""S3-compatible backend (AWS S3, SeaweedFS, MinIO, domestic clouds): the same contract as the local one.

- ``create``: ``PutObject`` with ``If-None-Match: *``. The server refuses (412) when the key exists,
  which gives create-only semantics without a lock; the write counts as stored only when PutObject
  answered 200 (S3 acknowledges only durable objects).
- ``read``/``exists``/``list``/``delete``: GetObject, HeadObject, ListObjectsV2 (paginated), DeleteObject.
- ``increment``: DynamoDB ``UpdateItem ADD`` when a table is configured (``DynamoCounters``). Without
  one, a compare-and-swap on a small counter object: read it with its ETag, write the new value with
  ``If-Match: <etag>`` (or ``If-None-Match: *`` for a new counter), retry on 412. That is correct on any
  server honouring conditional writes (AWS S3 since 2024, SeaweedFS — tested), but every contended
  increment costs round trips: fine for one office, use DynamoDB beyond that.
- Failures (network, timeouts, throttling, 5xx) are retried with backoff within a bounded time
  (``retry.with_retries``), then raised as ``StorageUnavailable``: the caller answers 503.

boto3 is imported only when a client is built, so importing this module stays cheap.
"""

from __future__ import annotations

import random
import time
from typing import Iterator

from . import AlreadyExists, NotFound, OutcomeUnknown, StorageUnavailable, check_key
from .retry import DEFAULT_DEADLINE, botocore_config, error_code, http_status, with_retries

COUNTER_DIR = ".counters/"


def _is_missing(exc: BaseException) -> bool:
    return error_code(exc) in ("NoSuchKey", "404", "NotFound") or http_status(exc) == 404


def _is_precondition_failed(exc: BaseException) -> bool:
    return error_code(exc) in ("PreconditionFailed", "412") or http_status(exc) == 412


def _may_have_arrived(exc: BaseException) -> bool:
    """False only for failures before any byte of the request left (no connection was made); a timeout
    or a connection closed while waiting for the answer may follow a stored object."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    return not isinstance(exc, (EndpointConnectionError, ConnectTimeoutError))


def _client_error():
    from botocore.exceptions import ClientError

    return ClientError


class S3Storage:
    name = "s3"

    def __init__(self, bucket: str, prefix: str = "", client=None, *, region: str = "",
                 endpoint_url: str = "", counters=None, deadline: float = DEFAULT_DEADLINE):
        if not bucket:
            raise ValueError("S3 storage needs a bucket (BVTE_S3_BUCKET)")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.deadline = deadline
        if client is None:
            client = make_s3_client(region=region, endpoint_url=endpoint_url)
        self.client = client
        # None: counters as compare-and-swap objects in the bucket (see module docstring).
        self.counters = counters

    @classmethod
    def from_config(cls, config, client=None, dynamodb_client=None) -> "S3Storage":
        counters = None
        if config.dynamodb_table:
            from .dynamo import DynamoCounters

            counters = DynamoCounters.from_config(config, dynamodb_client)
        return cls(config.s3_bucket, config.s3_prefix, client, region=config.s3_region,
                   endpoint_url=config.s3_endpoint_url, counters=counters,
                   deadline=float(getattr(config, "storage_deadline_seconds", DEFAULT_DEADLINE)))

    # -- helpers ---------------------------------------------------------------------------
    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _ok(self, answer: dict, what: str) -> dict:
        status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status not in (200, 204):
            raise StorageUnavailable(f"{what}: unexpected HTTP status {status}")
        return answer

    # -- contract --------------------------------------------------------------------------
    def create(self, key: str, data: bytes) -> None:
        full = self._key(key)
        ClientError = _client_error()
        sent = []  # attempts whose request may have reached the server (see _may_have_arrived)

        def call(attempt: int) -> None:
            try:
                answer = self.client.put_object(Bucket=self.bucket, Key=full, Body=bytes(data), IfNoneMatch="*")
            except ClientError as exc:
                if not _is_precondition_failed(exc):
                    if http_status(exc) in (500, 502, 504):  # 503 SlowDown and 4xx: refused, not stored
                        sent.append(attempt)
                    raise
                # An earlier attempt (ours, or botocore's own retry) may have stored the object and
                # lost the answer: the same bytes under the key mean that write was ours.
                retried = attempt > 1 or exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) > 0
                if retried and self._read_quiet(full) == bytes(data):
                    return
                raise AlreadyExists(key) from None
            except Exception as exc:
                if _may_have_arrived(exc):
                    sent.append(attempt)
                raise
            self._ok(answer, "s3 put")

        try:
            with_retries(call, "s3 put", self.deadline)
        except StorageUnavailable as exc:
            if sent:  # an answer was lost or was an error after the request arrived: it may be stored
                raise OutcomeUnknown(str(exc)) from exc
            raise

    def _read_quiet(self, full: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=full)["Body"].read()
        except Exception:  # noqa: BLE001 - only used to recognise our own earlier write
            return None

    def read(self, key: str) -> bytes:
        full = self._key(key)
        ClientError = _client_error()

        def call(_attempt: int) -> bytes:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=full)
            except ClientError as exc:
                if _is_missing(exc):
                    raise NotFound(key) from None
                raise
            return answer["Body"].read()

        return with_retries(call, "s3 get", self.deadline)

    def head(self, key: str) -> dict:
        """Size, content type and ETag of an object (``NotFound`` when absent)."""
        full = self._key(key)
        ClientError = _client_error()

        def call(_attempt: int) -> dict:
            try:
                answer = self.client.head_object(Bucket=self.bucket, Key=full)
            except ClientError as exc:
                if _is_missing(exc):
                    raise NotFound(key) from None
                raise
            return {"size": int(answer.get("ContentLength", 0)), "content_type": answer.get("ContentType", ""),
                    "etag": answer.get("ETag", "")}

        return with_retries(call, "s3 head", self.deadline)

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except NotFound:
            return False
        return True

    def list(self, prefix: str = "") -> Iterator[str]:
        def call(_attempt: int) -> list[str]:
            keys = []
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []) or []:
                    key = item["Key"][len(self.prefix):]
                    # Counter objects and anything not a valid key (e.g. folder markers) are not records.
                    if key.startswith(COUNTER_DIR) or key.endswith("/") or any(
                        part.startswith(".") for part in key.split("/")
                    ):
                        continue
                    keys.append(key)
            return sorted(keys)

        return iter(with_retries(call, "s3 list", self.deadline))

    # Attachments of a report whose record never came (a failed or uncertain write): a retry within this
    # time still finds them referenced by its record, so only older ones are removed (as LocalStorage).
    ORPHAN_LIFETIME = 2 * 24 * 3600

    def prune(self, now: float | None = None) -> int:
        """Delete attachments under ``tips/<id>/attachments/`` of a report with no record (of either format),
        and under ``tips/<id>/messages/<name>/`` of a reporter message with no ``<name>.json``,
        last written more than ``ORPHAN_LIFETIME`` ago; returns how many. Everything else short-lived is
        removed by the bucket's lifecycle rules and DynamoDB's TTL (template.yaml); nothing committed is
        ever touched: the record is looked up again just before a report's attachments go."""
        from ..core.cases import record_keys

        now = time.time() if now is None else now
        orphans: dict[str, list[str]] = {}
        message_orphans: dict[str, list[str]] = {}  # a message's commit point → its attachments
        for key, modified in self._listed_with_times("tips/"):
            parts = key.split("/")
            if len(parts) >= 4 and parts[2] == "attachments" and now - modified > self.ORPHAN_LIFETIME:
                orphans.setdefault(parts[1], []).append(key)
            elif len(parts) == 5 and parts[2] == "messages" and now - modified > self.ORPHAN_LIFETIME:
                message_orphans.setdefault(f"tips/{parts[1]}/messages/{parts[3]}.json", []).append(key)
        removed = self._prune_orphan_message_attachments(message_orphans)
        for tip_id, keys in orphans.items():
            if any(self.exists(record) for record in record_keys(tip_id)):
                continue
            for key in keys:
                self.delete(key)
                removed += 1
        return removed

    def _prune_orphan_message_attachments(self, candidates: dict[str, list[str]]) -> int:
        """Delete the old attachments of reporter messages whose commit point (``<name>.json``) was never
        written, looked up again just before they go; returns how many."""
        removed = 0
        for commit_key, keys in candidates.items():
            if self.exists(commit_key):
                continue
            for key in keys:
                self.delete(key)
                removed += 1
        return removed

    def _listed_with_times(self, prefix: str) -> list[tuple[str, float]]:
        """``(key, last modified as a Unix time)`` of every object under ``prefix``."""
        def call(_attempt: int) -> list[tuple[str, float]]:
            found = []
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []) or []:
                    found.append((item["Key"][len(self.prefix):], item["LastModified"].timestamp()))
            return found

        return with_retries(call, "s3 list", self.deadline)

    def delete(self, key: str) -> None:
        full = self._key(key)
        with_retries(lambda _a: self.client.delete_object(Bucket=self.bucket, Key=full), "s3 delete", self.deadline)

    def increment(self, counter: str, amount: int = 1) -> int:
        check_key(counter)
        if self.counters is not None:
            return self.counters.increment(counter, amount)
        return self._cas_increment(counter, amount)

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires: int = 900) -> dict:
        """A browser form that can create exactly ``key``, of 1..``max_bytes`` bytes and this type.

        The server enforces the policy (size range, Content-Type, key, expiry); the answer is
        ``{"url": ..., "fields": {...}}`` — post the fields, then the file as the last field ``file``.
        """
        full = self._key(key)
        return self.client.generate_presigned_post(
            Bucket=self.bucket, Key=full, Fields={"Content-Type": content_type},
            Conditions=[["content-length-range", 1, int(max_bytes)], {"Content-Type": content_type}],
            ExpiresIn=int(expires),
        )

    def health(self) -> dict:
        return {"backend": self.name, "counters": "dynamodb" if self.counters is not None else "s3-cas"}

    # -- counters without DynamoDB ---------------------------------------------------------
    def _cas_increment(self, counter: str, amount: int) -> int:
        """Compare-and-swap on ``.counters/<counter>``: conflicts retry until the deadline."""
        full = self.prefix + COUNTER_DIR + counter
        ClientError = _client_error()
        start = time.monotonic()
        conflicts = 0
        while True:
            def read(_attempt: int):
                try:
                    answer = self.client.get_object(Bucket=self.bucket, Key=full)
                except ClientError as exc:
                    if _is_missing(exc):
                        return 0, None
                    raise
                return int(answer["Body"].read() or b"0"), answer["ETag"]

            value, etag = with_retries(read, "s3 counter read", self.deadline)
            new = value + amount
            if amount == 0:
                return value
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                # No retry loop here: a retried conditional write could apply twice; a lost answer
                # is treated like a conflict and the read-modify-write starts again.
                self._ok(self.client.put_object(Bucket=self.bucket, Key=full, Body=str(new).encode(), **condition),
                         "s3 counter write")
                return new
            except ClientError as exc:
                if not (_is_precondition_failed(exc) or error_code(exc) in ("ConditionalRequestConflict", "409")):
                    from .retry import is_retryable

                    if not is_retryable(exc):
                        raise
            except StorageUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001
                from .retry import is_retryable

                if not is_retryable(exc):
                    raise
            conflicts += 1
            if time.monotonic() - start > self.deadline:
                raise StorageUnavailable("s3 counter: too many conflicting updates")
            time.sleep(min(0.2, 0.005 * (2 ** min(conflicts, 6))) * random.random())


def make_s3_client(*, region: str = "", endpoint_url: str = "", access_key: str = "", secret_key: str = "",
                   **timeouts):
    """A boto3 S3 client: SigV4, bounded timeouts/retries, path-style for custom endpoints."""
    import boto3

    extra = {"signature_version": "s3v4", **timeouts}
    if endpoint_url:
        # Most S3-compatible servers (SeaweedFS, MinIO, many domestic clouds) want path-style URLs.
        extra["s3"] = {"addressing_style": "path"}
    kwargs = {}
    if access_key:
        kwargs = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
    return boto3.client("s3", region_name=region or None, endpoint_url=endpoint_url or None,
                        config=botocore_config(**extra), **kwargs)
