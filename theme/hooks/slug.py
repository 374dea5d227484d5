"""Heading anchors without tones, with đ→d: ``#danh-gia`` for "Đánh giá"."""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig

from functions.core.text import slugify


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.mdx_configs.setdefault("toc", {})["slugify"] = slugify
    return config
