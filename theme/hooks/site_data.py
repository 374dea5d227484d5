"""Site-wide data for the templates, and the guard that keeps phone numbers honest.

- Loads and validates ``content/data/hotlines.yml`` (``functions.core.hotlines``, which the functions use
  too); exposes it as ``config.extra.hotlines``:
  ``primary`` (the entry of the number every page shows), ``hotlines`` (list), ``office`` (the office's
  own contact, empty fields dropped) and ``numbers`` (every number a page may link to).
- Validates ``extra.quick_exit_url`` (the neutral site the quick-exit control leads to).
- Replaces the markers ``<!-- bvte:hotlines -->`` and ``<!-- bvte:hotline-primary -->`` in a page's
  Markdown with the hotlines rendered from the data (``theme/partials/bvte-hotlines.html``), so no page
  retypes a number. This runs before the search plugin reads the page, so the numbers are searchable.
- Refuses a built page that links (``tel:``) to a number not in the data file, or whose text holds a
  phone-like number (``0xx…``, ``+84…``, ``1800…``/``1900…``) that the data file does not list.

Every problem is a ``PluginError`` naming the file and the field, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

from functions.core import hotlines

DATA_FILE = hotlines.DATA_FILE
PARTIAL = "partials/bvte-hotlines.html"
MARKER = re.compile(r"^[ \t]*<!--\s*bvte:(hotlines|hotline-primary)\s*-->[ \t]*$", re.MULTILINE)

# tel: links, and phone-like runs of digits in a page: Vietnamese numbers start with 0 or +84
# (9–11 digits in all) or are 1800/1900 service numbers. Dates, document numbers (2138/UBND) and
# asset hashes do not match: the run may not touch a letter, digit, slash, dot-digit or dash.
TEL_LINK = re.compile(r"""tel:([^"'<>\s)]*)""")
# Each pattern starts with a literal so the regex engine can skip ahead fast: every page is scanned at
# build time (10,000 directives included). The characters around a match are checked in Python.
PHONE_PATTERNS = (
    re.compile(r"0[1-9](?:[ .]?[0-9]){7,9}"),
    re.compile(r"\+84[ .]?[1-9](?:[ .]?[0-9]){7,9}"),
    re.compile(r"1[89]00(?:[ .]?[0-9]){4,6}"),
)
_BEFORE = re.compile(r"[\w/.,:=#%&+-]")
_AFTER = re.compile(r"[\w/]|[.,-][0-9]")


def phone_like(text: str):
    """Phone-like numbers in ``text`` that stand alone (not part of a date, document number or hash)."""
    for pattern in PHONE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if start and _BEFORE.match(text, start - 1):
                continue
            if _AFTER.match(text, end):
                continue
            yield match.group(0)


def load_hotlines(path: Path) -> dict[str, Any]:
    """The hotlines file read and checked (``functions.core.hotlines``); ``PluginError`` naming the field at fault."""
    try:
        return hotlines.load_hotlines(path)
    except hotlines.HotlinesError as exc:
        raise PluginError(str(exc)) from None


def _quick_exit_url(config: MkDocsConfig) -> str:
    url = config.extra.get("quick_exit_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not parts.netloc:
        raise PluginError(f"mkdocs.yml: trường 'extra.quick_exit_url': cần một địa chỉ https:// đầy đủ, đang là {url!r}")
    return url


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.extra["hotlines"] = load_hotlines(Path(config.docs_dir) / DATA_FILE)
    _quick_exit_url(config)
    return config


# --- markers: hotlines rendered from the data -------------------------------------------------------

_env: jinja2.Environment | None = None


def _partial(config: MkDocsConfig) -> jinja2.Template:
    global _env
    if _env is None:
        # Our own environment, autoescaped: the theme's environment does not escape by default.
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(config.theme.dirs),
            autoescape=True, trim_blocks=True, lstrip_blocks=True,
        )
    return _env.get_template(PARTIAL)


def render_hotlines(config: MkDocsConfig, which: str) -> str:
    html = _partial(config).render(hotlines=config.extra["hotlines"], which=which)
    # A raw HTML block for Python-Markdown: no blank lines inside, blank lines around.
    return "\n" + "\n".join(line for line in html.splitlines() if line.strip()) + "\n"


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    if "bvte:hotline" not in markdown:
        return markdown
    return MARKER.sub(lambda m: render_hotlines(config, m.group(1)), markdown)


# --- the guard: no phone number that is not in the data file ------------------------------------------

def check_numbers(html: str, allowed: set[str], former: set[str], where: str) -> None:
    """Raise ``PluginError`` when ``html`` links to or shows a number the data file does not list."""
    for match in TEL_LINK.finditer(html):
        if html[match.start() - 1: match.start()] not in ('"', "'", "(", "="):
            continue  # "tel:" as a word in text or script, not a link
        number = match.group(1)
        if number not in allowed:
            raise PluginError(
                f"{where}: liên kết 'tel:{number}' không có trong content/data/hotlines.yml "
                f"(được phép: {', '.join(sorted(allowed))})"
            )
    for found in phone_like(html):
        digits = re.sub(r"\D", "", found)
        if found.startswith("+"):
            digits = "0" + digits[2:]
        if digits not in allowed and digits not in former:
            raise PluginError(f"{where}: số điện thoại '{found}' không có trong content/data/hotlines.yml")


def _guard(output: str, config: MkDocsConfig, where: str) -> None:
    data = config.extra["hotlines"]
    check_numbers(output, set(data["numbers"]), set(data["former"]), where)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    _guard(output, config, page.file.src_uri)
    return output


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    _guard(output_content, config, template_name)
    return output_content
