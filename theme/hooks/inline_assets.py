"""Jinja global ``inline_asset(path)``: the text of a theme asset, to put inside the page itself.

What the first paint needs (the quick-exit script, the critical CSS) must not wait for another round trip
on a 2G link; templates write it inline with this. The leading block comment (the file's documentation)
is dropped: it is for the people reading the source, not for every page view.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

_LEADING_COMMENT = re.compile(r"\A\s*/\*.*?\*/\s*", re.DOTALL)


def asset_text(theme_dir: Path, name: str) -> str:
    """The file ``theme_dir/name`` without its leading ``/* … */`` comment; the closing tags that could end
    the inline element early (``</script``, ``</style``) are refused rather than escaped."""
    text = _LEADING_COMMENT.sub("", (theme_dir / name).read_text(encoding="utf-8"), count=1)
    if re.search(r"</(script|style)", text, re.IGNORECASE):
        raise ValueError(f"{theme_dir / name}: contains a closing </script or </style tag; it cannot be inlined")
    return text.strip()


def on_env(env, config: MkDocsConfig, files):
    theme_dir = Path(config.theme.custom_dir or "theme")
    env.globals["inline_asset"] = lambda name: asset_text(theme_dir, name)
    return env
