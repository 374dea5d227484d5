"""Site chrome in the built site: the 111 link and quick exit on every page, phone numbers only from the
hotlines data file, nothing loaded from another host, tone-free heading anchors; and the hotlines hook
(validation of the data file, the build guard on phone numbers, hotlines rendered from data)."""

from __future__ import annotations

import re
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from mkdocs.exceptions import PluginError

from conftest import build_site
from functions.config import REPO_ROOT
from functions.core.text import slugify

sys.path.insert(0, str(REPO_ROOT / "theme" / "hooks"))
import site_data  # noqa: E402

DATA = REPO_ROOT / "content" / "data" / "hotlines.yml"


def _mkdocs_extra() -> dict:
    # mkdocs.yml holds python tags (!!python/name) in places: read the extra block alone.
    text = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    block = re.search(r"^extra:\n((?:[ #].*\n|\n)+)", text, re.MULTILINE)
    assert block, "mkdocs.yml has no extra: block"
    return yaml.safe_load("extra:\n" + block.group(1))["extra"]


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html"))


def _text_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.suffix in {".html", ".css", ".js", ".xml", ".json", ".svg"})


# --- every page ---------------------------------------------------------------------------------------

def test_every_page_has_the_111_link_and_quick_exit(built_site):
    data = site_data.load_hotlines(DATA)
    exit_url = _mkdocs_extra()["quick_exit_url"]
    pages = _pages(built_site)
    assert len(pages) >= 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(built_site)
        assert f'href="tel:{data["primary"]["number"]}"' in html, f"{rel}: no tel: link to 111"
        exit_link = re.search(r'<a class="bvte-exit" href="([^"]+)"[^>]*data-bvte-exit', html)
        assert exit_link, f"{rel}: no quick-exit control"
        assert exit_link.group(1) == exit_url
        assert "Thoát nhanh" in html
        assert "assets/js/quick-exit.js" in html, f"{rel}: quick-exit script missing"


def test_every_tel_link_in_the_site_is_a_number_from_the_data_file(built_site):
    allowed = set(site_data.load_hotlines(DATA)["numbers"])
    found = set()
    for path in _text_files(built_site):
        for number in re.findall(r"""["'(=]tel:([^"'<>)\s]*)""", path.read_text(encoding="utf-8", errors="replace")):
            found.add(number)
            assert number in allowed, f"{path.relative_to(built_site)}: tel:{number} is not in hotlines.yml"
    assert {"111", "113", "115"} <= found


def test_no_phone_like_number_in_the_site_that_the_data_file_does_not_list(built_site):
    data = site_data.load_hotlines(DATA)
    known = set(data["numbers"]) | set(data["former"])
    for path in _text_files(built_site):
        text = path.read_text(encoding="utf-8", errors="replace")
        for found in site_data.phone_like(text):
            digits = re.sub(r"\D", "", found)
            digits = "0" + digits[2:] if found.startswith("+") else digits
            assert digits in known, f"{path.relative_to(built_site)}: phone-like number {found!r}"


# --- nothing from another host -----------------------------------------------------------------------

LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch", "modulepreload",
                "preconnect", "dns-prefetch", "manifest", "mask-icon", "prerender"}


class _Loads(HTMLParser):
    """Collects every URL an HTML page makes the browser load (or send to), not links a reader follows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" or tag == "area":
            return  # a link the reader may follow: fine
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.urls.append((f"<link rel={a.get('rel')}>", a.get("href", "")))
            return
        for name in ("src", "poster", "data", "action", "formaction", "background", "manifest"):
            if name in a:
                self.urls.append((f"<{tag} {name}>", a[name]))
        for name in ("srcset", "imagesrcset"):
            for part in a.get(name, "").split(","):
                if part.strip():
                    self.urls.append((f"<{tag} {name}>", part.strip().split()[0]))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.urls.append(("<meta refresh>", a.get("content", "").partition("url=")[2]))
        if "style" in a:
            self.styles.append(a["style"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag):
        self._in_style = False


CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)""", re.IGNORECASE)
JS_LOAD = re.compile(
    r"""(?:fetch|importScripts|import|open|Worker|SharedWorker|EventSource|WebSocket|sendBeacon)\s*\(\s*"""
    r"""(?:["'`]GET["'`]\s*,\s*)?["'`]((?:https?:|wss?:)?//[^"'`]+)""",
    re.IGNORECASE,
)


def _foreign(url: str) -> bool:
    url = url.strip()
    if url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss", "ftp"} and parts.hostname not in {"127.0.0.1", "localhost"}


def test_no_page_loads_anything_from_another_host(built_site):
    problems = []
    checked = 0
    for path in _text_files(built_site):
        rel = path.relative_to(built_site)
        text = path.read_text(encoding="utf-8", errors="replace")
        css = []
        if path.suffix == ".html":
            parser = _Loads()
            parser.feed(text)
            problems += [f"{rel}: {where} {url}" for where, url in parser.urls if _foreign(url)]
            css = parser.styles
            checked += 1
        elif path.suffix in {".css", ".svg"}:
            css = [text]
        if path.suffix in {".js", ".html"}:
            problems += [f"{rel}: script loads {m.group(1)}" for m in JS_LOAD.finditer(text) if _foreign(m.group(1))]
        for chunk in css:
            for m in CSS_URL.finditer(chunk):
                url = m.group(1) or m.group(2)
                if _foreign(url):
                    problems.append(f"{rel}: css loads {url}")
    assert checked >= 4
    assert not problems, "\n".join(problems)


def test_the_foreign_load_scanner_catches_what_it_should():
    parser = _Loads()
    parser.feed('<a href="https://tongdai111.vn/">ok</a><img src="https://cdn.example/x.png">'
                '<link rel="stylesheet" href="//fonts.example/css"><link rel="canonical" href="https://x.example/">'
                '<style>@import "https://x.example/a.css"; body{background:url(https://x.example/b.png)}</style>')
    foreign = [url for _, url in parser.urls if _foreign(url)]
    assert foreign == ["https://cdn.example/x.png", "//fonts.example/css"]
    assert [m.group(1) or m.group(2) for m in CSS_URL.finditer(" ".join(parser.styles))] == [
        "https://x.example/a.css", "https://x.example/b.png"]
    assert JS_LOAD.search('fetch("https://api.example/x")') and JS_LOAD.search("o.open('GET', 'https://a.example')")
    assert not JS_LOAD.search('fetch("search/search_index.json")')


# --- heading anchors, hotline page ---------------------------------------------------------------------

def test_heading_anchors_drop_tones_and_map_d_stroke(built_site):
    html = (built_site / "duong-day-nong" / "index.html").read_text(encoding="utf-8")
    # "Khi bạn gọi Tổng đài bảo vệ trẻ em": tones dropped, đ → d.
    assert 'id="khi-ban-goi-tong-dai-bao-ve-tre-em"' in html
    assert 'id="goi-so-nao"' in html
    assert slugify("Đánh giá, Đường dây nóng") == "danh-gia-duong-day-nong"
    for page in _pages(built_site):
        for heading_id in re.findall(r'<h[1-6][^>]* id="([^"]*)"', page.read_text(encoding="utf-8")):
            assert heading_id.isascii(), f"{page.relative_to(built_site)}: heading anchor {heading_id!r} keeps tones"


def test_hotline_page_lists_every_hotline_from_the_data_file(built_site):
    data = site_data.load_hotlines(DATA)
    html = (built_site / "duong-day-nong" / "index.html").read_text(encoding="utf-8")
    for hotline in data["hotlines"]:
        assert f'<a class="bvte-call" href="tel:{hotline["number"]}">' in html
        assert hotline["when"].replace('"', "&#34;") in html
        assert hotline["source"] in html
    # 112 being free rests on one source: the page says so.
    card_112 = html.split('id="duong-day-112"')[1].split("</section>")[0]
    assert "chưa được kiểm chứng" in card_112
    # The office's own contact is unknown: nothing is rendered for it.
    assert "duong-day-co-quan" not in html
    # The page's Markdown does not retype the numbers: they come from the data file.
    source = (REPO_ROOT / "content" / "duong-day-nong.md").read_text(encoding="utf-8")
    assert not re.search(r"\b11[1-5]\b", source)
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'class="bvte-hotline bvte-hotline--primary"' in home


# --- the hook: validation of the data file ----------------------------------------------------------------

GOOD = {
    "primary": "111",
    "hotlines": [
        {"number": "111", "name": "Tổng đài", "short": "Tổng đài", "when": "Khi cần.", "cost": "Miễn phí",
         "cost_confidence": "confirmed", "source": "NĐ 56/2017", "channels": [{"name": "Web", "detail": "x.vn",
                                                                                "url": "https://x.vn/"}]},
        {"number": "113", "name": "Công an", "short": "Công an", "when": "Nguy hiểm.", "cost": "0 đồng",
         "cost_confidence": "one source", "source": "TT 02/2020"},
    ],
    "office": {"name": "", "phone": "", "address": ""},
}


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "hotlines.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _broken(change) -> dict:
    import copy

    data = copy.deepcopy(GOOD)
    change(data)
    return data


def test_the_real_data_file_is_valid_and_the_office_fields_are_empty():
    data = site_data.load_hotlines(DATA)
    assert data["primary"]["number"] == "111"
    assert [h["number"] for h in data["hotlines"]][:3] == ["111", "113", "115"]
    assert {h["number"] for h in data["hotlines"]} == {"111", "112", "113", "114", "115"}
    assert all(h["source"] for h in data["hotlines"])
    assert {h["number"]: h["cost_confidence"] for h in data["hotlines"]}["112"] == "one source"
    assert data["office"] == {}  # unknown: left empty for the office to fill in


def test_a_good_file_loads_and_drops_empty_office_fields(tmp_path):
    data = site_data.load_hotlines(_write(tmp_path, GOOD))
    assert data["numbers"] == ["111", "113"]
    assert data["office"] == {}


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["hotlines"][0].pop("number"), "hotlines[0].number"),
    (lambda d: d["hotlines"][1].update(number=113), "hotlines[1].number"),
    (lambda d: d["hotlines"][1].update(number="11-3"), "hotlines[1].number"),
    (lambda d: d["hotlines"][0].pop("source"), "hotlines[0].source"),
    (lambda d: d["hotlines"][1].update(cost_confidence="maybe"), "hotlines[1].cost_confidence"),
    (lambda d: d["hotlines"][0]["channels"][0].update(url="http://x.vn/"), "hotlines[0].channels[0].url"),
    (lambda d: d["hotlines"][1].update(colour="red"), "hotlines[1].colour"),
    (lambda d: d.update(primary="999"), "primary"),
    (lambda d: d["hotlines"].append(dict(d["hotlines"][1])), "hotlines[2].number"),
    (lambda d: d["office"].update(phone="02153123456"), "office.source"),
    (lambda d: d["office"].update(fax="1"), "office.fax"),
    (lambda d: d.update(hotlines={}), "hotlines"),
])
def test_a_bad_field_is_refused_naming_the_file_and_the_field(tmp_path, change, field):
    path = _write(tmp_path, _broken(change))
    with pytest.raises(PluginError) as error:
        site_data.load_hotlines(path)
    assert str(path) in str(error.value)
    assert f"'{field}'" in str(error.value)


def test_broken_yaml_and_missing_file_are_refused_clearly(tmp_path):
    with pytest.raises(PluginError, match="YAML không hợp lệ"):
        site_data.load_hotlines(_write(tmp_path, "primary: [\n"))
    with pytest.raises(PluginError, match="thiếu tệp"):
        site_data.load_hotlines(tmp_path / "missing.yml")


def test_the_guard_refuses_unknown_numbers_and_lets_dates_and_document_numbers_pass():
    allowed, former = {"111", "113"}, {"18001567"}
    site_data.check_numbers('<a href="tel:111">111</a> thay cho số 18001567, ngày 06/12/2017, '
                            "Công văn 2138/UBND-KGVX, 323.615 cuộc gọi, mã 03256, bundle.0123456789.min.js",
                            allowed, former, "p.md")
    for bad in ('<a href="tel:0912345678">gọi</a>', '<a href="tel:114">gọi</a>', "Gọi 0912 345 678 nhé",
                "Gọi 0215.3812.345", "Số +84 912 345 678", "Tổng đài 1900 1234"):
        with pytest.raises(PluginError, match="p.md"):
            site_data.check_numbers(bad, allowed, former, "p.md")


# --- the hook in a real build: data rendered, guard on ---------------------------------------------------

def _mini_site(tmp_path: Path, office: dict, page: str) -> Path:
    docs = tmp_path / "docs"
    (docs / "data").mkdir(parents=True)
    data = dict(GOOD, office=office)
    (docs / "data" / "hotlines.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (docs / "index.md").write_text(page, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(textwrap.dedent(f"""\
        site_name: Thử
        docs_dir: {docs}
        exclude_docs: |
          /data/
        theme:
          name: material
          custom_dir: {REPO_ROOT / "theme"}
          language: vi
          font: false
        plugins: []
        hooks:
          - {REPO_ROOT / "theme" / "hooks" / "slug.py"}
          - {REPO_ROOT / "theme" / "hooks" / "site_data.py"}
        extra:
          quick_exit_url: https://neutral.example/
        """), encoding="utf-8")
    return config


def test_a_build_renders_the_office_contact_when_filled_and_nothing_for_empty_fields(tmp_path):
    office = {"name": "Phòng Thử", "phone": "02150000000", "address": "", "source": "Văn phòng, 2026"}
    config = _mini_site(tmp_path, office, "# Thử\n\n<!-- bvte:hotlines -->\n")
    result = build_site(tmp_path / "out", config)
    assert result.returncode == 0, result.stderr[-3000:]
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="duong-day-co-quan">Phòng Thử</h2>' in html
    assert 'href="tel:02150000000"' in html
    assert "Địa chỉ" not in html and "Thư điện tử" not in html
    assert 'href="https://neutral.example/"' in html


def test_a_build_with_a_number_not_in_the_data_file_fails_naming_page_and_number(tmp_path):
    config = _mini_site(tmp_path, {}, "# Thử\n\n[Gọi](tel:0912345678)\n")
    result = build_site(tmp_path / "out", config)
    assert result.returncode != 0
    assert "index.md" in result.stderr and "tel:0912345678" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_build_without_a_quick_exit_url_fails_clearly(tmp_path):
    config = _mini_site(tmp_path, {}, "# Thử\n")
    config.write_text(config.read_text(encoding="utf-8").replace("https://neutral.example/", "neutral"),
                      encoding="utf-8")
    result = build_site(tmp_path / "out", config)
    assert result.returncode != 0
    assert "extra.quick_exit_url" in result.stderr and "Traceback" not in result.stderr
