"""WSGI entry for self-hosting behind nginx: the Flask app, told which proxy headers to trust.

nginx (deploy/nginx.conf) sets X-Forwarded-For/-Proto/-Host; ProxyFix takes exactly one hop of
each, so the rate limits key on the visitor's address (hashed, never stored) and the Origin check
sees the public host. Those headers are believed only when the connection comes from the proxy
(``BVTE_TRUSTED_PROXIES``, comma separated, loopback by default — the same list as gunicorn's
forwarded_allow_ips): a client reaching gunicorn directly cannot name its own address, host or scheme;
its headers are removed and its own address counts.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402

from functions.web import create_app  # noqa: E402

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
             "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


def trusted_proxies(text: str) -> frozenset:
    """The addresses (or networks, ``10.0.0.0/8``) named in ``text``, comma separated."""
    return frozenset(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


class FromTrustedProxyOnly:
    """ProxyFix for requests from a trusted proxy; for any other peer, the forwarded headers dropped."""

    def __init__(self, app, proxies: frozenset):
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1)
        self.app = app
        self.proxies = proxies

    def _from_proxy(self, address: str) -> bool:
        if not address:
            return True  # a unix socket (BVTE_BIND=unix:…): only processes on this machine can connect
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self.proxies)

    def __call__(self, environ, start_response):
        if self._from_proxy(environ.get("REMOTE_ADDR", "")):
            return self.proxied(environ, start_response)
        for name in FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)


application = FromTrustedProxyOnly(create_app(), trusted_proxies(os.environ.get("BVTE_TRUSTED_PROXIES", "127.0.0.1,::1")))
