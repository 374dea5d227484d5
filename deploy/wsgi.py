"""WSGI entry for self-hosting behind nginx: the Flask app, told which proxy headers to trust.

nginx (deploy/nginx.conf) sets X-Forwarded-For/-Proto/-Host; ProxyFix takes exactly one hop of
each, so the rate limits key on the visitor's address (hashed, never stored) and the Origin check
sees the public host. Never expose gunicorn directly: a client could then forge these headers.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402

from functions.web import create_app  # noqa: E402

application = ProxyFix(create_app(), x_for=1, x_proto=1, x_host=1)
