"""The Atom feed of the newest directives (``van-ban/feed.xml``), linked from every index page."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET

from mkdocs.utils import get_relative_url

from .directive_listings import DIRECTIVES
from .directive_model import Directive

FEED_URI = "van-ban/feed.xml"
FEED_ENTRIES = 50
_ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(newest_first: list[Directive], *, site_url: str | None, site_name: str) -> str:
    """Atom (RFC 4287) for the first ``FEED_ENTRIES`` of ``newest_first``. Links are absolute when
    ``site_url`` is set, else relative to the feed."""
    ET.register_namespace("", _ATOM)
    base = (site_url or "").rstrip("/")

    def href(url: str) -> str:
        return f"{base}/{url}" if base else get_relative_url(url, FEED_URI)

    def el(parent, tag, text=None, **attrs):
        node = ET.SubElement(parent, f"{{{_ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    ordered = newest_first[:FEED_ENTRIES]
    feed = ET.Element(f"{{{_ATOM}}}feed", {"xml:lang": "vi"})
    el(feed, "title", f"Văn bản chỉ đạo — {site_name}")
    el(feed, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (base or site_name) + "/" + FEED_URI)))
    newest = ordered[0].date.first_day if ordered else dt.date(2000, 1, 1)
    el(feed, "updated", f"{newest.isoformat()}T00:00:00Z")
    el(feed, "link", rel="self", href=href(FEED_URI))
    el(feed, "link", rel="alternate", type="text/html", href=href(DIRECTIVES))
    for d in ordered:
        entry = el(feed, "entry")
        el(entry, "title", d.title)
        el(entry, "id", "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (base or site_name) + "/" + d.url)))
        # A partial date ("năm 2024") is dated to its first day; the summary gives it as in the source.
        el(entry, "updated", f"{d.date.first_day.isoformat()}T00:00:00Z")
        el(entry, "link", rel="alternate", type="text/html", href=href(d.url))
        author = el(entry, "author")
        el(author, "name", d.issuer_name)
        el(entry, "summary", f"{d.date_line}. {d.subject_line}.")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")
