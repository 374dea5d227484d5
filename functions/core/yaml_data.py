"""YAML as every reader of the office's data files parses it: safe, and with libyaml when PyYAML has it.

libyaml parses these files about ten times faster than PyYAML's pure-Python parser; the functions read
places, categories, hotlines, forms and the rubric when they start (a Lambda cold start, each test's
app), and the site build reads every directive's front matter. Same safe subset, same exceptions
(``yaml.YAMLError`` and its subclasses, with line and column).
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


def load_yaml(text: str) -> Any:
    """The document in ``text`` (safe types only); raises ``yaml.YAMLError`` naming the line at fault."""
    return yaml.load(text, Loader=_Loader)
