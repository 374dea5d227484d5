"""The generated index pages of the directives: all of them, by year, by issuer, by issuer and year.

- ``van-ban/index.md``: all directives, newest first, ``PAGE_SIZE`` a page (``van-ban/trang-2/`` …);
- filter pages that work without JavaScript: ``van-ban/nam-2024/``, ``van-ban/co-quan/<issuer>/`` and
  ``van-ban/co-quan/<issuer>/nam-2024/`` (each paginated the same way).

The pages are Markdown stubs for ``theme/directives_index.html``; ``filters`` gives that template its
links (years, issuers, page numbers), each made relative by the caller's ``rel``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

from functions.core.text import fold

from .directive_model import Directive

DIRECTIVES = "van-ban/"
PAGE_SIZE = 50
# Names the generated pages use inside van-ban/: a directive file may not take them.
_RESERVED = re.compile(r"^(index|feed|co-quan|trang-\d+|nam-\d+)$")

_LISTING_MD = """---
title: {title}
template: directives_index.html
search:
  exclude: true
hide:
  - toc
---
"""


def reserved(stem: str) -> bool:
    """Whether a directive file named ``<stem>.md`` would take the place of a generated page."""
    return bool(_RESERVED.match(stem))


@dataclass
class Listing:
    """One generated index page: a filter (issuer, year) and a page of rows."""

    src_uri: str
    title: str
    issuer: str  # slug, "" = all
    year: int  # 0 = all
    number: int  # 1-based page number
    pages: int
    rows: list[Directive]

    def markdown(self) -> str:
        return _LISTING_MD.format(title=json.dumps(self.title, ensure_ascii=False))


def listing_uri(issuer: str, year: int, number: int) -> str:
    parts = [DIRECTIVES.rstrip("/")]
    if issuer:
        parts += ["co-quan", issuer]
    if year:
        parts.append(f"nam-{year}")
    if number > 1:
        parts.append(f"trang-{number}")
    return "/".join(parts) + "/index.md"


def listings(ordered: list[Directive], issuers: dict[str, str]) -> dict[str, Listing]:
    """Every index page, by src_uri, for directives ``ordered`` newest first; ``issuers``: slug -> name."""
    groups: dict[tuple[str, int], list[Directive]] = {("", 0): ordered}
    for d in ordered:  # already newest first, so every group is too
        for key in (("", d.date.year), (d.issuer_slug, 0), (d.issuer_slug, d.date.year)):
            groups.setdefault(key, []).append(d)
    out = {}
    for (issuer, year), rows in groups.items():
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        for n in range(1, pages + 1):
            title = "Văn bản chỉ đạo"
            if issuer:
                title += f" của {issuers[issuer]}"
            if year:
                title += f" năm {year}"
            if n > 1:
                title += f" (trang {n})"
            uri = listing_uri(issuer, year, n)
            out[uri] = Listing(uri, title, issuer, year, n, pages, rows[(n - 1) * PAGE_SIZE : n * PAGE_SIZE])
    return out


def filters(listing: Listing, pages: dict[str, Listing], issuers: dict[str, str], years: list[int],
            rel: Callable[[str], str]) -> dict[str, list]:
    """The links of one index page: ``year_filters``, ``issuer_filters`` (label, URL, current) for the
    filters that have pages, and ``pager`` (number, URL, current)."""
    def url(issuer: str, year: int, number: int) -> str:
        return rel(listing_uri(issuer, year, number).removesuffix("index.md"))

    year_filters = [
        (str(y) if y else "Tất cả các năm", url(listing.issuer, y, 1), y == listing.year)
        for y in [0, *years]
        if not y or listing_uri(listing.issuer, y, 1) in pages
    ]
    issuer_filters = [
        (name or "Tất cả cơ quan", url(slug, listing.year, 1), slug == listing.issuer)
        for slug, name in [("", ""), *sorted(issuers.items(), key=lambda kv: fold(kv[1]))]
        if not slug or listing_uri(slug, listing.year, 1) in pages
    ]
    # A window of page links (first, last, current ± 2): 200 links on each of 200 pages would not be light.
    shown = sorted({1, listing.pages, *range(max(1, listing.number - 2), min(listing.pages, listing.number + 2) + 1)})
    pager = [(n, url(listing.issuer, listing.year, n), n == listing.number) for n in shown] if listing.pages > 1 else []
    return {"year_filters": year_filters, "issuer_filters": issuer_filters, "pager": pager}
