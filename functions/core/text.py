"""Vietnamese text helpers: NFC normalisation, tone folding and URL slugs.

Folding is what lets people type without tones ("xam hai" finds "xâm hại"): it is used by the
heading slugs at build time, by commune look-up in the forms, and mirrors the search folding in
``theme/assets/javascripts``.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def normalise(text: str, *, multiline: bool = True) -> str:
    """NFC, control characters removed (tab/newline kept when ``multiline``), outer space stripped."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("", text).strip()


def fold(text: str) -> str:
    """Lower case without tones or marks; đ becomes d. ``fold("Ẳng Tở") == "ang to"``."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("\u0111", "d")
    return unicodedata.normalize("NFC", "".join(c for c in text if unicodedata.category(c) != "Mn"))


def slugify(value: str, separator: str = "-") -> str:
    """URL-safe slug: tones dropped, đ→d, runs of other characters become one separator.

    Signature matches Python-Markdown's ``toc`` ``slugify`` option.
    """
    folded = fold(value)
    return re.sub(r"[^a-z0-9]+", separator, folded).strip(separator)
