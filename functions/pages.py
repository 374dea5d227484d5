"""Full HTML pages answered by the functions, in the site's look.

The build emits ``site/_shell/index.html``: a real page of the site (header, 111 bar, quick exit,
footer) whose article holds the marker ``<!--bvte:main-->``. Answers replace the marker (and the
title) so a receipt or an error page looks like the rest of the site, with and without JavaScript.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from .api.http import Context

MARKER = "<!--bvte:main-->"
# Inline scripts that run (no src, and no data type such as application/json).
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>(.*?)</script>", re.S)

_FALLBACK_SHELL = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Bảo vệ trẻ em</title></head>
<body><p><a href="tel:111">Gọi 111</a> — Tổng đài quốc gia bảo vệ trẻ em, miễn phí, 24/7</p>
<main>""" + MARKER + """</main></body></html>"""


def shell(ctx: Context) -> str:
    def load() -> str:
        path = Path(ctx.config.site_dir) / "_shell" / "index.html"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return _FALLBACK_SHELL
        if MARKER not in text:
            return _FALLBACK_SHELL
        # The shell is built at /_shell/ with relative links; answers live at other depths.
        text = re.sub(r'(href|src)="\.\./', r'\1="/', text)
        return text.replace('"base": ".."', '"base": "/"')

    return ctx.cached("page-shell", load)


def render_page(ctx: Context, title: str, body_html: str) -> str:
    """The shell with ``body_html`` (already escaped by its template) and ``title`` (escaped here)."""
    page = shell(ctx)
    page = re.sub(r"<title>.*?</title>", lambda _: f"<title>{html.escape(title)}</title>", page, count=1, flags=re.S)
    return page.replace(MARKER, body_html, 1)


def script_hashes(ctx: Context) -> list[str]:
    """CSP sources (``'sha256-…'``) of the shell's inline scripts — the quick exit, the theme's settings."""
    def load() -> list[str]:
        return [f"'sha256-{base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()}'"
                for m in _INLINE_SCRIPT.finditer(shell(ctx))]

    return ctx.cached("page-script-hashes", load)


def page_csp(ctx: Context, csp: str) -> str:
    """``csp`` (the API answers' policy) allowing exactly the shell's inline scripts by their hashes: the
    pages the functions answer run the same scripts as the site's own pages, and nothing else inline
    (a value put back into a form can never become a script: it is escaped, and its hash is not listed)."""
    hashes = script_hashes(ctx)
    if not hashes:
        return csp
    return csp.replace("script-src 'self'", "script-src 'self' " + " ".join(hashes), 1)
