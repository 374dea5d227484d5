"""The browser's character classes are the set Python's patterns match, code point by code point."""

from __future__ import annotations

import re
import unicodedata

import pytest

from functions.core import text


def _code_points(js_class: str) -> set[int]:
    members: set[int] = set()
    for low, high in re.findall(r"\\u\{([0-9A-F]+)\}(?:-\\u\{([0-9A-F]+)\})?", js_class):
        members.update(range(int(low, 16), int(high or low, 16) + 1))
    return members


def test_the_space_class_is_exactly_what_python_strips():
    assert _code_points(text.js_space_class()) == {cp for cp in range(0x110000) if chr(cp).isspace()}


def test_the_digit_class_is_exactly_unicode_category_nd_and_each_block_has_its_zero():
    digits = {cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Nd"}
    assert _code_points(text.js_digit_class()) == digits
    assert text.digit_zeros() == sorted(cp for cp in digits if unicodedata.digit(chr(cp)) == 0)
    assert 0x30 in text.digit_zeros() and 0x660 in text.digit_zeros()  # ASCII and Arabic-Indic zeros


def test_a_portable_pattern_spells_out_python_s_classes_and_refuses_python_only_syntax():
    pattern = text.js_pattern(r"^\d{3}\s?\d+$")
    assert r"\u{30}-\u{39}" in pattern and r"\u{3000}" in pattern
    assert text.js_pattern(r"\d", ascii_digits=True) == "[0-9]"
    for python_only in (r"(?P<x>a)", r"\Aa", r"a\Z"):
        with pytest.raises(ValueError):
            text.js_pattern(python_only)
