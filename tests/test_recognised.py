"""The public list of recognised communes (theme/hooks/recognised.py over content/data/recognised.yml):
checked field by field with the file, entry and field named; listed by year, newest first, escaped; a
sentence when there is none yet (as the real data file is today)."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from functions.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "theme" / "hooks"))
import recognised  # noqa: E402

TODAY = dt.date(2027, 3, 1)
GOOD = {"commune": "bung-lao", "year": 2026, "decision_number": "12/QĐ-UBND", "decision_date": "2027-01-15",
        "issuer": "Ủy ban nhân dân <tỉnh>"}


@pytest.fixture
def content(tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copy(REPO_ROOT / "content" / "data" / "places.yml", tmp_path / "data" / "places.yml")
    return tmp_path


def write(content: Path, entries) -> None:
    import yaml

    text = yaml.safe_dump({"recognised": entries}, allow_unicode=True)
    (content / "data" / "recognised.yml").write_text(text.replace("'2027-01-15'", "2027-01-15"), encoding="utf-8")


def test_entries_are_listed_by_year_newest_first_and_escaped(content):
    write(content, [GOOD, {**GOOD, "commune": "muong-ang", "year": 2024, "decision_date": "2025-01-15"}])
    (content / "data" / "recognised.yml").write_text(
        (content / "data" / "recognised.yml").read_text(encoding="utf-8").replace("'2025-01-15'", "2025-01-15"),
        encoding="utf-8")
    items = recognised.load_recognised(content, TODAY)
    html = recognised.render_list(items)
    assert html.index("Năm 2026") < html.index("Năm 2024")
    assert "<td>xã Búng Lao</td><td>12/QĐ-UBND</td><td>15/01/2027</td><td>Ủy ban nhân dân &lt;tỉnh&gt;</td>" in html
    assert "Mường Ảng" in html and "<tỉnh>" not in html and recognised.NONE_YET not in html


@pytest.mark.parametrize("change, field", [
    ({"commune": "ang-to"}, "'commune'"),
    ({"year": 2018}, "'year'"),
    ({"year": "2026"}, "'year'"),
    ({"decision_date": "15/01/2027"}, "'decision_date'"),
    ({"decision_date": "2025-01-15"}, "'decision_date'"),  # before the assessment year
    ({"decision_number": ""}, "'decision_number'"),
    ({"issuer": None}, "'issuer'"),
    ({"note": "x"}, "'note'"),
])
def test_a_bad_field_is_named_with_the_file_and_entry(content, change, field):
    write(content, [{**GOOD, **change}])
    with pytest.raises(recognised.RecognisedError) as caught:
        recognised.load_recognised(content, TODAY)
    message = str(caught.value)
    assert "recognised.yml: recognised[0]" in message and field in message


def test_a_commune_twice_in_one_year_and_a_missing_list_are_refused(content):
    write(content, [GOOD, GOOD])
    with pytest.raises(recognised.RecognisedError, match=r"recognised\[1\].*bung-lao.*2026"):
        recognised.load_recognised(content, TODAY)
    (content / "data" / "recognised.yml").write_text("recognised:\n  bung-lao: 2026\n", encoding="utf-8")
    with pytest.raises(recognised.RecognisedError, match="'recognised' phải là một danh sách"):
        recognised.load_recognised(content, TODAY)


def test_the_build_hook_stops_with_a_plugin_error_naming_file_and_field(content):
    write(content, [{**GOOD, "commune": "khong-co"}])
    with pytest.raises(PluginError, match=r"recognised\.yml: recognised\[0\]: trường 'commune'"):
        recognised.on_config(SimpleNamespace(docs_dir=str(content)))


def test_the_real_data_file_is_empty_and_the_page_says_so(built_site):
    assert recognised.load_recognised(REPO_ROOT / "content") == []
    page = (built_site / "xa-phu-hop-voi-tre-em" / "index.html").read_text(encoding="utf-8")
    assert recognised.NONE_YET in page and "bvte:recognised" not in page
    assert 'href="../xa-phu-hop-voi-tre-em/"' in (built_site / "tu-danh-gia" / "index.html").read_text(encoding="utf-8")
