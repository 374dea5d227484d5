"""The self-assessment intake's rules (``functions.core.assessment_intake``), without Flask or storage.

Messages are written out in full here, so a changed word in what a commune official reads fails a test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from functions.core import assessment_intake as intake
from functions.core.assessment_template import TemplateValues
from functions.core.places import load_places
from functions.core.rubric import load_rubrics, rubrics_dir, score

CONTENT = Path(__file__).resolve().parent.parent / "content"
TODAY = dt.date(2026, 5, 1)
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def rubric():
    return load_rubrics(rubrics_dir(CONTENT))[0]


@pytest.fixture(scope="module")
def places():
    return load_places(CONTENT)


def form_values(rubric, **overrides) -> dict[str, str]:
    values = {"commune": "muong-ang", "year": "2026", "access_code": "AAAA-BBBB", "submission_id": ""}
    values.update({c.field: "" for c in rubric.criteria})
    values.update(overrides)
    return values


def full_scores(rubric) -> dict[str, int]:
    return {c.id: (c.max_points if c.max_points is not None else 50) for c in rubric.criteria}


# -- the form -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kept", [
    ("abcdefghij_KLMNO-1234", True),
    ("a" * 64, True),
    ("a" * 15, False),
    ("a" * 65, False),
    ("abcdefghijklmnop!", False),
    ("", False),
])
def test_a_submission_id_is_kept_only_when_well_formed(text, kept):
    assert intake.clean_submission_id(text) == (text if kept else "")


def test_a_complete_form_names_its_commune_and_has_no_errors(rubric, places):
    commune, errors = intake.check_form(form_values(rubric), places, rubric, posted_rubric=rubric.marker)
    assert commune.id == "muong-ang"
    assert errors == {}


def test_a_former_commune_name_resolves_to_todays_commune(rubric, places):
    commune, errors = intake.check_form(form_values(rubric, commune="Ẳng Nưa"), places, rubric)
    assert (commune.id, errors) == ("muong-ang", {})


def test_missing_fields_each_get_their_message(rubric, places):
    commune, errors = intake.check_form(form_values(rubric, commune="", access_code="", year=""), places, rubric)
    assert commune is None
    assert errors == {
        "commune": "Chưa chọn xã.",
        "access_code": "Chưa nhập mã truy cập của xã.",
        "year": "Chưa nhập năm đánh giá.",
    }


def test_an_unknown_commune_is_named_as_such(rubric, places):
    commune, errors = intake.check_form(form_values(rubric, commune="Hà Nội"), places, rubric)
    assert commune is None
    assert errors == {"commune": "Không tìm thấy xã này trong danh sách."}


def test_a_spreadsheet_may_give_the_year_instead_of_the_form(rubric, places):
    _, errors = intake.check_form(form_values(rubric, year=""), places, rubric, template_sent=True)
    assert errors == {}


def test_a_page_made_for_another_rubric_version_is_stale(rubric, places):
    _, errors = intake.check_form(form_values(rubric), places, rubric, posted_rubric=rubric.id + "@0")
    assert errors == {"rubric": "Trang biểu mẫu đã cũ so với bộ tiêu chí đang áp dụng: hãy tải lại trang "
                                "(điểm đã nhập cần nhập lại)."}


# -- the year -----------------------------------------------------------------------------------

def test_the_year_window_is_two_years_back_to_next_year(rubric):
    assert intake.year_window(rubric, TODAY) == (2024, 2027)


def test_the_year_window_never_starts_before_the_rubric(rubric):
    assert rubric.in_force_from.year == 2019
    assert intake.year_window(rubric, dt.date(2020, 1, 1)) == (2019, 2021)


@pytest.mark.parametrize("text, template_sent, expected", [
    ("2026", False, (2026, None)),
    ("2024", False, (2024, None)),
    ("2027", False, (2027, None)),
    ("2023", False, (None, "Năm đánh giá phải từ 2024 đến 2027.")),
    ("2028", False, (None, "Năm đánh giá phải từ 2024 đến 2027.")),
    ("26", False, (None, "Năm đánh giá phải là 4 chữ số, ví dụ 2025.")),
    ("năm", True, (None, "Năm đánh giá phải là 4 chữ số, ví dụ 2025.")),
    ("", False, (None, "Chưa nhập năm đánh giá.")),
    ("", True, (None, "Chưa nhập năm đánh giá (ở trang này hoặc ô C4 của bảng tính).")),
])
def test_the_year_is_checked_against_the_window(rubric, text, template_sent, expected):
    assert intake.check_year(text, rubric, TODAY, template_sent=template_sent) == expected


# -- files --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, allowed", [
    ("template", True),
    ("evidence", True),
    ("evidence_tc01", True),
    ("evidence_tc13", True),
    ("evidence_tc99", False),
    ("evidence_", False),
    ("photo", False),
])
def test_files_are_accepted_only_under_the_forms_file_fields(rubric, name, allowed):
    assert intake.is_file_field(name, rubric) is allowed


@pytest.mark.parametrize("name, target", [
    ("template", (None, "template")),
    ("evidence", (None, "evidence")),
    ("evidence_tc03", ("tc03", "evidence")),
])
def test_each_file_field_says_which_criterion_and_role_its_file_has(name, target):
    assert intake.evidence_target(name) == target


def check_sizes(rubric, *files):
    intake.check_file_sizes([intake.FileFacts(*f) for f in files], rubric,
                            max_file_bytes=MIB, max_total_bytes=2 * MIB)


def rejected(rubric, *files) -> tuple[int, dict[str, str]]:
    with pytest.raises(intake.IntakeRejected) as caught:
        check_sizes(rubric, *files)
    return caught.value.status, caught.value.fields


def test_files_within_both_limits_pass(rubric):
    check_sizes(rubric, ("evidence", "a.pdf", MIB), ("evidence_tc01", "b.pdf", MIB - 1), ("template", "t.xlsx", 1))


def test_a_file_over_the_per_file_limit_is_named(rubric):
    assert rejected(rubric, ("evidence_tc02", "dir/biên bản.pdf", MIB + 1)) == (
        413, {"evidence_tc02": "Tệp “biên bản.pdf” lớn hơn 1 MB cho mỗi tệp."})


def test_files_over_the_total_limit_are_refused_together(rubric):
    assert rejected(rubric, ("evidence", "a.pdf", MIB), ("evidence_tc01", "b.pdf", MIB), ("template", "t.xlsx", 1)) \
        == (413, {"evidence": "Tổng dung lượng các tệp vượt 2 MB."})


def test_a_per_file_message_on_the_dossier_wins_over_the_total(rubric):
    assert rejected(rubric, ("evidence", "big.pdf", MIB + 1), ("evidence_tc01", "b.pdf", MIB)) == (
        413, {"evidence": "Tệp “big.pdf” lớn hơn 1 MB cho mỗi tệp."})


def test_a_file_under_a_field_the_form_lacks_is_a_400_with_the_other_files_messages(rubric):
    assert rejected(rubric, ("photo", "x.jpg", 10), ("evidence_tc01", "b.pdf", MIB + 1)) == (
        400, {"photo": "Tệp gửi ở mục không có trong biểu mẫu.",
              "evidence_tc01": "Tệp “b.pdf” lớn hơn 1 MB cho mỗi tệp."})


def test_evidence_for_a_criterion_the_rubric_lacks_is_refused_as_a_file_problem(rubric):
    assert rejected(rubric, ("evidence_tc99", "x.pdf", 10)) == (
        413, {"evidence_tc99": "Tệp gửi ở mục không có trong biểu mẫu."})


def test_files_under_unknown_fields_do_not_count_towards_the_total(rubric):
    status, fields = rejected(rubric, ("evidence_tc99", "x.pdf", MIB), ("evidence", "a.pdf", MIB),
                              ("evidence_tc01", "b.pdf", MIB))
    assert (status, fields) == (413, {"evidence_tc99": "Tệp gửi ở mục không có trong biểu mẫu."})


# -- scores -------------------------------------------------------------------------------------

def sheet(rubric, **fields) -> TemplateValues:
    return TemplateValues(**{"commune": "Mường Ảng", "year": "2026", "scores": full_scores(rubric), **fields})


def test_a_sheet_agreeing_with_the_form_has_no_conflict(rubric, places):
    commune = places.get("muong-ang")
    assert intake.sheet_conflicts(sheet(rubric), commune, places, "2026") is None
    assert intake.sheet_conflicts(sheet(rubric, commune="", year=""), commune, places, "2026") is None
    assert intake.sheet_conflicts(sheet(rubric), commune, places, "") is None


def test_a_sheet_for_another_commune_or_year_says_which_cell(rubric, places):
    commune = places.get("muong-ang")
    assert intake.sheet_conflicts(sheet(rubric, commune="Búng Lao"), commune, places, "2026") == (
        "Ô C3 ghi xã “Búng Lao”, khác với xã đã chọn (xã Mường Ảng).")
    assert intake.sheet_conflicts(sheet(rubric, commune="Xã Không Có"), commune, places, "2026") == (
        "Ô C3 ghi xã “Xã Không Có”, khác với xã đã chọn (xã Mường Ảng).")
    assert intake.sheet_conflicts(sheet(rubric, year="2025"), commune, places, "2026") == (
        "Ô C4 ghi năm 2025, khác với năm đã nhập (2026).")


def test_all_of_a_sheets_problems_are_told_at_once(rubric, places):
    bad = sheet(rubric, commune="Búng Lao", year="2025", cell_errors=["ô C7: không phải số", "ô C9: trống"])
    assert intake.sheet_conflicts(bad, places.get("muong-ang"), places, "2026") == (
        "Bảng tính có ô chưa đúng: ô C7: không phải số; ô C9: trống. "
        "Ô C3 ghi xã “Búng Lao”, khác với xã đã chọn (xã Mường Ảng). "
        "Ô C4 ghi năm 2025, khác với năm đã nhập (2026).")


def test_scores_from_a_sheet_complete_the_form_values(rubric, places):
    values = form_values(rubric, year="")
    choice = intake.scores_from_sheet(sheet(rubric), rubric, values, places.get("muong-ang"), places)
    assert choice.source == "template"
    assert choice.scores == full_scores(rubric)
    assert choice.errors == {}
    assert choice.values["year"] == "2026"
    assert choice.values["score_tc01"] == "100" and choice.values["score_tc02"] == "50"
    assert values["year"] == ""  # the caller's values are not changed behind its back


def test_the_forms_year_is_kept_over_the_sheets(rubric, places):
    choice = intake.scores_from_sheet(sheet(rubric, year="2025"), rubric, form_values(rubric, year="2026"),
                                      places.get("muong-ang"), places)
    assert choice.values["year"] == "2026"
    assert choice.errors == {"template": "Ô C4 ghi năm 2025, khác với năm đã nhập (2026)."}


def test_scores_from_the_form_are_checked_per_field(rubric):
    values = form_values(rubric, **{c.field: str(s) for c, s in zip(rubric.criteria, full_scores(rubric).values())})
    good = intake.scores_from_form(rubric, values)
    assert (good.source, good.scores, good.errors) == ("form", full_scores(rubric), {})
    bad = intake.scores_from_form(rubric, {**values, "score_tc01": "101"})
    assert bad.errors == {"score_tc01": "Vượt điểm tối đa của tiêu chí này (100 điểm)."}
    assert "tc01" not in bad.scores


# -- the record ---------------------------------------------------------------------------------

def test_the_record_holds_who_when_by_which_rubric_and_the_result(rubric, places):
    commune = places.get("muong-ang")
    choice = intake.ScoreChoice("form", dict(reversed(list(full_scores(rubric).items()))), {})
    result = score(rubric, choice.scores, commune.threshold_band)
    evidence = [{"sha256": "0" * 64, "role": "evidence"}]
    record = intake.build_record(commune=commune, year=2026, rubric=rubric, choice=choice, result=result,
                                 evidence=evidence, submission_id="")
    assert record == {
        "commune": "muong-ang", "commune_name": "xã Mường Ảng", "year": 2026,
        "rubric": {"id": rubric.id, "version": rubric.version, "official_number": rubric.official_number,
                   "display_name": rubric.display_name},
        "threshold_band": commune.threshold_band,
        "threshold_band_confidence": commune.threshold_band_confidence,
        "source": "form", "scores": full_scores(rubric), "result": result.as_dict(), "evidence": evidence,
        "submission_id": None,
    }
    assert list(record["scores"]) == [c.id for c in rubric.criteria]  # in the rubric's order
    with_id = intake.build_record(commune=commune, year=2026, rubric=rubric, choice=choice, result=result,
                                  evidence=[], submission_id="abcdefghijklmnop")
    assert with_id["submission_id"] == "abcdefghijklmnop"
