"""Awareness articles, the topic index, the children's page and the hotline directory, as built."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from posixpath import normpath
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data

from functions.config import REPO_ROOT

CONTENT = REPO_ROOT / "content"
sys.path.insert(0, str(REPO_ROOT / "theme" / "hooks"))
import articles as hook  # noqa: E402

ARTICLES = sorted(p for p in (CONTENT / "bai-viet").glob("*.md") if p.name not in ("index.md", "nguon.md"))
SOURCES_URL = "/bai-viet/nguon/"

# A reference to a legal text: "Luật Trẻ em", "Bộ luật Hình sự", "Nghị định 56/2017", "Điều 24", …
LAW_REF = re.compile(
    r"\b(Luật [A-ZĐÂ]|Bộ luật|Nghị định \d|Nghị quyết \d|Công điện \d|Chỉ thị \d|Quyết định \d|"
    r"Thông tư \d|Kế hoạch \d|Điều \d)"
)
# Article numbers the domain facts (../shared/domain/README.md §3–§7) give; anything else is invented.
KNOWN_ARTICLE_NUMBERS = {2, 3, 4, 6, 7, 8, 19, 22, 23, 24, 25, 26, 27, 28, 29, 30, 47, 48, 49, 50, 51, 52, 53,
                         142, 143, 144, 145, 146, 147, 151}
# Laws the domain facts mark "recalled, not re-checked": only with the caveat.
RECALLED = ("Luật Hôn nhân và gia đình", "Bộ luật Lao động", "Bộ luật Hình sự")
CAVEAT = "chưa đối chiếu lại với văn bản gốc"


class Blocks(HTMLParser):
    """Text and links of each leaf block (p, li, td, th, dd) inside <article>, plus ids and headings."""

    BLOCKS = {"p", "li", "td", "th", "dd"}

    def __init__(self):
        super().__init__()
        self.in_article = 0
        self.stack: list[dict] = []
        self.blocks: list[dict] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.headings: list[tuple[str, str]] = []  # (id, text) of h2
        self._h2: dict | None = None
        self.text = ""  # everything inside <article>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.in_article += 1
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if not self.in_article:
            return
        if tag in self.BLOCKS:
            self.stack.append({"tag": tag, "text": "", "links": []})
        if tag == "h2":
            self._h2 = {"id": attrs.get("id", ""), "text": ""}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if self.stack:
                self.stack[-1]["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article -= 1
        if self.in_article and tag in self.BLOCKS and self.stack:
            block = self.stack.pop()
            self.blocks.append(block)
            if self.stack:  # a nested list item's text and links belong to its parent too
                self.stack[-1]["text"] += block["text"]
                self.stack[-1]["links"] += block["links"]
        if tag == "h2" and self._h2 is not None:
            self.headings.append((self._h2["id"], self._h2["text"]))
            self._h2 = None

    def handle_data(self, data):
        if self.in_article:
            self.text += data
        if self.stack:
            self.stack[-1]["text"] += data
        if self._h2 is not None:
            self._h2["text"] += data


def parse(path: Path) -> Blocks:
    parser = Blocks()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def page_url(stem: str) -> str:
    return f"/bai-viet/{stem}/"


def resolve(base: str, href: str) -> str:
    """The site path a relative link leads to (fragment dropped)."""
    parts = urlsplit(urljoin("http://site" + base, href))
    path = normpath(parts.path) + ("/" if parts.path.endswith("/") else "")
    return path


def front_matter(path: Path) -> dict:
    return get_data(path.read_text(encoding="utf-8"))[1]


def built_page(site: Path, url: str) -> Path:
    return site / url.strip("/") / "index.html"


def test_the_required_articles_exist():
    assert len(ARTICLES) >= 9
    titles = " ".join(front_matter(p)["title"].lower() for p in ARTICLES)
    for words in ("dấu hiệu", "cơ thể", "mạng", "đuối nước", "tảo hôn", "lao động", "mua bán người",
                  "bắt nạt", "sau khi bạn báo tin"):
        assert words in titles, words


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.stem)
def test_article_builds_cites_its_sources_and_ends_with_whom_to_call(built_site, article):
    url = page_url(article.stem)
    page = built_page(built_site, url)
    assert page.is_file(), f"{article.name} was not built"
    parsed = parse(page)
    sources = parse(built_page(built_site, SOURCES_URL))

    # Every block that mentions a legal text links to its entry on the source list, and the entry exists.
    referencing = [b for b in parsed.blocks if LAW_REF.search(b["text"])]
    for block in referencing:
        targets = [href for href in block["links"] if resolve(url, href) == SOURCES_URL]
        assert targets, f"{article.name}: no source link in: {block['text'][:120]!r}"
        for href in targets:
            fragment = urlsplit(href).fragment
            assert fragment in sources.ids, f"{article.name}: the source list has no entry #{fragment}"

    text = " ".join(b["text"] for b in parsed.blocks)
    for number in re.findall(r"Điều (\d+)", text):
        assert int(number) in KNOWN_ARTICLE_NUMBERS, f"{article.name}: Điều {number} is not in the domain facts"
    for law in RECALLED:
        for block in parsed.blocks:
            if law in block["text"]:
                assert CAVEAT in block["text"], f"{article.name}: {law} cited without the caveat"

    # It ends with what to do and whom to call: a "Làm gì, gọi ai" section with 111 and the report page.
    ids = [h[0] for h in parsed.headings]
    assert "lam-gi-goi-ai" in ids, f"{article.name}: no 'Làm gì, gọi ai' section"
    assert "111" in text
    assert any(resolve(url, href) == "/bao-tin/" for href in parsed.links), f"{article.name}: no link to /bao-tin/"


def test_articles_are_on_the_topic_index_under_each_of_their_topics(built_site):
    topics = {t["id"] for t in yaml.safe_load((CONTENT / "data" / "topics.yml").read_text())["topics"]}
    html = built_page(built_site, "/bai-viet/").read_text(encoding="utf-8")
    # Split the index into its topic sections by their h2 ids.
    sections = dict(re.findall(r'<h2 id="([a-z0-9-]+)">.*?</h2>(.*?)(?=<h2 |</article>)', html, flags=re.S))
    for article in ARTICLES:
        meta = front_matter(article)
        assert set(meta["topics"]) <= topics
        for topic in meta["topics"]:
            assert f'href="{article.stem}/"' in sections.get(topic, ""), f"{article.stem} missing under {topic}"
    # The index is in the navigation; the articles are not (build time grows with nav size).
    from mkdocs.config import load_config

    nav = load_config(str(REPO_ROOT / "mkdocs.yml"))["nav"]
    nav_files = {v for item in nav for v in item.values()}
    assert "bai-viet/index.md" in nav_files
    assert not any(f.startswith("bai-viet/") and f != "bai-viet/index.md" for f in nav_files)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.stem)
def test_related_articles_share_a_topic_and_exist(built_site, article):
    url = page_url(article.stem)
    html = built_page(built_site, url).read_text(encoding="utf-8")
    match = re.search(r'<h2 id="bai-viet-lien-quan">.*?</h2>\s*<ul>(.*?)</ul>', html, flags=re.S)
    assert match, f"{article.name}: no related articles"
    hrefs = re.findall(r'href="([^"]+)"', match.group(1))
    assert hrefs
    mine = set(front_matter(article)["topics"])
    for href in hrefs:
        target = resolve(url, href)
        stem = target.strip("/").split("/")[-1]
        assert stem != article.stem
        assert built_page(built_site, target).is_file(), target
        assert mine & set(front_matter(CONTENT / "bai-viet" / f"{stem}.md")["topics"])


def test_six_steps_with_their_deadlines(built_site):
    text = built_page(built_site, "/bai-viet/sau-khi-bao-tin/").read_text(encoding="utf-8")
    for step in range(1, 7):
        assert f"Bước {step}" in text
    for deadline in ("12 giờ", "5 ngày làm việc", "2 ngày làm việc", "15 ngày"):
        assert deadline in text


def test_children_page(built_site):
    parsed = parse(built_page(built_site, "/tre-em/"))
    text = parsed.text
    for phrase in ("quyền được an toàn", "111", "miễn phí", "lúc nào cũng được", "không phải là lỗi của em",
                   "người lớn", "cô giáo"):
        assert phrase in text.lower() or phrase in text, phrase
    assert any(h == "tel:111" for h in parsed.links)
    # Short sentences for a 10-year-old: no sentence longer than 30 words.
    for sentence in (s for b in parsed.blocks for s in re.split(r"[.!?:]\s", b["text"])):
        assert len(sentence.split()) <= 30, sentence


def _allowed_numbers() -> set[str]:
    hotlines = yaml.safe_load((CONTENT / "data" / "hotlines.yml").read_text(encoding="utf-8"))
    offices = yaml.safe_load((CONTENT / "data" / "offices.yml").read_text(encoding="utf-8"))
    allowed = {h["number"] for h in hotlines["hotlines"]}
    allowed |= {n for h in hotlines["hotlines"] for n in h.get("former") or []}
    allowed |= {str((hotlines.get("office") or {}).get("phone") or "")} - {""}
    allowed |= {str(o.get("phone") or "") for o in offices["offices"]} - {""}
    return allowed


def test_directory_lists_every_commune_and_no_number_outside_the_data(built_site):
    from functions.core.places import load_places

    page = built_page(built_site, "/danh-ba/")
    html = page.read_text(encoding="utf-8")
    parsed = parse(page)
    places = load_places(CONTENT)
    for commune in places.communes:
        assert commune.id in parsed.ids
        for name in commune.former_names:
            assert name in html
    offices = yaml.safe_load((CONTENT / "data" / "offices.yml").read_text(encoding="utf-8"))["offices"]
    for office in offices:
        assert office["name"] in html
    missing = sum(1 for o in offices if not o.get("phone"))
    assert html.count("Chưa có số điện thoại — gọi 111") >= missing

    allowed = _allowed_numbers()
    for href in re.findall(r'href="tel:([^"]*)"', html):
        assert href in allowed, href
    text = "\n".join(b["text"] for b in parsed.blocks)
    # Runs of 3+ digits standing alone (not part of a date, a document number or a range) are numbers.
    for number in re.findall(r"(?<![\w/.\-–])\d(?:[ .]?\d){2,}(?![\w/.\-–])", text):
        assert re.sub(r"\D", "", number) in allowed, number


def _config(docs_dir: Path, office: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(docs_dir=str(docs_dir), extra={"hotlines": {
        "primary": {"number": "111"}, "numbers": ["111"], "office": office or {}}})


def _content_with(tmp_path: Path, offices: str) -> Path:
    data = tmp_path / "content" / "data"
    data.mkdir(parents=True)
    (data / "places.yml").write_bytes((CONTENT / "data" / "places.yml").read_bytes())
    (data / "offices.yml").write_text(offices, encoding="utf-8")
    return tmp_path / "content"


def test_directory_renders_only_what_the_data_holds(tmp_path):
    docs = _content_with(tmp_path, """
offices:
  - {id: a, commune: bung-lao, name: "UBND <b>xã</b> Búng Lao", phone: "0999000111", address: "", hours: ""}
  - {id: b, commune: muong-ang, name: UBND xã Mường Ảng, phone: "", address: "Bản X", hours: ""}
""")
    config = _config(docs)
    hook.on_config(config)
    assert "0999000111" in config.extra["hotlines"]["numbers"]  # the phone guard lets it through
    out = hook._directory_markdown(config)
    assert '<a href="tel:0999000111">0999000111</a>' in out
    assert "UBND &lt;b&gt;xã&lt;/b&gt; Búng Lao" in out  # escaped
    assert "Địa chỉ: Bản X" in out
    assert "Giờ làm việc" not in out  # empty fields render nothing
    assert out.count("Chưa có số điện thoại — gọi 111") == 1 + 4  # Mường Ảng + the office under each commune


@pytest.mark.parametrize("phone", ['0215 123', "123abc", 215123])
def test_directory_refuses_a_malformed_phone(tmp_path, phone):
    value = f'"{phone}"' if isinstance(phone, str) else phone
    docs = _content_with(tmp_path, f"offices:\n  - {{id: a, commune: bung-lao, name: X, phone: {value}}}\n")
    with pytest.raises(PluginError, match=r"offices\.yml: offices\[0\]\.phone"):
        hook.on_config(_config(docs))


def test_article_front_matter_errors_name_the_file_and_field():
    bad = SimpleNamespace(src_uri="bai-viet/x.md", content_string="---\ntitle: T\ndescription: D\ntopics: [nope]\n---\n# T\n")
    with pytest.raises(PluginError, match=r"content/bai-viet/x\.md: topics"):
        hook._article(bad, {"bao-tin"})
    missing = SimpleNamespace(src_uri="bai-viet/y.md", content_string="---\ntitle: T\ntopics: [bao-tin]\n---\n")
    with pytest.raises(PluginError, match=r"content/bai-viet/y\.md: front matter 'description'"):
        hook._article(missing, {"bao-tin"})


@pytest.mark.browser
@pytest.mark.parametrize("url", ["/bai-viet/", "/bai-viet/sau-khi-bao-tin/", "/danh-ba/", "/tre-em/"])
def test_pages_have_no_accessibility_violations(page, live_server, url):
    from conftest import axe_violations

    page.goto(live_server.url + url, wait_until="load")
    assert page.locator("h1").first.is_visible()
    assert axe_violations(page) == []
