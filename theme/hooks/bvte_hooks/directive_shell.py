"""The site chrome of a directive page, rendered once per folder depth and filled in for each directive.

Rendering ``theme/directive.html`` (nav, header, footer) for each of 10,000 directives would cost most of
the build, yet at one folder depth its relative links are the same for every page. So each directive is
rendered alone (``directive-body.html``) and put into a shell: ``directive.html`` rendered once per depth
with markers where the title, the canonical URL and the document go.
"""

from __future__ import annotations

from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

TEMPLATE = "directive.html"
_CONTENT_MARK = "\x00bvte-directive-content\x00"
_TITLE_MARK = "\x00bvte-directive-title\x00"
_URL_MARK = "bvte-directive-canonical-url"


def _depth(page: Page) -> int:
    return page.url.count("/")


class Shells:
    def __init__(self) -> None:
        self._env: Any = None
        self._by_depth: dict[int, str] = {}

    def reset(self, env: Any) -> None:
        """A new build: the theme's Jinja environment (``on_env``), no shell rendered yet."""
        self._env = env
        self._by_depth.clear()

    def ensure(self, context: dict, page: Page) -> None:
        """Render directive.html once for this folder depth with markers for the title, URL and article."""
        depth = _depth(page)
        if depth in self._by_depth:
            return
        title, canonical = page.meta.get("title"), page.canonical_url
        page.meta["title"] = _TITLE_MARK
        if canonical:
            page.canonical_url = _URL_MARK
        try:
            shell = self._env.get_template(TEMPLATE).render({**context, "directive_shell": _CONTENT_MARK})
        finally:
            page.meta["title"] = title
            page.canonical_url = canonical
        if shell.count(_CONTENT_MARK) != 1 or "\x00" in shell.replace(_CONTENT_MARK, "").replace(_TITLE_MARK, ""):
            raise PluginError(f"theme/{TEMPLATE}: cần đúng một chỗ cho nội dung văn bản ({page.file.src_uri})")
        self._by_depth[depth] = shell

    def fill(self, output: str, page: Page) -> str:
        """``output`` (the directive rendered alone) in the shell of its page's folder depth."""
        shell = self._by_depth[_depth(page)]
        return (shell.replace(_TITLE_MARK, page.meta["title"]).replace(_URL_MARK, page.canonical_url or "")
                .replace(_CONTENT_MARK, output.strip()))
