"""Bounded retries for network storage (S3, DynamoDB): backoff with jitter, then ``StorageUnavailable``.

botocore retries each call a few times on its own (``standard`` mode: throttling, 5xx, connection
errors). This loop adds a wall-clock bound around that: a person waiting on a 3G phone must get an
answer (503 with their input kept) in seconds, never a request hanging until API Gateway gives up.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from . import StorageUnavailable

T = TypeVar("T")

# Error codes that mean "try again later", not "your request is wrong".
RETRYABLE_CODES = frozenset({
    "InternalError", "InternalServerError", "ServiceUnavailable", "SlowDown", "RequestTimeout",
    "RequestTimeoutException", "Throttling", "ThrottlingException", "ThrottledException",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded", "TooManyRequestsException",
    "TransactionConflictException", "LimitExceededException", "OperationAborted", "503", "500", "502", "504",
})

# Clients are built with these: short socket timeouts, two attempts inside botocore per call, so
# one call takes at most 2 x (1.5 + 3) = 9 s even when the server hangs.
CONNECT_TIMEOUT = 1.5
READ_TIMEOUT = 3.0
BOTOCORE_ATTEMPTS = 2
# Our own bound: no new call starts after this many seconds (so an operation ends within about
# DEFAULT_DEADLINE + 9 s, below the 20 s Lambda timeout of template.yaml and API Gateway's 30 s).
DEFAULT_DEADLINE = 8.0


def botocore_config(connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT, **extra):
    """A ``botocore.config.Config`` with the timeouts and retry mode every client here uses."""
    from botocore.config import Config

    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": BOTOCORE_ATTEMPTS, "mode": "standard"},
        **extra,
    )


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def http_status(exc: BaseException) -> int:
    response = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_retryable(exc: BaseException) -> bool:
    """Network failures, timeouts, throttling and server errors; never 4xx answers about the request."""
    from botocore.exceptions import (
        ClientError, ConnectionClosedError, ConnectionError, HTTPClientError, ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        return error_code(exc) in RETRYABLE_CODES or http_status(exc) >= 500 or http_status(exc) == 429
    return isinstance(exc, (ConnectionError, HTTPClientError, ReadTimeoutError, ConnectionClosedError))


def with_retries(call: Callable[[int], T], what: str, deadline: float = DEFAULT_DEADLINE,
                 base_delay: float = 0.1, max_delay: float = 1.0) -> T:
    """Run ``call(attempt)`` until it succeeds, fails for good, or ``deadline`` seconds pass.

    ``attempt`` starts at 1; a call can use it to know that an earlier attempt may have reached the
    server (e.g. a create-only write whose answer was lost). Non-retryable errors propagate as they
    are; retryable ones become ``StorageUnavailable`` once the time is up.
    """
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(attempt)
        except StorageUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - classified just below
            try:
                retryable = is_retryable(exc)
            except ImportError:  # botocore missing: nothing to classify with
                retryable = False
            if not retryable:
                raise
            delay = min(max_delay, base_delay * (2 ** (attempt - 1))) * random.uniform(0.5, 1.0)
            if time.monotonic() - start + delay >= deadline:
                raise StorageUnavailable(f"{what}: {type(exc).__name__} {error_code(exc)}".strip()) from exc
            time.sleep(delay)
