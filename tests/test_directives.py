"""Directives in the form of Nghị định 30/2020: front-matter validation, seeds, index, filters, feed.

Bad front matter is refused naming the file, the field and what was expected: every case through the
model the build hook calls, and two through a build of a temporary copy of the site (mkdocs.yml, content,
theme) with the bad directive added, which must fail with that message and without a traceback. The good cases build a copy with a few extra directives (dates, issuers, a citation between
them, enough rows for a second index page). The front-matter model alone, without mkdocs, is tested in
test_directive_model.py (the Babel dates among it).
"""

from __future__ import annotations

import html
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from conftest import build_site
from functions.config import REPO_ROOT
from directive_samples import GOOD

# The seeds live in ../shared beside the repository (as in CI).
SEEDS = REPO_ROOT.parent / "shared" / "seeds"
SEED_DIRECTIVE = "van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em"
SEED_NOTICE = "tin-tuc/2023-ke-hoach-450-phong-chong-xam-hai-tre-em"
ATOM = "{http://www.w3.org/2005/Atom}"


def _copy_project(dest: Path) -> Path:
    for name in ("content", "theme"):
        shutil.copytree(REPO_ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    return dest / "mkdocs.yml"


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _between(page: str, start: str, end: str) -> str:
    i = page.index(start)
    return page[i : page.index(end, i)]


def _read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")




def _directive(meta: dict, body: str = "Nội dung thử./.") -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


# ------------------------------------------------------------------------------------ validation


def _without(key):
    def change(meta):
        del meta[key]
    return change


def _set(path, value):
    def change(meta):
        target = meta
        *parents, last = path
        for p in parents:
            target = target[p]
        target[last] = value
    return change


BAD_CASES = [
    # (id, change, field named in the error, words of the expectation)
    ("missing-subject", _without("subject"), '"subject"', "trường bắt buộc"),
    ("missing-number-key", _without("number"), '"number"', "chưa ghi số"),
    ("recipients-wrong-type", _set(["recipients"], "UBND các xã"), '"recipients"', "danh sách"),
    ("subject-wrong-type", _set(["subject"], 42), '"subject"', "chuỗi văn bản"),
    ("malformed-date", _set(["date"], "2023-13-45"), '"date"', "YYYY-MM-DD"),
    ("date-not-a-date", _set(["date"], "18/4/2023"), '"date"', "YYYY-MM-DD"),
    ("bad-authority-prefix", _set(["signature", "authority", 0, "prefix"], "K.T"), '"signature.authority[0].prefix"',
     "TM., KT., Q., TL., TUQ."),
    ("cited-without-title", lambda m: m["cites"][0].pop("title"), '"cites[0].title"', "trường bắt buộc"),
    ("cited-bad-date", _set(["cites", 0, "date"], "hôm qua"), '"cites[0].date"', "YYYY-MM-DD"),
    ("cited-page-missing", _set(["cites", 0, "page"], "van-ban/khong-co.md"), '"cites[0].page"', "có trong content/"),
    ("unknown-type", _set(["type"], "Thư tay"), '"type"', "Nghị định 30/2020/NĐ-CP"),
    ("malformed-number", _set(["number"], "12a"), '"number"', "chữ số"),
    ("symbol-with-slash", _set(["symbol"], "/UBND-VX"), '"symbol"', "không có số"),
    ("distribution-without-archive", _set(["distribution"], ["Như trên."]), '"distribution"', "Lưu:"),
    ("unknown-key", lambda m: m.update(signatre={}), '"signatre"', "một trong các khóa"),
    ("correction-of-body", lambda m: m.update(corrections=[{"field": "body", "source": "a", "shown": "b", "reason": "c"}]),
     '"corrections[0].field"', "không được sửa"),
]


# Every case is checked against the model the build hook calls (milliseconds each); the build itself runs
# for one model error and for the one rule only the whole site can check (a cited page that is missing), to
# prove the hook turns them into a failed build naming file, field and expectation, without a traceback.
BUILT_CASES = ("missing-subject", "cited-page-missing")


def _site_error(meta: dict, uri: str) -> str:
    """The error the whole-site checks give ``meta`` beside the real content (links to pages), or ""."""
    from bvte_hooks.directive_catalog import check_links
    from bvte_hooks.directive_model import FieldError, parse_directive

    pages = {p.relative_to(REPO_ROOT / "content").as_posix() for p in (REPO_ROOT / "content").rglob("*.md")}
    try:
        check_links(parse_directive(meta, uri, uri.removesuffix(".md") + "/"), pages | {uri})
    except FieldError as exc:
        return exc.message(f"content/{uri}")
    return ""


@pytest.mark.parametrize("change,field,expected", [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_bad_front_matter_is_refused_naming_file_field_and_expectation(change, field, expected):
    from bvte_hooks.directive_model import FieldError, parse_directive

    meta = yaml.safe_load(yaml.safe_dump(GOOD))  # deep copy
    change(meta)
    try:
        parse_directive(meta, "van-ban/sai.md", "van-ban/sai/")
        error = _site_error(meta, "van-ban/sai.md")
    except FieldError as exc:
        error = exc.message("content/van-ban/sai.md")
    assert error.startswith("content/van-ban/sai.md: ")
    assert field in error and expected in error, error


@pytest.mark.parametrize("change,field,expected", [c[1:] for c in BAD_CASES if c[0] in BUILT_CASES],
                         ids=[c[0] for c in BAD_CASES if c[0] in BUILT_CASES])
def test_bad_front_matter_fails_the_build_naming_file_field_and_expectation(tmp_path, change, field, expected):
    config = _copy_project(tmp_path / "project")
    meta = yaml.safe_load(yaml.safe_dump(GOOD))  # deep copy
    change(meta)
    (tmp_path / "project/content/van-ban/sai.md").write_text(_directive(meta), encoding="utf-8")
    result = build_site(tmp_path / "out", config_file=config)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    error = next(line for line in output.splitlines() if "van-ban/sai.md" in line)
    assert field in error and expected in error, error
    assert "Traceback" not in output


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    config = _copy_project(tmp_path / "project")
    (tmp_path / "project/content/van-ban/sai.md").write_text("---\nsubject: [chưa đóng\ntype: Công văn\n---\nx\n",
                                                             encoding="utf-8")
    result = build_site(tmp_path / "out", config_file=config)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r'van-ban/sai\.md: trường "---": cần YAML hợp lệ \(lỗi ở dòng \d+', output), output[-2000:]
    assert "Traceback" not in output


def test_the_good_directive_of_these_tests_builds(tmp_path):
    """The bad cases differ from this one by one field: it must build, or they prove nothing."""
    config = _copy_project(tmp_path / "project")
    (tmp_path / "project/content/van-ban/tot.md").write_text(_directive(GOOD), encoding="utf-8")
    result = build_site(tmp_path / "out", config_file=config)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "thử nghiệm kiểm tra dữ liệu" in _read(tmp_path / "out", "van-ban/tot")


# ------------------------------------------------------------------------------------ the real site


def test_seed_directive_is_published_in_official_form(built_site):
    page = _read(built_site, SEED_DIRECTIVE)
    head = _text(_between(page, '<header class="nd30-head">', "</header>"))
    assert "ỦY BAN NHÂN DÂN HUYỆN MƯỜNG ẢNG" in head
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head and "Độc lập - Tự do - Hạnh phúc" in head
    assert "Số: /UBND-LĐTĐ&XH (chưa ghi số)" in head
    assert "Mường Ảng, ngày … tháng … năm 2024" in head
    assert "V/v tăng cường thực hiện các hoạt động bảo vệ, chăm sóc trẻ em trên địa bàn huyện năm 2024" in head
    recipients = _text(_between(page, '<div class="nd30-recipients">', "</div>"))
    assert recipients == "Kính gửi: Các cơ quan, ban, ngành, đoàn thể huyện; UBND các xã, thị trấn."
    foot = _text(_between(page, '<footer class="nd30-foot">', "</footer>"))
    assert foot == ("Nơi nhận: Như trên; Lãnh đạo UBND huyện; Lưu: VT. "
                    "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH Đinh Văn Sơn")
    # The source's misspelling of the district is disclosed, not silently dropped.
    assert "HUYỆN MUỜNG ẮNG" in page and "Muờng Ắng" in page


def test_seed_directive_body_is_the_source_text(built_site):
    source = (SEEDS / "000_902befdc0149066c.txt").read_text(encoding="utf-8")
    expected = source[source.index("Thực hiện Công văn số 2138") : source.index("Nơi nhận:")]
    body = _between(_read(built_site, SEED_DIRECTIVE), '<div class="nd30-body">', "</div>")
    paragraphs = [_text(p) for p in re.findall(r"<p>(.*?)</p>", body, re.S)]
    assert paragraphs == [p.strip() for p in expected.split("\n\n") if p.strip()]


def test_seed_notice_is_published_as_a_notice(built_site):
    page = _read(built_site, SEED_NOTICE)
    source = (SEEDS / "002_f3238cfd519569fe.txt").read_text(encoding="utf-8")
    expected = source[source.index("Ngày 18/4/2023") : source.index("Đang truy cập")]
    body = _between(page, '<div class="bvte-notice__body">', "</div>")
    paragraphs = [_text(p) for p in re.findall(r"<p>(.*?)</p>", body, re.S)]
    assert paragraphs == [re.sub(r"\s+", " ", p).strip() for p in expected.split("\n\n") if p.strip()]
    assert "Quy trình cam thiệp 06 bước" in page  # the source's typo is kept
    assert "Thông tin chỉ đạo, điều hành của UBND huyện" in page
    article = _between(page, '<article class="bvte-notice"', "</article>")
    assert "Đang truy cập" not in article and "Tổng lượt truy cập" not in article  # the old portal's counter
    assert "5373" not in page and "3,566,832" not in page
    assert not (built_site / "van-ban/ke-hoach-450").exists()
    cited = _text(_between(page, '<ul class="nd30-cited">', "</ul>"))
    for number, date, title in [
        ("Chỉ thị số 18/CT-TTg", "ngày 16/05/2017", "về việc tăng cường giải pháp phòng, chống bạo lực, xâm hại trẻ em"),
        ("Chỉ thị số 08/CT-TTg", "ngày 04/02/2020", "về việc đẩy mạnh công tác phòng, chống bạo lực gia đình"),
        ("Chỉ thị số 23/CT-TTg", "ngày 26/05/2020", "bảo đảm thực hiện quyền trẻ em và bảo vệ trẻ em"),
        ("Nghị định số 56/2017/NĐ-CP", "ngày 09/05/2017", "quy định chi tiết một số điều của Luật Trẻ em"),
    ]:
        assert number in cited and date in cited and title in cited
    assert "<a" not in _between(page, '<ul class="nd30-cited">', "</ul>")  # the site holds none of them


def test_seeds_listed_in_the_index_with_their_trich_yeu(built_site):
    index = _read(built_site, "van-ban")
    assert "V/v tăng cường thực hiện các hoạt động bảo vệ, chăm sóc trẻ em trên địa bàn huyện năm 2024" in index
    assert "Công văn số …/UBND-LĐTĐ&amp;XH (chưa ghi số)" in index
    assert "Kế hoạch số 450/UBND-LĐTBXH về việc tăng cường các giải pháp phòng, chống xâm hại trẻ em" in index
    assert re.search(r'<link rel="alternate feed" type="application/atom\+xml"[^>]*href="feed.xml"', index)


def test_directives_stay_out_of_the_nav_but_the_index_is_in_it(built_site):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'href="van-ban/"' in home
    assert SEED_DIRECTIVE not in home


def test_print_stylesheet_sets_a4_and_nd30_margins():
    css = (REPO_ROOT / "theme/assets/css/print.css").read_text(encoding="utf-8")
    page_rule = re.search(r"@page\s*{([^}]*)}", css).group(1)
    assert "size: A4" in page_rule
    top, right, bottom, left = (int(v) for v in re.search(r"margin:\s*(\d+)mm (\d+)mm (\d+)mm (\d+)mm", page_rule).groups())
    assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20
    assert '"Times New Roman"' in css


# ------------------------------------------------------------------------------------ a larger site


@pytest.fixture(scope="module")
def site_with_more(tmp_path_factory):
    """The real site plus 3 dated directives (2 issuers, one citing another) and 55 filler directives of 2021."""
    root = tmp_path_factory.mktemp("more")
    config = _copy_project(root / "project")
    folder = root / "project/content/van-ban"
    base = yaml.safe_load(yaml.safe_dump(GOOD))
    base["cites"] = []
    extra = {
        "a.md": dict(base, number=450, symbol="UBND-LĐTBXH", date="2023-04-18", type="Kế hoạch",
                     subject="về việc tăng cường các giải pháp phòng, chống xâm hại trẻ em trên địa bàn huyện"),
        "b.md": dict(base, number=7, symbol="UBND-VX", date="2024-02-05", subject="văn bản dẫn chiếu kế hoạch 450",
                     cites=[{"type": "Kế hoạch", "number": "450/UBND-LĐTBXH", "date": "2023-04-18",
                             "issuer": "UBND huyện Mường Ảng", "title": "về việc tăng cường các giải pháp"},
                            {"number": "18/CT-TTg", "date": "2017-05-16", "issuer": "Thủ tướng Chính phủ",
                             "title": "về việc tăng cường giải pháp phòng, chống bạo lực, xâm hại trẻ em"},
                            {"number": "99/TB-XYZ", "date": "2020", "issuer": "Nơi khác", "title": "tin trong trang",
                             "page": SEED_NOTICE + ".md"}]),
        "c.md": dict(base, number=3, symbol="UBND-VX", date="2022-11-30", subject="văn bản của tỉnh",
                     issuer={"name": "Ủy ban nhân dân tỉnh Điện Biên", "header": ["ỦY BAN NHÂN DÂN", "TỈNH ĐIỆN BIÊN"]}),
    }
    (folder / "2022").mkdir()
    extra["2022/d.md"] = dict(base, number=4, date="2022-11-29", subject="văn bản trong thư mục con")
    for n in range(55):
        extra[f"f{n:02d}.md"] = dict(base, number=100 + n, date=f"2021-03-{n % 28 + 1:02d}", subject=f"văn bản lấp số {n}")
    for name, meta in extra.items():
        (folder / name).write_text(_directive(meta), encoding="utf-8")  # 59 directives with the seed
    result = build_site(root / "site", config_file=config)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "site"


def _subjects(page: str) -> list[str]:
    """The trích yếu of the directive rows, in page order (the notices listed below are not rows)."""
    rows = _between(page, '<ol class="bvte-dirlist">', "</ol>")
    return [_text(s) for s in re.findall(r'class="bvte-dirlist__subject" href="[^"]*">(.*?)</a>', rows, re.S)]


def test_index_is_newest_first_and_paginated(site_with_more):
    first = _subjects(_read(site_with_more, "van-ban"))
    assert first[:4] == [
        "V/v văn bản dẫn chiếu kế hoạch 450",  # 05/02/2024
        "V/v tăng cường thực hiện các hoạt động bảo vệ, chăm sóc trẻ em trên địa bàn huyện năm 2024",  # year only
        "về việc tăng cường các giải pháp phòng, chống xâm hại trẻ em trên địa bàn huyện",  # 18/04/2023
        "V/v văn bản của tỉnh",  # 30/11/2022
    ]
    assert len(first) == 50
    second = _subjects(_read(site_with_more, "van-ban/trang-2"))
    assert len(second) == 60 - 50 and not set(first) & set(second)
    assert 'href="trang-2/">Trang 2</a>' in _read(site_with_more, "van-ban/nam-2021")  # 55 rows of 2021
    assert len(_subjects(_read(site_with_more, "van-ban/nam-2021/trang-2"))) == 5


def test_worker_rendering_gives_the_same_site_as_one_process(site_with_more, tmp_path):
    """Large sites render directives in worker processes (``directive_workers.PARALLEL_FROM`` on): the larger
    site built so is the same as built in one process, byte for byte."""
    project = site_with_more.parent / "project"
    parallel = tmp_path / "parallel"
    result = build_site(parallel, config_file=project / "mkdocs.yml", env={"BVTE_DIRECTIVES_PARALLEL_FROM": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    serial = {p.relative_to(site_with_more): p for p in site_with_more.rglob("*") if p.is_file()}
    by_workers = {p.relative_to(parallel): p for p in parallel.rglob("*") if p.is_file()}
    assert serial.keys() == by_workers.keys()
    # The XLSX template records its creation time; every other file must match byte for byte.
    differing = [str(rel) for rel, path in serial.items()
                 if rel.suffix != ".xlsx" and path.read_bytes() != by_workers[rel].read_bytes()]
    assert differing == []
    directives = [rel for rel in serial if rel.parts[0] == "van-ban" and rel.name == "index.html"
                  and (project / "content" / rel.parent).with_suffix(".md").exists()]
    assert len(directives) == 60  # the seed directive and the 59 of this site


def test_index_filters_by_year_and_issuer_without_javascript(site_with_more):
    index = _read(site_with_more, "van-ban")
    filters = _between(index, '<nav class="bvte-filters"', "</nav>")
    for href in ('href="nam-2024/"', 'href="nam-2023/"', 'href="nam-2022/"', 'href="nam-2021/"',
                 'href="co-quan/uy-ban-nhan-dan-tinh-dien-bien/"', 'href="co-quan/uy-ban-nhan-dan-huyen-muong-ang/"'):
        assert href in filters
    assert "<script" not in filters
    year_2023 = _subjects(_read(site_with_more, "van-ban/nam-2023"))
    assert year_2023 == ["về việc tăng cường các giải pháp phòng, chống xâm hại trẻ em trên địa bàn huyện"]
    province = _subjects(_read(site_with_more, "van-ban/co-quan/uy-ban-nhan-dan-tinh-dien-bien"))
    assert province == ["V/v văn bản của tỉnh"]
    both = _read(site_with_more, "van-ban/co-quan/uy-ban-nhan-dan-huyen-muong-ang/nam-2024")
    assert _subjects(both) == ["V/v văn bản dẫn chiếu kế hoạch 450",
                               "V/v tăng cường thực hiện các hoạt động bảo vệ, chăm sóc trẻ em trên địa bàn huyện năm 2024"]
    assert 'aria-current="page">2024</a>' in both


def test_cited_document_held_is_a_link_others_are_listed(site_with_more):
    page = _read(site_with_more, "van-ban/b")
    cited = _between(page, '<ul class="nd30-cited">', "</ul>")
    assert '<a href="../a/">Kế hoạch số 450/UBND-LĐTBXH</a>' in cited  # held: matched on number/symbol
    assert f'<a href="../../{SEED_NOTICE}/">số 99/TB-XYZ</a>' in cited  # held: explicit page
    assert "<span class=\"nd30-cited-number\">số 18/CT-TTg</span>" in cited  # not held: plain
    assert "ngày 16/05/2017 của Thủ tướng Chính phủ về việc tăng cường giải pháp" in _text(cited)
    assert "Hà Nội" not in cited


def test_date_line_of_a_full_date(site_with_more):
    page = _read(site_with_more, "van-ban/a")
    assert '<time datetime="2023-04-18">Mường Ảng, ngày 18 tháng 4 năm 2023</time>' in page
    assert "Số: 450/UBND-LĐTBXH" in _text(page)
    assert '<span class="nd30-type">KẾ HOẠCH</span>' in page  # not a công văn: type and trích yếu as a title


def test_atom_feed_parses_and_lists_the_directives(site_with_more):
    feed = ET.parse(site_with_more / "van-ban/feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50  # the newest 50 of 60
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0] == "Công văn số 7/UBND-VX: V/v văn bản dẫn chiếu kế hoạch 450"
    assert any("…/UBND-LĐTĐ&XH" in t for t in titles)
    for e in entries:
        assert e.findtext(f"{ATOM}id").startswith("urn:uuid:")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00Z", e.findtext(f"{ATOM}updated"))
        href = e.find(f"{ATOM}link").get("href")
        assert (site_with_more / "van-ban" / href / "index.html").exists()
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 50


def test_duplicate_number_in_a_year_fails(tmp_path):
    config = _copy_project(tmp_path / "project")
    for name in ("x.md", "y.md"):
        (tmp_path / f"project/content/van-ban/{name}").write_text(_directive(GOOD), encoding="utf-8")
    result = build_site(tmp_path / "out", config_file=config)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r'van-ban/[xy]\.md: trường "number": cần số, ký hiệu không trùng trong năm', output), output[-2000:]
    assert "Traceback" not in output


def test_directive_pages_carry_the_site_chrome_and_their_own_title(site_with_more):
    """Directives are put into a chrome rendered once per folder depth: check both depths."""
    for path, assets, title in [("van-ban/a", "../../assets/", "Kế hoạch số 450/UBND-LĐTBXH: về việc tăng cường"),
                                ("van-ban/2022/d", "../../../assets/", "Công văn số 4/UBND-VX: V/v văn bản trong thư mục con")]:
        page = _read(site_with_more, path)
        assert page.count("<html") == 1 and page.count('<article class="nd30"') == 1
        assert f"<title>{title}" in page
        assert 'href="tel:111"' in page  # the 111 bar of the chrome
        assert f'href="{assets}stylesheets/main.' in page  # relative links right for this depth
        assert "\x00" not in page and "bvte-directive-" not in page  # no marker left
    assert "V/v văn bản trong thư mục con" in _subjects(_read(site_with_more, "van-ban/nam-2022"))
