"""The report form (/bao-tin/) and the status lookup (/tra-cuu/) from the shared Jinja templates.

``content/bao-tin.md`` and ``content/tra-cuu.md`` hold a marker; this hook replaces it with the
form rendered by ``functions.core.tip_forms`` — the same templates the server re-renders with the
person's input and the error messages, so the static page and the error page never drift.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from functions.config import Config
from functions.core import tip_forms
from functions.core.places import PlacesError, load_places
from functions.core.tip_validation import CategoriesError, load_categories

FORM_MARKER = "<!--bvte:tip-form-->"
STATUS_MARKER = "<!--bvte:tip-status-->"
_data: tip_forms.FormData | None = None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _data
    content = Path(config.docs_dir)
    settings = Config.from_env()  # the deployment's limits, so the form states the ones enforced
    try:
        _data = tip_forms.FormData(
            categories=load_categories(content),
            places=load_places(content),
            hotline=tip_forms.load_hotline(content),
            max_files=settings.tip_max_attachments,
            max_bytes=settings.tip_max_attachment_bytes,
        )
    except (CategoriesError, PlacesError) as exc:
        raise PluginError(str(exc)) from None
    return config


def _base(page: Page) -> str:
    """Relative path from the page to the site root, ending in '/' (e.g. '../')."""
    return "../" * (page.file.url.rstrip("/").count("/") + 1) if page.file.url else ""


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if FORM_MARKER not in html and STATUS_MARKER not in html:
        return html
    if _data is None:
        raise PluginError("tip_pages: form data not loaded")
    base = _base(page)
    if FORM_MARKER in html:
        html = html.replace(FORM_MARKER, tip_forms.render_form(_data, base=base), 1)
    if STATUS_MARKER in html:
        html = html.replace(STATUS_MARKER, tip_forms.render_status(_data, base=base), 1)
    return html
