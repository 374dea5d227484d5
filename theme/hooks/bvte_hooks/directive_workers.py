"""Directives' work shared with forked worker processes on large sites (``theme/hooks/directives.py``).

mkdocs reads and renders every page on one core; on a 2-core machine, 10,000 directives build faster when
other processes load their front matter and convert their Markdown. From ``PARALLEL_FROM`` directives and
notices on, ``WORKERS`` forked processes:

- load the front matters (``preload_front_matters``): only the YAML loading is shared out, every check and
  every error message stays in the main process, in file order;
- render the directives' Markdown (``Renderer``). Workers are forked after ``JOB`` holds the mkdocs config
  and files (with the hooks' state, so nothing is pickled): they render exactly what the main process
  would. The main process takes a worker's HTML only when the Markdown it would render is the same, and
  renders itself any page whose rendering logged a message (strict mode counts warnings in the main
  process). It does not wait for them while it reads pages: a directive's HTML is taken just before its
  page is built (``on_page_context``), so workers render while mkdocs renders templates.

The functions workers run are importable by name (this package is installed), as ``ProcessPoolExecutor``
sends them by name.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from .directive_model import NotLoaded, front_matter_text, load_yaml

# Directives and notices from which the work is shared with worker processes: below this, forking costs
# more than it saves (and a build of the real site stays in one process).
PARALLEL_FROM = int(os.environ.get("BVTE_DIRECTIVES_PARALLEL_FROM", "500"))  # tests lower it
WORKERS = 2
RENDER_CHUNK = 50  # pages a worker renders at a time: small enough for the main process to start early

JOB: dict[str, Any] = {}  # "config", "files": set in the main process just before the pool forks


def in_worker() -> bool:
    """True in a worker process (forked while ``JOB`` was set; the main process clears it after)."""
    return bool(JOB)


def _fork_pool() -> ProcessPoolExecutor | None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # workers would re-import mkdocs and the hooks: not worth it
    return ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"))


# ------------------------------------------------------------------------------------- front matters


def load_yaml_many(texts: list[str]) -> list[Any]:
    """In a worker: each YAML text loaded, or ``NotLoaded`` (the main process loads it again and reports)."""
    out: list[Any] = []
    for text in texts:
        try:
            out.append(load_yaml(text))
        except Exception:
            out.append(NotLoaded)
    return out


def preload_front_matters(pages: list[File]) -> dict[str, tuple[str, Any]]:
    """src_uri -> (text, front matter loaded by a worker, or ``NotLoaded``) for many pages, else {}."""
    if len(pages) < PARALLEL_FROM:
        return {}
    texts: dict[str, str] = {}
    heads: list[str] = []
    for file in pages:
        try:
            text = file.content_string
        except Exception:
            continue  # the hook reads it again and names the file
        head = front_matter_text(text)
        if head is not None:
            texts[file.src_uri] = text
            heads.append(head)
    pool = _fork_pool()
    if pool is None:
        return {}
    with pool:
        step = -(-len(heads) // (WORKERS * 4))
        loaded = [data for chunk in pool.map(load_yaml_many, [heads[i : i + step] for i in range(0, len(heads), step)])
                  for data in chunk]
    return {uri: (text, data) for (uri, text), data in zip(texts.items(), loaded, strict=True)}


# ------------------------------------------------------------------------------------------ rendering


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def render_pages(uris: list[str]) -> list[tuple | None]:
    """In a worker: for each page, what ``Page.render`` and the ``on_page_content`` events set, from the
    Markdown mkdocs' events give it, or None.

    None (render it in the main process) when rendering logged anything or failed, so that warnings
    (strict mode counts them) and errors come from the main process as they would without workers.
    """
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


def _render_later(page: Page, config: MkDocsConfig, files: Files) -> None:
    """``Page.render`` for a page a worker renders: empty until ``Renderer.take`` fills it in."""
    del page.render  # the class's method again
    page.content, page.toc, page.present_anchor_ids = "", get_toc([]), set()


class Renderer:
    """The main process's side: hands pages to workers, then takes their HTML page by page."""

    def __init__(self) -> None:
        self._rendering: dict[str, tuple[Future, int]] = {}  # src_uri -> (future of its chunk, index in it)
        self._pools: list[ProcessPoolExecutor] = []

    def start(self, uris: list[str], config: MkDocsConfig, files: Files) -> None:
        """Render ``uris`` in workers when they are many; ``files`` must be final (every ``on_files`` ran)."""
        self.stop()
        if len(uris) < PARALLEL_FROM:
            return
        JOB.update(config=config, files=files)  # forked with the workers: nothing is pickled
        pool = _fork_pool()
        if pool is None:
            JOB.clear()
            return
        self._pools.append(pool)
        for start in range(0, len(uris), RENDER_CHUNK):
            chunk = uris[start : start + RENDER_CHUNK]
            future = pool.submit(render_pages, chunk)
            self._rendering.update((uri, (future, i)) for i, uri in enumerate(chunk))
        JOB.clear()

    def stop(self) -> None:
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()
        self._rendering.clear()

    def pending(self, uri: str) -> bool:
        return uri in self._rendering

    def defer(self, page: Page) -> None:
        """From ``on_page_markdown``: mkdocs' own rendering of ``page`` renders nothing (``take`` will)."""
        page.render = functools.partial(_render_later, page)  # type: ignore[method-assign]

    def take(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        """The worker's HTML of a page when it rendered the same Markdown, else rendered here as mkdocs
        would (``Page.render``, then the ``on_page_content`` events)."""
        future, i = self._rendering.pop(page.file.src_uri)
        result = future.result()[i]
        if result is None or result[0] != page.markdown:
            page.render(config, files)
            page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
            return
        _markdown, page.content, page.toc, page._title_from_render, page.present_anchor_ids, links = result
        if links is not None:
            page.links_to_anchors = {files.get_file_from_path(uri): anchors for uri, anchors in links.items()}
