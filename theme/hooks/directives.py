"""Directives (văn bản chỉ đạo) in the official form of Nghị định 30/2020/NĐ-CP, their index and Atom feed.

Every Markdown file under ``content/van-ban/`` is a directive; every file under ``content/tin-tuc/`` is a
notice (a news item about a document the site may not hold). This hook reads and validates their front
matter (a missing or malformed field stops the build with the file, the field and what was expected —
never a traceback), renders them with ``theme/directive.html`` / ``theme/notice.html``, and generates the
index pages (by year and issuer, 50 a page) and ``van-ban/feed.xml``.

The work is done by the parts in ``theme/hooks/bvte_hooks/``; these event functions wire them to mkdocs:

- ``directive_model``: the front matter as values and its validation (its docstring gives the fields);
- ``directive_catalog``: the site's directives and notices (unique numbers, citations, links);
- ``directive_listings`` and ``directive_feed``: the generated index pages and the feed;
- ``directive_workers``: front matters loaded and Markdown rendered in forked workers on large sites;
- ``directive_shell``: the chrome of a directive page rendered once per folder depth.

Directives stay out of the nav (``not_in_nav: /van-ban/``): a nav holding every page makes the build
quadratic. Generated index pages are excluded from the search index (they only repeat trích yếu).
Speed (10,000 directives): each front matter is parsed once (``on_page_read_source`` hands mkdocs the body
alone), Babel dates are cached, page chrome is rendered once per folder depth, and from
``directive_workers.PARALLEL_FROM`` directives on, workers share the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from bvte_hooks import directive_listings as listings
from bvte_hooks import directive_workers as workers
from bvte_hooks.directive_catalog import Catalog, check_links
from bvte_hooks.directive_feed import FEED_URI, atom_feed
from bvte_hooks.directive_model import Cited, FieldError, NotLoaded, parse_directive, parse_notice, split_front_matter
from bvte_hooks.directive_shell import Shells

DIRECTIVES = listings.DIRECTIVES
NOTICES = "tin-tuc/"


@dataclass
class State:
    catalog: Catalog = field(default_factory=Catalog)
    sources: dict[str, tuple[dict, str]] = field(default_factory=dict)  # src_uri -> (front matter, body)
    listings: dict[str, listings.Listing] = field(default_factory=dict)  # by src_uri
    issuers: dict[str, str] = field(default_factory=dict)  # slug -> name
    years: list[int] = field(default_factory=list)
    files: Files | None = None  # the page context does not carry Files: kept for link resolution


STATE = State()
RENDERER = workers.Renderer()
SHELLS = Shells()


def _where(config: MkDocsConfig, uri: str) -> str:
    return f"{config.docs_dir.rstrip('/')}/{uri}"


def _collect(files: Files, config: MkDocsConfig) -> State:
    state = State()
    pages = [f for f in files.documentation_pages() if f.src_uri.startswith((DIRECTIVES, NOTICES))]
    preloaded = workers.preload_front_matters(pages)
    for file in pages:
        uri = file.src_uri
        try:
            text, loaded = preloaded.get(uri, (None, NotLoaded))
            meta, body = split_front_matter(file.content_string if text is None else text, loaded)
            state.sources[uri] = (meta, body)
            if uri.startswith(DIRECTIVES):
                stem = Path(uri).stem
                if listings.reserved(stem):
                    raise FieldError("(tên tệp)", f'tên tệp khác các tên dành cho trang mục lục ({stem}.md)')
                state.catalog.add_directive(parse_directive(meta, uri, file.url))
            else:
                state.catalog.add_notice(parse_notice(meta, uri, file.url))
        except FieldError as exc:
            raise PluginError(exc.message(_where(config, uri))) from None
        except Exception as exc:  # a validator bug must still name the file, not print a traceback
            raise PluginError(f"{_where(config, uri)}: không đọc được phần đầu văn bản: {type(exc).__name__}: {exc}") from None
    return state


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global STATE
    state = _collect(files, config)
    docs = {f.src_uri for f in files}
    catalog = state.catalog
    for doc in [*catalog.directives.values(), *catalog.notices.values()]:
        try:
            check_links(doc, docs)
        except FieldError as exc:
            raise PluginError(exc.message(_where(config, doc.src_uri))) from None
    state.issuers, state.years = catalog.issuers(), catalog.years()
    newest_first = catalog.newest_first()
    state.listings = listings.listings(newest_first, state.issuers)
    for uri, listing in state.listings.items():
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=listing.markdown()))
    files.append(File.generated(config, FEED_URI, content=atom_feed(newest_first, site_url=config.site_url,
                                                                    site_name=config.site_name)))
    state.files = files
    STATE = state
    return files


def on_nav(nav, config: MkDocsConfig, files: Files):
    """Start rendering the directives in workers: every hook's ``on_files`` has run, the files are final."""
    uris = [f.src_uri for f in files.documentation_pages() if f.src_uri in STATE.catalog.directives]
    RENDERER.start(uris, config, files)
    return nav


def on_build_error(error: Exception) -> None:
    RENDERER.stop()


def on_page_read_source(page: Page, config: MkDocsConfig) -> str | None:
    """The body of a directive or notice, with an empty front matter: its own was parsed in on_files."""
    source = STATE.sources.get(page.file.src_uri)
    return None if source is None else "---\n{}\n---\n" + source[1]


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    uri = page.file.src_uri
    if uri in STATE.sources:
        page.meta = dict(STATE.sources[uri][0])
    if RENDERER.pending(uri) and not workers.in_worker():
        RENDERER.defer(page)
    catalog = STATE.catalog
    if uri in catalog.directives:
        d = catalog.directives[uri]
        # Titles are HTML in mkdocs and material prints them unescaped ("…/UBND-LĐTĐ&XH"): escape here.
        page.meta.update(title=str(escape(d.title)), template="directive-body.html", hide=["navigation", "toc"])
    elif uri in catalog.notices:
        page.meta.update(title=str(escape(catalog.notices[uri].title)), template="notice.html", hide=["navigation", "toc"])
    return markdown


def _cited_links(cites: list[Cited], page: Page, files: Files) -> list[tuple[Cited, str]]:
    """Each cited document with a URL relative to ``page`` when the site holds it, else ""."""
    out = []
    for c in cites:
        target = c.page
        if not target:
            held = STATE.catalog.held(c)
            target = held.src_uri if held else ""
        url = ""
        if target:
            f = files.get_file_from_path(target)
            url = get_relative_url(f.url, page.url) if f is not None else ""
        out.append((c, url))
    return out


@event_priority(100)  # first: the search plugin and the template need a directive's HTML
def on_page_context(context: dict, page: Page, config: MkDocsConfig, nav) -> dict:
    uri = page.file.src_uri
    files = STATE.files
    if RENDERER.pending(uri):
        RENDERER.take(page, config, files)
    catalog = STATE.catalog
    rel = lambda target: get_relative_url(target, page.url)  # noqa: E731
    if uri in catalog.directives:
        d = catalog.directives[uri]
        context["directive"] = d
        context["cited"] = _cited_links(d.cites, page, files)
        context["attachments"] = [(a, rel(files.get_file_from_path(a.file).url)) for a in d.attachments]
        context["index_url"] = rel(DIRECTIVES)
        SHELLS.ensure(context, page)
    elif uri in catalog.notices:
        n = catalog.notices[uri]
        context["notice"] = n
        context["about"] = _cited_links([n.about], page, files)[0]
        context["cited"] = _cited_links(n.cites, page, files)
        context["index_url"] = rel(DIRECTIVES)
    elif uri in STATE.listings:
        listing = STATE.listings[uri]
        context["listing"] = listing
        context["feed_url"] = rel(FEED_URI)
        context["rows"] = [(d, rel(d.url)) for d in listing.rows]
        context.update(listings.filters(listing, STATE.listings, STATE.issuers, STATE.years, rel))
        if listing.number == 1 and not listing.issuer and not listing.year:
            context["notices"] = [(n, rel(n.url)) for n in catalog.notices_newest_first()]
    return context


def on_env(env, config: MkDocsConfig, files: Files):
    SHELLS.reset(env)
    return env


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """A directive rendered alone (directive-body.html) goes into the shell of its folder depth."""
    if page.file.src_uri not in STATE.catalog.directives:
        return output
    return SHELLS.fill(output, page)


def on_post_build(config: MkDocsConfig) -> None:
    RENDERER.stop()  # every page is built: the workers are idle
