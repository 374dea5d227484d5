"""The directives' parts without a build: front-matter model and validation, the catalog's rules (unique
numbers, citations, links) and the generated index pages. The builds in test_directives.py test the same
rules through mkdocs; these name the rule that broke, in milliseconds."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from bvte_hooks import directive_listings as listings
from bvte_hooks.directive_catalog import Catalog, check_links
from bvte_hooks.directive_model import (
    Cited, FieldError, NotLoaded, PartialDate, parse_directive, parse_notice, split_front_matter,
)
from directive_samples import GOOD

PROVINCE = {"name": "Ủy ban nhân dân tỉnh Điện Biên", "header": ["ỦY BAN NHÂN DÂN", "TỈNH ĐIỆN BIÊN"]}


def _directive(uri: str = "van-ban/a.md", **changes):
    meta = copy.deepcopy(GOOD)
    meta.update(changes)
    return parse_directive(meta, uri, uri.removesuffix(".md") + "/")


def test_the_parts_import_by_name_without_mkdocs_or_path_edits(tmp_path):
    """The package is installed (pyproject.toml): importable from anywhere, and the model needs no mkdocs."""
    code = ("import sys; import bvte_hooks.directive_model, bvte_hooks.directive_catalog; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mkdocs'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_date_line_in_vietnamese_via_babel():
    D = PartialDate
    assert D(2023, 4, 18).long() == "ngày 18 tháng 4 năm 2023"
    # NĐ 30 Phụ lục I: days below 10 and the months 1 and 2 take a leading zero.
    assert D(2019, 1, 3).long() == "ngày 03 tháng 01 năm 2019"
    assert D(2024, 12, 5).long() == "ngày 05 tháng 12 năm 2024"
    assert D(2024).long() == "ngày … tháng … năm 2024"
    assert D(2024, 5).long() == "ngày … tháng 5 năm 2024"
    assert D(2024, 5, 13).short() == "13/05/2024" and D(2024).short() == "năm 2024"


def test_a_good_front_matter_becomes_a_directive():
    d = _directive()
    assert d.number_symbol == "12/UBND-VX" and d.numbered
    assert d.title == "Công văn số 12/UBND-VX: V/v thử nghiệm kiểm tra dữ liệu"
    assert d.date_line == "Mường Ảng, ngày 18 tháng 4 năm 2023"
    assert d.issuer_slug == "uy-ban-nhan-dan-huyen-muong-ang"
    assert d.key == "12/ubnd-vx"
    assert d.cites[0].label() == "số 18/CT-TTg" and d.cites[0].date == PartialDate(2017, 5, 16)
    draft = _directive(number=None, date=2024, type="Kế hoạch")
    assert draft.number_symbol == "…/UBND-VX" and not draft.numbered
    assert draft.subject_line == "thử nghiệm kiểm tra dữ liệu"  # not a công văn: no "V/v"
    assert draft.date.iso == "2024" and draft.date.on() == "năm 2024"


@pytest.mark.parametrize(("change", "field"), [
    ({"subject": ""}, "subject"),
    ({"number": "12a"}, "number"),
    ({"number": True}, "number"),
    ({"date": "2023-02-30"}, "date"),
    ({"date": "1800"}, "date"),
    ({"symbol": "UBND VX"}, "symbol"),
    ({"symbol": "123"}, "symbol"),
    ({"distribution": []}, "distribution"),
    ({"issuer": {"name": "X", "header": []}}, "issuer.header"),
    ({"signature": {"authority": [{"prefix": "KT.", "of": ""}], "title": "T", "signer": "S"}}, "signature.authority[0].of"),
    ({"cites": [{"number": "1/X", "date": "2020", "issuer": "X", "title": "t", "page": "a.html"}]}, "cites[0].page"),
    ({"cites": [{"number": "1/X", "date": "2020", "issuer": "X", "title": "t", "url": "x"}]}, "cites[0].url"),
    ({"attachments": [{"title": "Phụ lục"}]}, "attachments[0].file"),
    ({"corrections": [{"field": "subject", "source": "a", "shown": "b", "reason": "c"}]}, "corrections[0].field"),
])
def test_a_bad_field_is_named(change, field):
    with pytest.raises(FieldError) as error:
        _directive(**change)
    assert error.value.field_name == field
    assert error.value.message("content/van-ban/a.md").startswith(f'content/van-ban/a.md: trường "{field}": cần ')


def test_a_notice_needs_what_it_is_about():
    meta = {"title": "Tin", "category": "Tin tức", "date": None, "source": "Cổng thông tin",
            "about": {"number": "450/UBND-LĐTBXH", "date": "2023-04-18", "issuer": "UBND huyện", "title": "về việc"}}
    notice = parse_notice(meta, "tin-tuc/t.md", "tin-tuc/t/")
    assert notice.date is None and notice.about.number == "450/UBND-LĐTBXH"
    with pytest.raises(FieldError, match="about"):
        parse_notice({k: v for k, v in meta.items() if k != "about"}, "tin-tuc/t.md", "tin-tuc/t/")


def test_front_matter_is_split_from_the_body_and_yaml_errors_give_the_line():
    meta, body = split_front_matter("---\ntype: Công văn\nnumber: 3\n---\n\n\nThực hiện …\n")
    assert meta == {"type": "Công văn", "number": 3} and body == "Thực hiện …\n"
    # A front matter a worker already loaded is taken as it is.
    assert split_front_matter("---\nx: 1\n---\nbody", {"x": 2})[0] == {"x": 2}
    with pytest.raises(FieldError) as error:
        split_front_matter("---\ntype: Công văn\nsubject: [chưa đóng\n---\nx\n", NotLoaded)
    assert "dòng 4" in error.value.expected
    for text in ("không có phần đầu\n", "---\n- a\n- b\n---\nx\n"):
        with pytest.raises(FieldError) as error:
            split_front_matter(text)
        assert error.value.field_name == "---"


def test_a_number_is_used_once_a_year_by_one_issuer():
    catalog = Catalog()
    catalog.add_directive(_directive("van-ban/a.md"))
    catalog.add_directive(_directive("van-ban/b.md", issuer=PROVINCE))  # another issuer
    catalog.add_directive(_directive("van-ban/c.md", date="2024-01-02"))  # numbers restart each year
    catalog.add_directive(_directive("van-ban/d.md", number=None))  # drafts have no number yet
    catalog.add_directive(_directive("van-ban/e.md", number=None))
    with pytest.raises(FieldError) as error:
        catalog.add_directive(_directive("van-ban/f.md", symbol="ubnd-vx"))  # case does not make it another
    assert error.value.field_name == "number" and "van-ban/a.md" in error.value.expected
    assert list(catalog.directives) == ["van-ban/a.md", "van-ban/b.md", "van-ban/c.md", "van-ban/d.md", "van-ban/e.md"]


def test_a_citation_finds_the_directive_it_names():
    catalog = Catalog()
    for uri, issuer in (("van-ban/a.md", GOOD["issuer"]), ("van-ban/b.md", PROVINCE)):
        catalog.add_directive(_directive(uri, issuer=issuer))
    catalog.add_directive(_directive("van-ban/c.md", number=7))

    def cite(number, date, issuer):
        return Cited(number=number, date=PartialDate(*date), issuer=issuer, title="")

    assert catalog.held(cite("7/ubnd-vx", (2023,), "ai đó")).src_uri == "van-ban/c.md"
    # Two issuers used 12/UBND-VX in 2023: the citation's issuer decides, "UBND" written short or not.
    assert catalog.held(cite("12/UBND-VX", (2023, 4, 18), "UBND tỉnh Điện Biên")).src_uri == "van-ban/b.md"
    assert catalog.held(cite("12/UBND-VX", (2023,), "Ủy ban nhân dân huyện Mường Ảng")).src_uri == "van-ban/a.md"
    assert catalog.held(cite("12/UBND-VX", (2023,), "Sở Y tế")) is None
    assert catalog.held(cite("7/UBND-VX", (2022,), "ai đó")) is None  # another year


def test_pages_and_files_a_document_points_to_must_exist():
    d = _directive(attachments=[{"title": "Phụ lục", "file": "van-ban/tep/pl.pdf"}],
                   cites=[{"number": "1/X", "date": "2020", "issuer": "X", "title": "t", "page": "van-ban/x.md"}])
    check_links(d, {"van-ban/x.md", "van-ban/tep/pl.pdf"})
    with pytest.raises(FieldError, match=r"cites\[0\]\.page"):
        check_links(d, {"van-ban/tep/pl.pdf"})
    with pytest.raises(FieldError, match=r"attachments\[0\]\.file"):
        check_links(d, {"van-ban/x.md"})


def test_index_pages_by_year_and_issuer_paginated():
    catalog = Catalog()
    for i in range(listings.PAGE_SIZE + 1):  # one more than a page, all of the district in 2023
        catalog.add_directive(_directive(f"van-ban/{i:02d}.md", number=i + 1, date=f"2023-01-{i % 28 + 1:02d}"))
    catalog.add_directive(_directive("van-ban/p.md", issuer=PROVINCE, date="2021"))
    pages = listings.listings(catalog.newest_first(), catalog.issuers())
    district = "co-quan/uy-ban-nhan-dan-huyen-muong-ang"
    assert sorted(pages) == sorted([
        "van-ban/index.md", "van-ban/trang-2/index.md", "van-ban/nam-2023/index.md", "van-ban/nam-2023/trang-2/index.md",
        "van-ban/nam-2021/index.md", f"van-ban/{district}/index.md", f"van-ban/{district}/trang-2/index.md",
        f"van-ban/{district}/nam-2023/index.md", f"van-ban/{district}/nam-2023/trang-2/index.md",
        "van-ban/co-quan/uy-ban-nhan-dan-tinh-dien-bien/index.md",
        "van-ban/co-quan/uy-ban-nhan-dan-tinh-dien-bien/nam-2021/index.md",
    ])
    first, second = pages["van-ban/index.md"], pages["van-ban/trang-2/index.md"]
    # The oldest of 2023 (the 1st of January, lowest number) and the one of 2021 go to page 2.
    assert len(first.rows) == listings.PAGE_SIZE and [d.src_uri for d in second.rows] == ["van-ban/00.md", "van-ban/p.md"]
    assert first.rows[0].date >= first.rows[-1].date  # newest first
    assert pages["van-ban/co-quan/uy-ban-nhan-dan-tinh-dien-bien/nam-2021/index.md"].title == \
        "Văn bản chỉ đạo của Ủy ban nhân dân tỉnh Điện Biên năm 2021"
    assert 'title: "Văn bản chỉ đạo (trang 2)"' in second.markdown()

    links = listings.filters(pages["van-ban/nam-2021/index.md"], pages, catalog.issuers(), catalog.years(),
                             rel=lambda target: "/" + target)
    assert links["year_filters"] == [("Tất cả các năm", "/van-ban/", False), ("2023", "/van-ban/nam-2023/", False),
                                     ("2021", "/van-ban/nam-2021/", True)]
    # In 2021 only the province issued: the district has no page for that year, so no link to it.
    assert [label for label, _url, _current in links["issuer_filters"]] == ["Tất cả cơ quan", "Ủy ban nhân dân tỉnh Điện Biên"]
    assert links["pager"] == []
    assert [n for n, _url, _current in listings.filters(second, pages, catalog.issuers(), catalog.years(),
                                                         rel=str)["pager"]] == [1, 2]


def test_file_names_of_the_generated_pages_are_reserved():
    assert all(listings.reserved(stem) for stem in ("index", "feed", "co-quan", "trang-2", "nam-2024"))
    assert not any(listings.reserved(stem) for stem in ("trang", "nam-hoc", "2024-cong-van", "feeds"))
