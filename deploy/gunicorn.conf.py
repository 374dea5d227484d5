"""gunicorn settings for self-hosting (behind nginx, see deploy/nginx.conf and content/trien-khai.md).

    cd /srv/bvte && .venv/bin/gunicorn -c deploy/gunicorn.conf.py

Settings come from BVTE_* variables (e.g. in the systemd unit): BVTE_DATA_DIR, BVTE_SITE_DIR,
BVTE_SECRET_KEY, BVTE_PUBLIC_KEY, BVTE_ALLOWED_ORIGINS, and for S3 BVTE_STORAGE=s3 etc.; here
BVTE_BIND, BVTE_WORKERS and BVTE_TRUSTED_PROXIES (the addresses nginx connects from).
"""

import multiprocessing
import os
import sys

# deploy/wsgi.py is the application (Flask app + ProxyFix for nginx's headers).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
wsgi_app = "wsgi:application"

# Only nginx talks to gunicorn: loopback, never a public interface.
bind = os.environ.get("BVTE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("BVTE_WORKERS", min(4, multiprocessing.cpu_count() * 2 + 1)))
# Sync workers: one request per worker, and the arbiter replaces a worker that has not finished within
# ``timeout`` — so a slow client (headers or body trickled byte by byte, if gunicorn is ever reached without
# nginx) holds a worker at most that long. (gthread workers read a request with a blocking socket that no
# setting bounds: a slow client would hold a thread for ever.) nginx buffers whole bodies first
# (proxy_request_buffering on) and drops slow clients itself (client_header_timeout, client_body_timeout).
worker_class = "sync"
# Above the storage bound (storage_deadline_seconds, 8 s, plus one call): the person gets our 503
# page, not a killed worker. nginx's proxy_read_timeout is longer still. BVTE_WORKER_TIMEOUT: tests only.
timeout = int(os.environ.get("BVTE_WORKER_TIMEOUT", 30))
graceful_timeout = 20


def worker_abort(worker):
    """A worker past ``timeout`` (a slow client, a request that hangs) ends here, like kill -9 — which
    the storage survives (create-only writes, the commit point last): its connection is closed, instead of
    gunicorn's "500 Internal Server Error" page and a traceback in the log for what was no error of ours."""
    os._exit(1)


keepalive = 5
# Bounds on what one request line and its headers may be (gunicorn's defaults, stated): 400 beyond.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# No access log here: nginx keeps one, without addresses. Errors only, and never request content
# ("error", not "warning": gunicorn's warning about a malformed request names the client's address).
accesslog = None
errorlog = "-"
loglevel = "error"
# X-Forwarded-* are believed only from the proxy's own address (BVTE_TRUSTED_PROXIES, comma separated;
# loopback by default, where nginx connects from): the same list deploy/wsgi.py's ProxyFix is gated on,
# so a client reaching gunicorn directly cannot name its own address or scheme.
forwarded_allow_ips = os.environ.get("BVTE_TRUSTED_PROXIES", "127.0.0.1,::1")
