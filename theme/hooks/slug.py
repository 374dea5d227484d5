"""Heading anchors without tones, with đ→d: ``#danh-gia`` for "Đánh giá"."""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo, for `functions`

from functions.core.text import slugify  # noqa: E402


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.mdx_configs.setdefault("toc", {})["slugify"] = slugify
    return config
