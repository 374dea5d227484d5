"""Work the directives hook (``theme/hooks/directives.py``) hands to a second process on large sites.

mkdocs reads and renders every page on one core; on a 2-core machine, 10,000 directives build faster
when other processes parse their front matter and convert their Markdown. This module is importable
by name (the hook puts this folder on ``sys.path``) so that ``ProcessPoolExecutor`` can send its
functions to workers. Workers are forked after the hook has set ``JOB`` (the mkdocs config and files,
with the hooks' state): they render exactly what the main process would, and the main process checks
that the Markdown it would have rendered is the same before it takes the result.
"""

from __future__ import annotations

import logging
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

JOB: dict[str, Any] = {}  # "config", "files": set by the hook before the pool forks


class Failed:
    """Marks a front matter this worker could not load: the main process loads it again and reports."""


def load_yaml_many(texts: list[str]) -> list[Any]:
    out: list[Any] = []
    for text in texts:
        try:
            out.append(yaml.load(text, Loader=_Loader))
        except Exception:  # the main process parses it again, to report the file and line
            out.append(Failed)
    return out


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def render_pages(uris: list[str]) -> list[tuple | None]:
    """For each page: what ``Page.render`` and the ``on_page_content`` events set, from the Markdown
    mkdocs' events give it, or None.

    None (render it in the main process) when rendering logged anything or failed, so that warnings
    (strict mode counts them) and errors come from the main process as they would without workers.
    """
    from mkdocs.structure.pages import Page

    config, files = JOB["config"], JOB["files"]
    log = logging.getLogger("mkdocs")
    handlers = log.handlers[:]  # the level stays: what reaches a handler here would reach one in mkdocs
    keep = _Keep()
    log.handlers[:] = [keep]
    out: list[tuple | None] = []
    try:
        for uri in uris:
            keep.records.clear()
            try:
                file = files.get_file_from_path(uri)
                page = Page(None, file, config)
                page.read_source(config)
                markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
                page.markdown = markdown
                page.render(config, files)
                page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
            except Exception:
                out.append(None)
                continue
            if keep.records:
                out.append(None)
                continue
            links = page.links_to_anchors
            out.append((
                markdown, page.content, page.toc, page._title_from_render, page.present_anchor_ids,
                None if links is None else {f.src_uri: anchors for f, anchors in links.items()},
            ))
    finally:
        log.handlers[:] = handlers
    return out
