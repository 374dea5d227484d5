"""What the first paint needs, inside the page itself: the quick-exit script and the critical CSS.

On a 2G link every request is another round trip. Templates write the quick-exit script inline with the
Jinja global ``inline_asset(path)``; the leading block comment (the file's documentation) is dropped: it is
for the people reading the source, not for every page view.

Stylesheets (``on_post_page``): every page gets ``theme/assets/css/critical.css`` (the rules that style the
first screen of every page type, written by ``theme/tools/critical_css.py``) in a ``<style>``, and its
stylesheets load without blocking the first paint (``media="print"`` until loaded, then ``all``; a
``<noscript>`` copy for browsers without JavaScript). The shell that the functions fill in (``/_shell/``)
keeps its plain links: the functions' pages forbid inline styles and handlers (functions/api/security.py).

Material's bundle script (``on_post_page`` too): its ``<script src>`` becomes the deferred loader
``theme/assets/js/material-later.js`` with the bundle's address in ``data-src``, so the bundle is fetched
after the load event (or on the reader's first interaction) and is not part of the first view on 2G. The
loader is a file, not inline: inline it would push the largest pages past the 14 KB first round trip.
The shell keeps the plain script tag, for the same reason as its stylesheets.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

_LEADING_COMMENT = re.compile(r"\A\s*/\*.*?\*/\s*", re.DOTALL)
CRITICAL_CSS = "assets/css/critical.css"
SHELL_URL = "_shell/"
# The stylesheets of every page (material's and the extra_css bundle), as mkdocs-material writes them: the
# critical CSS is read from these. A page's own stylesheet (the self-assessment's) stays as it is: its
# rules could disagree with other pages' first screens, and it is small.
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]*assets/(?:stylesheets/main|css/site)\.[0-9a-f]+(?:\.min)?\.css)">')
BUNDLE_LOADER = "assets/js/material-later.js"
_BUNDLE_SCRIPT = re.compile(r'<script src="([^"]*)(assets/javascripts/bundle\.[0-9a-f]+\.min\.js)"></script>')
SITE_WIDE_SHEET = re.compile(r"assets/(stylesheets/main|css/site)\.[0-9a-f]+(\.min)?\.css$")

_critical: dict[str, str] = {}


def asset_text(theme_dir: Path, name: str) -> str:
    """The file ``theme_dir/name`` without its leading ``/* … */`` comment; the closing tags that could end
    the inline element early (``</script``, ``</style``) are refused rather than escaped."""
    text = _LEADING_COMMENT.sub("", (theme_dir / name).read_text(encoding="utf-8"), count=1)
    if re.search(r"</(script|style)", text, re.IGNORECASE):
        raise ValueError(f"{theme_dir / name}: contains a closing </script or </style tag; it cannot be inlined")
    return text.strip()


def without_blocking_styles(html: str, critical_css: str) -> str:
    """``html`` with ``critical_css`` inlined before its first stylesheet and every stylesheet loaded
    without blocking the first paint (and linked as before inside ``<noscript>``)."""
    def deferred(match: re.Match) -> str:
        href = match.group(1)
        return (f'<link rel="stylesheet" href="{href}" media="print" onload="this.media=\'all\'">'
                f'<noscript><link href="{href}" rel="stylesheet"></noscript>')

    first = _STYLESHEET.search(html)
    if first is None:
        return html
    html = html[:first.start()] + f"<style>{critical_css}</style>\n" + html[first.start():]
    return _STYLESHEET.sub(deferred, html)


def bundle_after_load(html: str) -> str:
    """``html`` with material's bundle script replaced by the deferred loader, the bundle's address in ``data-src``."""
    def loader(match: re.Match) -> str:
        root, bundle = match.group(1), match.group(2)
        return f'<script src="{root}{BUNDLE_LOADER}" data-src="{root}{bundle}" defer></script>'

    return _BUNDLE_SCRIPT.sub(loader, html, count=1)


def on_env(env, config: MkDocsConfig, files):
    theme_dir = Path(config.theme.custom_dir or "theme")
    env.globals["inline_asset"] = lambda name: asset_text(theme_dir, name)
    _critical["css"] = asset_text(theme_dir, CRITICAL_CSS)
    return env


@event_priority(-50)  # after the directive hook has put a directive into its page chrome
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    if page.url == SHELL_URL:
        return output
    return bundle_after_load(without_blocking_styles(output, _critical["css"]))
