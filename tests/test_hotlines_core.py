"""One loader for content/data/hotlines.yml (functions.core.hotlines): the build's checks and the number the
functions show on their pages come from the same parsed data. The build hook's side (PluginError naming
file and field, every rule of the file) is in test_site_chrome.py."""

from __future__ import annotations

import pytest
import yaml

from functions.config import REPO_ROOT
from functions.core import hotlines, tip_forms

CONTENT = REPO_ROOT / "content"


def _content(tmp_path, data) -> str:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "hotlines.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(tmp_path)


def _entry(number: str, name: str) -> dict:
    return {"number": number, "name": name, "short": name, "when": "Khi cần", "cost": "Miễn phí",
            "cost_confidence": "confirmed", "source": "Nguồn thử"}


def test_the_functions_show_the_primary_hotline_the_build_shows():
    built = hotlines.load_hotlines(CONTENT / hotlines.DATA_FILE)["primary"]
    assert tip_forms.load_hotline(CONTENT) == {"number": built["number"], "name": built["name"]}


def test_the_primary_hotline_is_the_data_files_not_a_fixed_number(tmp_path):
    content = _content(tmp_path, {"primary": "113", "hotlines": [_entry("111", "Một"), _entry("113", "Công an")]})
    assert tip_forms.load_hotline(content) == {"number": "113", "name": "Công an"}


@pytest.mark.parametrize("data", [
    {"primary": "999", "hotlines": [_entry("113", "Công an")]},  # primary not listed
    {"primary": 113, "hotlines": [_entry("113", "Công an")]},  # a number the build refuses
    ["not", "a", "mapping"],
])
def test_a_file_the_build_refuses_gives_the_national_hotline(tmp_path, data):
    content = _content(tmp_path, data)
    with pytest.raises(hotlines.HotlinesError):
        hotlines.load_hotlines(tmp_path / "data" / "hotlines.yml")
    assert tip_forms.load_hotline(content)["number"] == "111"


def test_a_missing_file_gives_the_national_hotline(tmp_path):
    with pytest.raises(hotlines.HotlinesError, match="thiếu tệp"):
        hotlines.load_hotlines(tmp_path / "data" / "hotlines.yml")
    assert tip_forms.load_hotline(tmp_path)["number"] == "111"


def test_errors_name_the_file_and_the_field(tmp_path):
    content = _content(tmp_path, {"primary": "113", "hotlines": [_entry("113", "Công an") | {"cost_confidence": "?"}]})
    path = tmp_path / "data" / "hotlines.yml"
    with pytest.raises(hotlines.HotlinesError) as error:
        hotlines.load_hotlines(path)
    assert error.value.field == "hotlines[0].cost_confidence"
    assert str(error.value).startswith(f"{path}: trường 'hotlines[0].cost_confidence': ")
    assert tip_forms.load_hotline(content)["number"] == "111"
