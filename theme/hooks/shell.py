"""The page shell the functions fill in (``functions.pages``): a site page holding a marker."""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

SHELL_MARKDOWN = """---
title: Bảo vệ trẻ em
template: shell.html
search:
  exclude: true
---

<!--bvte:main-->
"""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, "_shell.md", content=SHELL_MARKDOWN))
    return files
