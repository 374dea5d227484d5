"""Which built files may be cached for a year: fingerprinted names (``name.<hash>.js``/``.css``).

Shared by the Flask server (``functions.web.site``) and the site upload for CloudFront
(``deploy/upload_site.py``); everything else revalidates so an update reaches every phone.
"""

from __future__ import annotations

import re

FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,}\.(min\.)?(js|css)$")
LONG_CACHE = "public, max-age=31536000, immutable"


def is_fingerprinted(name: str) -> bool:
    """True for ``bundle.a5f9d56c.min.js``, ``site.32ea244cf3.css`` (compressed twins included)."""
    return bool(FINGERPRINTED.search(name.removesuffix(".br").removesuffix(".gz")))
