"""Headers, Origin check and rate limits shared by the public endpoints."""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from urllib.parse import urlsplit

from .http import Context, Request

# Referrer policy of every page and answer: nothing is sent to other sites, while our own form
# posts keep a real Origin header. (With "no-referrer", browsers post forms with "Origin: null",
# and old phone browsers that lack Sec-Fetch-Site could then not be told from a cross-site post.)
REFERRER_POLICY = "same-origin"

# Every API answer: nothing cached, no referrer leaks, nothing from elsewhere may run.
PUBLIC_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": REFERRER_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        # 'wasm-unsafe-eval': a form re-rendered here seals evidence with libsodium's WebAssembly (issue 13);
        # it allows compiling WebAssembly only, never JavaScript from text.
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


# The built site's pages: mkdocs-material needs inline scripts and styles; nothing may come from another
# host. The same policy as deploy/nginx.conf and the CloudFront headers policy in template.yaml.
# 'wasm-unsafe-eval': the self-assessment page seals evidence with libsodium's WebAssembly (issue 13).
SITE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def site_csp(config) -> str:
    """``SITE_CSP`` with the configured upload origins in connect-src (large evidence goes to the bucket)."""
    extra = " ".join(getattr(config, "csp_connect_src", "").split())
    return SITE_CSP + (f"; connect-src 'self' {extra}" if extra else "")


def public_headers(config) -> dict[str, str]:
    """``PUBLIC_HEADERS``, with the configured upload origins added to the CSP's connect-src (a form
    re-rendered by the API after an error must still be able to send large files to the bucket)."""
    extra = " ".join(getattr(config, "csp_connect_src", "").split())
    if not extra:
        return PUBLIC_HEADERS
    csp = PUBLIC_HEADERS["Content-Security-Policy"].replace(
        "default-src 'self';", f"default-src 'self'; connect-src 'self' {extra};", 1)
    return {**PUBLIC_HEADERS, "Content-Security-Policy": csp}


def same_origin(request: Request, ctx: Context) -> bool:
    """True when a browser post comes from this site (or a configured origin).

    Browsers send ``Origin`` on every cross-site POST; a request without it (curl, an old phone
    browser on a same-origin form) is accepted, with ``Sec-Fetch-Site`` as a second signal. Scheme, host
    and port are compared.
    """
    origin = request.header("origin")
    if not origin or origin == "null":
        site = request.header("sec-fetch-site")
        # "Origin: null" comes from pages under a no-referrer policy (a cached copy of an older
        # page, a proxy's rewrite); Sec-Fetch-Site (set by the browser, not the page) says whose.
        if origin == "null":
            return site == "same-origin"
        return site in ("", "same-origin", "none")
    origin = origin.rstrip("/")
    allowed = set(ctx.config.allowed_origin_list)
    if request.host_url:
        allowed.add(request.host_url.rstrip("/"))
    if origin in allowed:
        return True
    # Behind a proxy the address the app saw (host_url) may be internal while Host is the public name:
    # the Host header then decides the host and port, and the scheme must still be the request's own or
    # https (an "http://" page of this host — a network attacker's injection — is not this site's https).
    host = request.header("host")
    parts = urlsplit(origin)
    schemes = {"https", urlsplit(request.host_url).scheme or "https"}
    return bool(host) and parts.netloc == host and parts.scheme in schemes


def client_key(request: Request, ctx: Context, scope: str, window: str) -> str:
    """A keyed hash of the client address for one scope and time window: no IP is ever stored."""
    secret = ctx.secret()
    digest = hmac.new(secret, f"{scope}|{window}|{request.client_address}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


HOUR = 3600


def over_limit(request: Request, ctx: Context, scope: str, per_hour: int, *, now: float | None = None) -> bool:
    """Count this request against ``per_hour`` for its client; True once the limit is passed.

    A sliding window of one hour: this hour's count plus the previous hour's, weighted by how much of
    it the last 60 minutes still cover (so 10 reports at 10:59 still count at 11:00 — fixed hours let
    twice the limit through across the boundary)."""
    now = time.time() if now is None else now
    count = ctx.storage.increment(client_limit_key(request, ctx, scope, hour_window(now)))
    return sliding_count(ctx.storage, lambda window: client_limit_key(request, ctx, scope, window), now, count) > per_hour


BUDGET_MESSAGE = ("Máy này đã gửi quá nhiều dữ liệu trong một giờ qua nên hệ thống tạm dừng nhận thêm. "
                  "Hãy thử lại sau.")


def over_budget(request: Request, ctx: Context, nbytes: int, *, now: float | None = None) -> bool:
    """Count ``nbytes`` this client is about to store against its hourly storage budget (one budget for
    every endpoint, a sliding hour); True when they would pass it (they are counted either way)."""
    if nbytes <= 0:
        return False
    now = time.time() if now is None else now
    key_of = functools.partial(client_limit_key, request, ctx, "storage-bytes")
    count = ctx.storage.increment(key_of(hour_window(now)), nbytes)
    return sliding_count(ctx.storage, key_of, now, count) > ctx.config.storage_budget_bytes_per_hour


def sliding_count(storage, key_of, now: float, current: int | None = None) -> float:
    """The count of the last hour: ``current`` (this hour's counter, read when not given) plus the previous
    hour's counter times the share of the previous hour still inside the last 60 minutes. ``key_of``
    names the counter of a window."""
    if current is None:
        current = storage.increment(key_of(hour_window(now)), 0)
    previous = storage.increment(key_of(hour_window(now - HOUR)), 0)
    return current + previous * (1 - (now % HOUR) / HOUR)


def hour_window(now: float | None = None) -> str:
    """The hour (UTC, ``YYYYMMDDHH``) a per-hour rate limit counts in."""
    return time.strftime("%Y%m%d%H", time.gmtime(now if now is not None else time.time()))


def limit_key(scope: str, subject: str, window: str) -> str:
    """The storage key of the counter of ``subject``'s attempts in ``scope`` during ``window``
    (the same naming ``over_limit`` uses)."""
    return f"ratelimit/{scope}/{window}/{subject}"


def client_limit_key(request: Request, ctx: Context, scope: str, window: str) -> str:
    """``limit_key`` for this request's client, whose address is kept only as a keyed hash."""
    return limit_key(scope, client_key(request, ctx, scope, window), window)
