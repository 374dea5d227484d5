"""The built self-assessment page and its published XLSX template; the build hook's error messages."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from functions.config import REPO_ROOT
from functions.core import access_codes, assessment_template
from functions.core.rubric import load_rubrics, rubrics_dir

YEAR = dt.date.today().year


def test_page_has_one_entry_per_criterion_and_links_the_template(built_site):
    html = (built_site / "tu-danh-gia" / "index.html").read_text(encoding="utf-8")
    rubric = load_rubrics(rubrics_dir(REPO_ROOT / "content"))[0]
    for c in rubric.criteria:
        assert f'name="{c.field}"' in html and f'name="{c.evidence_field}"' in html
        assert f"Tiêu chí {c.number}. {c.wording}" in html
    assert html.count("Điểm tối đa: chưa được ghi nhận") == 10
    assert "Điểm tối đa: 125 điểm." in html
    assert 'href="../tu-danh-gia/mau-tu-danh-gia-qd06.xlsx"' in html
    assert 'src="../assets/js/assessment.js"' in html
    assert "https://" not in html.split('id="tu-danh-gia"')[1].split("</form>")[0]


def test_published_template_round_trips_through_the_api(app, built_site):
    from functions.web import context

    client = app.test_client()
    download = client.get("/tu-danh-gia/mau-tu-danh-gia-qd06.xlsx")
    assert download.status_code == 200
    wb = load_workbook(io.BytesIO(download.data))
    ws = wb[assessment_template.SHEET]
    ws["C3"], ws["C4"] = "Ngối Cáy", YEAR  # a former commune: today's Nà Tấu
    rubric = load_rubrics(rubrics_dir(REPO_ROOT / "content"))[0]
    scores = {}
    for i, c in enumerate(rubric.criteria):
        scores[c.id] = c.max_points if c.max_points else 60
        ws[assessment_template.score_cell(i)] = scores[c.id]
    out = io.BytesIO()
    wb.save(out)
    ctx = context(app)
    code, _ = access_codes.issue(ctx.storage, ctx.secret(), "na-tau")
    r = client.post("/api/assessments", content_type="multipart/form-data", headers={"Accept": "application/json"},
                    data={"commune": "na-tau", "year": "", "access_code": code,
                          "template": (io.BytesIO(out.getvalue()), "da-dien.xlsx")})
    assert r.status_code == 201, r.get_json()
    a = r.get_json()["assessment"]
    assert a["scores"] == scores and a["result"]["total"] == 275 + 600
    assert a["result"]["verdict"] == "Đạt" and a["commune"] == "na-tau"


@pytest.fixture
def hook():
    sys.path.insert(0, str(REPO_ROOT / "theme" / "hooks"))
    try:
        import assessment_pages
        yield assessment_pages
    finally:
        sys.path.remove(str(REPO_ROOT / "theme" / "hooks"))


def _content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    (content / "data").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "content" / "data" / "rubrics", content / "data" / "rubrics")
    shutil.copy(REPO_ROOT / "content" / "data" / "places.yml", content / "data" / "places.yml")
    return content


def test_hook_stops_the_build_naming_the_rubric_field(hook, tmp_path):
    from mkdocs.exceptions import PluginError

    content = _content(tmp_path)
    path = content / "data" / "rubrics" / "qd-06-2019.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("max_points: 125", "max_points: -1"), encoding="utf-8")
    with pytest.raises(PluginError, match=r"qd-06-2019\.yml\.criteria\[5\]\.max_points"):
        hook.on_config(SimpleNamespace(docs_dir=str(content)))


def test_hook_stops_the_build_for_a_band_without_threshold(hook, tmp_path):
    from mkdocs.exceptions import PluginError

    content = _content(tmp_path)
    path = content / "data" / "rubrics" / "qd-06-2019.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("band: mountainous", "band: mien-nui"), encoding="utf-8")
    with pytest.raises(PluginError, match=r"places\.yml: communes\[muong-ang\]\.threshold_band"):
        hook.on_config(SimpleNamespace(docs_dir=str(content)))
