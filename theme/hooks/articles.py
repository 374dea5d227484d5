"""Awareness articles and the hotline directory, generated at build time from content and data.

- Articles are the pages under ``content/bai-viet/`` (except ``index.md`` and the source list
  ``nguon.md``). Each must carry ``title``, ``description`` and ``topics`` (ids from
  ``content/data/topics.yml``) in its front matter.
- ``bai-viet/index.md`` holds the marker ``<!-- bvte:articles-index -->``: it becomes the list of
  articles grouped by topic (articles stay out of the nav; this page is the way in).
- Every article gets a line naming its topics at the top and "Bài viết liên quan" at the foot:
  the other articles ranked by how many topics they share.
- ``danh-ba.md`` holds ``<!-- bvte:danh-ba -->``: it becomes the directory per commune (today's, with
  former names, from ``places.yml``) with the places to go from ``offices.yml``. Empty fields render
  nothing; a missing phone says to call 111 instead. No number is ever made up here.

Errors name the file and field at fault (``PluginError``), never a traceback.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from functions.core.places import PlacesError, load_places
from functions.core.yaml_data import load_yaml

ARTICLES_DIR = "bai-viet/"
INDEX = "bai-viet/index.md"
SOURCES = "bai-viet/nguon.md"
DIRECTORY = "danh-ba.md"
INDEX_MARKER = "<!-- bvte:articles-index -->"
DIRECTORY_MARKER = "<!-- bvte:danh-ba -->"
RELATED_LIMIT = 4
NO_PHONE = "Chưa có số điện thoại — gọi {hotline}"
# Shown while hotlines.yml has no name for the office: a description, not an invented name.
OFFICE_FALLBACK_NAME = "Cơ quan bảo vệ trẻ em quản lý trang web này"


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    summary: str


@dataclass(frozen=True)
class Article:
    src_uri: str
    title: str
    description: str
    topics: tuple[str, ...]


# Filled by on_files on every build (mkdocs serve rebuilds in the same process).
_topics: list[Topic] = []
_articles: dict[str, Article] = {}


def _read_yaml(path: Path) -> object:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PluginError(f"{path}: tệp dữ liệu bị thiếu") from None
    except yaml.YAMLError as exc:
        raise PluginError(f"{path}: YAML không hợp lệ: {exc}") from None


def _load_topics(docs_dir: Path) -> list[Topic]:
    path = docs_dir / "data" / "topics.yml"
    data = _read_yaml(path)
    raw = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise PluginError(f"{path}: 'topics' phải là một danh sách không rỗng")
    topics = []
    for i, item in enumerate(raw):
        for name in ("id", "name", "summary"):
            if not isinstance(item, dict) or not isinstance(item.get(name), str) or not item[name].strip():
                raise PluginError(f"{path}: topics[{i}].{name}: thiếu nội dung")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", item["id"]):
            raise PluginError(f"{path}: topics[{i}].id: phải là chữ thường không dấu, nối bằng '-'")
        topics.append(Topic(item["id"], item["name"].strip(), item["summary"].strip()))
    return topics


def is_article(src_uri: str) -> bool:
    return src_uri.startswith(ARTICLES_DIR) and src_uri.endswith(".md") and src_uri not in (INDEX, SOURCES)


def _article(file, known: set[str]) -> Article:
    _, meta = get_data(file.content_string)
    where = f"content/{file.src_uri}"
    for name in ("title", "description"):
        if not isinstance(meta.get(name), str) or not meta[name].strip():
            raise PluginError(f"{where}: front matter '{name}' bị thiếu")
    topics = meta.get("topics")
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        raise PluginError(f"{where}: front matter 'topics' phải là danh sách mã chủ đề")
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise PluginError(f"{where}: topics: chủ đề không có trong data/topics.yml: {', '.join(unknown)}")
    return Article(file.src_uri, meta["title"].strip(), meta["description"].strip(), tuple(topics))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Numbers in offices.yml may appear in pages: add them to what site_data.py's guard allows."""
    hotlines = config.extra.get("hotlines")
    if not isinstance(hotlines, dict) or "numbers" not in hotlines:
        raise PluginError("mkdocs.yml: hooks: theme/hooks/site_data.py phải đứng trước theme/hooks/articles.py")
    try:
        commune_ids = {c.id for c in load_places(Path(config.docs_dir)).communes}
    except PlacesError as exc:
        raise PluginError(str(exc)) from None
    phones = {o["phone"] for o in _load_offices(Path(config.docs_dir), commune_ids) if o["phone"]}
    hotlines["numbers"] = sorted(set(hotlines["numbers"]) | phones)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global _topics, _articles
    _topics = _load_topics(Path(config.docs_dir))
    known = {t.id for t in _topics}
    _articles = {
        f.src_uri: _article(f, known)
        for f in sorted(files.documentation_pages(), key=lambda f: f.src_uri)
        if is_article(f.src_uri)
    }
    return files


def related(src_uri: str, limit: int = RELATED_LIMIT) -> list[Article]:
    """Other articles sharing a topic with ``src_uri``, most shared topics first, then by title."""
    me = _articles[src_uri]
    scored = []
    for other in _articles.values():
        if other.src_uri == src_uri:
            continue
        shared = len(set(me.topics) & set(other.topics))
        if shared:
            scored.append((-shared, other.title, other))
    return [a for *_, a in sorted(scored, key=lambda s: (s[0], s[1]))][:limit]


def _link(article: Article) -> str:
    # Links are relative to the folder of bai-viet/ pages, written as .md so mkdocs checks them.
    return f"[{_md_text(article.title)}]({article.src_uri.removeprefix(ARTICLES_DIR)})"


def _md_text(text: str) -> str:
    """Text safe inside Markdown: HTML escaped, Markdown punctuation neutralised."""
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", text).replace("&", "&amp;").replace("<", "&lt;")


def _index_markdown() -> str:
    lines = []
    for topic in _topics:
        members = sorted((a for a in _articles.values() if topic.id in a.topics), key=lambda a: a.title)
        if not members:
            continue
        lines += [f"## {_md_text(topic.name)} {{#{topic.id}}}", "", _md_text(topic.summary), ""]
        lines += [f"- {_link(a)} — {_md_text(a.description)}" for a in members]
        lines.append("")
    return "\n".join(lines)


def _topics_line(article: Article) -> str:
    names = {t.id: t.name for t in _topics}
    links = " · ".join(f"[{_md_text(names[t])}](index.md#{t})" for t in article.topics)
    return f"Chủ đề: {links}\n{{: .bvte-article-topics }}\n"


def _with_article_parts(markdown: str, article: Article) -> str:
    # Topics go right after the H1 (or first, if the page has none); related articles at the foot.
    match = re.search(r"^# .*$", markdown, flags=re.MULTILINE)
    top = _topics_line(article)
    if match:
        markdown = markdown[: match.end()] + "\n\n" + top + markdown[match.end():]
    else:
        markdown = top + "\n" + markdown
    others = related(article.src_uri)
    if others:
        markdown = markdown.rstrip() + "\n\n## Bài viết liên quan {#bai-viet-lien-quan}\n\n"
        markdown += "\n".join(f"- {_link(a)}" for a in others) + "\n"
    return markdown + "\n[Xem tất cả bài viết theo chủ đề](index.md)\n"


# -- directory ---------------------------------------------------------------------------------

def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _load_offices(docs_dir: Path, commune_ids: set[str]) -> list[dict]:
    path = docs_dir / "data" / "offices.yml"
    data = _read_yaml(path)
    raw = data.get("offices") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise PluginError(f"{path}: 'offices' phải là một danh sách")
    offices = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not _text(item.get("name")):
            raise PluginError(f"{path}: offices[{i}].name: thiếu tên")
        commune = _text(item.get("commune"))
        if commune not in commune_ids:
            raise PluginError(f"{path}: offices[{i}].commune: không có xã '{commune}' trong places.yml")
        phone = _text(item.get("phone"))
        if isinstance(item.get("phone"), int):
            raise PluginError(f'{path}: offices[{i}].phone: viết trong dấu ngoặc kép để giữ số 0 ở đầu')
        if phone and not re.fullmatch(r"[0-9]{3,15}", phone):
            raise PluginError(f"{path}: offices[{i}].phone: chỉ gồm chữ số, như khi bấm gọi (3–15 số)")
        offices.append({
            "name": _text(item.get("name")), "commune": commune, "phone": phone,
            "address": _text(item.get("address")), "hours": _text(item.get("hours")),
        })
    return offices


def _office_html(office: dict, hotline: str) -> str:
    e = html.escape
    rows = [f'<p class="bvte-office__name"><strong>{e(office["name"])}</strong></p>', "<ul>"]
    if office["address"]:
        rows.append(f"<li>Địa chỉ: {e(office['address'])}</li>")
    if office["phone"]:
        tel = re.sub(r"[^0-9+]", "", office["phone"])
        rows.append(f'<li>Điện thoại: <a href="tel:{e(tel)}">{e(office["phone"])}</a></li>')
    else:
        rows.append(f'<li class="bvte-office__nophone">{e(NO_PHONE.format(hotline=hotline))}</li>')
    if office["hours"]:
        rows.append(f"<li>Giờ làm việc: {e(office['hours'])}</li>")
    rows.append("</ul>")
    return '<div class="bvte-office">\n' + "\n".join(rows) + "\n</div>"


def _former_label(unit) -> str:
    # Units that came from outside the former district say where from: "xã Chiềng Đông (thuộc Tuần Giáo)".
    if unit.district and unit.district != "Mường Ảng":
        return f"{unit.label} (thuộc {unit.district})"
    return unit.label


def _directory_markdown(config: MkDocsConfig) -> str:
    docs_dir = Path(config.docs_dir)
    try:
        places = load_places(docs_dir)
    except PlacesError as exc:
        raise PluginError(str(exc)) from None
    hotlines = config.extra.get("hotlines") or {}
    hotline = _text((hotlines.get("primary") or {}).get("number"))
    if not hotline:
        raise PluginError("content/data/hotlines.yml: primary: thiếu số đường dây nóng (hook site_data.py)")
    # The office's own contact lives in hotlines.yml (validated by site_data.py, empty fields dropped).
    own = hotlines.get("office") or {}
    shared = [{"name": own.get("name") or OFFICE_FALLBACK_NAME, "commune": "", "phone": own.get("phone", ""),
               "address": own.get("address", ""), "hours": own.get("hours", "")}]
    offices = _load_offices(docs_dir, {c.id for c in places.communes})
    e = html.escape

    lines = ["## Tìm theo tên xã cũ {#ten-xa-cu}", "",
             '<table class="bvte-former">',
             "<thead><tr><th scope=\"col\">Trước 1/7/2025</th><th scope=\"col\">Nay thuộc</th></tr></thead>",
             "<tbody>"]
    for commune in places.communes:
        for former in commune.former:
            caveat = "" if commune.confidence == "confirmed" else " (theo một nguồn)"
            lines.append(f'<tr><td>{e(_former_label(former))}</td><td><a href="#{e(commune.id)}">'
                         f"{e(commune.label)}</a>{caveat}</td></tr>")
    lines += ["</tbody>", "</table>", ""]

    for commune in places.communes:
        lines += [f"## {_md_text(commune.label[:1].upper() + commune.label[1:])} {{#{commune.id}}}", ""]
        if commune.former:
            former = ", ".join(_former_label(f) for f in commune.former)
            lines += [f'<p class="bvte-commune__former">Trước 1/7/2025 gồm: {e(former)}.</p>', ""]
        if commune.confidence != "confirmed":
            lines += ['<p class="bvte-commune__caveat"><em>Việc sáp nhập các xã này mới theo một nguồn, '
                      "chưa được đối chiếu với văn bản gốc.</em></p>", ""]
        for office in [o for o in offices if o["commune"] == commune.id] + shared:
            lines += [_office_html(office, hotline), ""]
    return "\n".join(lines)


# Pages whose body is wrapped in <div class="bvte-prose">: links in running text are underlined there
# (WCAG 1.4.1: a link must not be told apart by colour alone) without restyling other areas' pages.
PROSE_PAGES = {INDEX, SOURCES, DIRECTORY, "tre-em.md"}


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    markdown = _page_markdown(markdown, page, config)
    if page.file.src_uri in PROSE_PAGES or page.file.src_uri in _articles:
        markdown = f'<div class="bvte-prose" markdown>\n\n{markdown}\n\n</div>\n'
    return markdown


def _page_markdown(markdown: str, page: Page, config: MkDocsConfig) -> str:
    uri = page.file.src_uri
    if uri == INDEX:
        if INDEX_MARKER not in markdown:
            raise PluginError(f"content/{INDEX}: thiếu dấu {INDEX_MARKER}")
        return markdown.replace(INDEX_MARKER, _index_markdown())
    if uri in _articles:
        return _with_article_parts(markdown, _articles[uri])
    if uri == DIRECTORY:
        if DIRECTORY_MARKER not in markdown:
            raise PluginError(f"content/{DIRECTORY}: thiếu dấu {DIRECTORY_MARKER}")
        return markdown.replace(DIRECTORY_MARKER, _directory_markdown(config))
    return markdown
