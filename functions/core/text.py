"""Vietnamese text helpers: NFC normalisation, tone folding and URL slugs.

Folding is what lets people type without tones ("xam hai" finds "xâm hại"): it is used by the
heading slugs at build time, by commune look-up in the forms, and the search worker
(``theme/assets/javascripts/workers/search-fold.js``) folds the same way (tests/test_form_rules_browser.py
compares them in Chromium). The ``js_*`` helpers write these rules for the browser's RegExp.
"""

from __future__ import annotations

import array
import functools
import re
import sys
import unicodedata

CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
_CONTROL = re.compile(CONTROL_PATTERN)


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


# -- the same rules for the browser's RegExp ------------------------------------------------------
# Python's \s and \d are Unicode-wide (str.isspace, category Nd); JavaScript's are not. The forms'
# scripts get our patterns rewritten with explicit classes built from this Python, so both match
# the same characters (patterns are used with the ``u`` flag).

def _every_code_point() -> str:
    """Every code point in order, surrogates included: decoded from UTF-32 in C (0.04 s; joining 1.1 million
    ``chr()`` took 0.16 s, three times in every build)."""
    codes = array.array(next(t for t in "IL" if array.array(t).itemsize == 4), range(0x110000))
    return codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be", "surrogatepass")


def _js_ranges(python_class: str) -> str:
    """Contents of a JS ``u`` character class matching the code points Python's ``python_class``
    (``\\s`` or ``\\d``) matches: asked of Python's own regex engine, so it is the same set by
    construction (and ~15x faster than testing each code point in a loop: this runs in every build)."""
    return "".join(_js_cp(m.start()) if m.end() - m.start() == 1 else f"{_js_cp(m.start())}-{_js_cp(m.end() - 1)}"
                   for m in re.finditer(python_class + "+", _every_code_point()))


def _js_cp(cp: int) -> str:
    return f"\\u{{{cp:X}}}"


@functools.cache
def js_space_class() -> str:
    """What Python's ``\\s`` and ``str.strip()`` treat as space (``str.isspace``), as JS class contents."""
    return _js_ranges(r"\s")


@functools.cache
def js_digit_class() -> str:
    """What Python's ``\\d`` (and ``int()``) takes as a digit: Unicode category Nd."""
    return _js_ranges(r"\d")


@functools.cache
def digit_zeros() -> list[int]:
    """Code points of every Nd zero: a digit's value is its distance from the nearest zero below."""
    return [m.start() for m in re.finditer(r"\d", _every_code_point()) if unicodedata.digit(m.group()) == 0]


def js_pattern(pattern: str, *, ascii_digits: bool = False) -> str:
    """A Python pattern for ``new RegExp(p, "u")``: ``\\s`` and ``\\d`` spelled out as Python means them.

    ``ascii_digits`` writes ``\\d`` as ``0-9`` for a pattern only ever applied to ASCII text.
    Only the constructs our form patterns use are accepted; anything Python-only is refused.
    """
    if "(?P" in pattern or "(?#" in pattern or "\\A" in pattern or "\\Z" in pattern:
        raise ValueError(f"not portable to JavaScript: {pattern!r}")
    out, in_class, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "sd":
                inner = js_space_class() if nxt == "s" else "0-9" if ascii_digits else js_digit_class()
                out.append(inner if in_class else f"[{inner}]")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)
