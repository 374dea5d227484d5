"""gunicorn settings for self-hosting (behind nginx, see deploy/nginx.conf and content/trien-khai.md).

    cd /srv/bvte && .venv/bin/gunicorn -c deploy/gunicorn.conf.py

Settings come from BVTE_* variables (e.g. in the systemd unit): BVTE_DATA_DIR, BVTE_SITE_DIR,
BVTE_SECRET_KEY, BVTE_PUBLIC_KEY, BVTE_ALLOWED_ORIGINS, and for S3 BVTE_STORAGE=s3 etc.
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
threads = 2
# Above the storage bound (storage_deadline_seconds, 8 s, plus one call): the person gets our 503
# page, not a killed worker. nginx's proxy_read_timeout is longer still.
timeout = 30
graceful_timeout = 20
# Slow 3G uploads are buffered by nginx (proxy_request_buffering on), so workers are never held by them.
keepalive = 5

# No access log here: nginx keeps one, without addresses. Errors only, and never request content.
accesslog = None
errorlog = "-"
loglevel = "warning"
# Proxy headers are trusted from loopback only (ProxyFix in wsgi.py does the rest).
forwarded_allow_ips = "127.0.0.1"
