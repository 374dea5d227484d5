"""The rubric as data: loading, validation, choice by date, scoring and verdict reasons."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from functions.config import REPO_ROOT
from functions.core.rubric import (
    VERDICT_FAIL, VERDICT_PASS, RubricError, load_rubrics, parse_rubric, parse_score, rubric_in_force,
    score, validate_scores,
)

RUBRICS = REPO_ROOT / "content" / "data" / "rubrics"


def test_rubric_file_holds_the_decision_as_recorded(rubric):
    assert rubric.id == "qd-06-2019"
    assert rubric.official_number == "06/QĐ-TTg"
    assert rubric.date_issued == dt.date(2019, 1, 3)
    # In-force date not in the domain notes: the file uses the issue date and says so.
    assert rubric.in_force_from == dt.date(2019, 1, 3)
    assert "ngày ban hành" in rubric.in_force_from_note
    assert len(rubric.criteria) == 13
    assert rubric.criteria[6].wording.startswith("Trẻ em dưới 1 tuổi được tiêm chủng đầy đủ")
    known = {c.number: c.max_points for c in rubric.criteria if c.max_points is not None}
    assert known == {1: 100, 6: 125, 7: 50}
    assert all(c.source for c in rubric.criteria if c.max_points is not None)
    assert rubric.max_total is None
    assert {t.band: t.points for t in rubric.thresholds} == {"urban_ward": 900, "mountainous": 800, "other": 850}
    assert rubric.no_zero_criterion


def _scores(rubric, total: int, zero: int | None = None) -> dict[str, int]:
    """Scores adding up to ``total`` within known maxima, criterion ``zero`` (1-based) at 0."""
    scores = {c.id: 1 for c in rubric.criteria}
    if zero:
        scores[rubric.criteria[zero - 1].id] = 0
    rest = total - sum(scores.values())
    for c in rubric.criteria:
        if c.number == zero:
            continue
        room = (c.max_points if c.max_points is not None else 10_000) - scores[c.id]
        add = min(room, rest)
        scores[c.id] += add
        rest -= add
    assert rest == 0 and sum(scores.values()) == total
    return scores


def test_exactly_at_the_threshold_passes(rubric):
    result = score(rubric, _scores(rubric, 800), "mountainous")
    assert (result.total, result.threshold, result.verdict) == (800, 800, VERDICT_PASS)
    assert result.points_short == 0


def test_one_point_short_fails_with_the_gap(rubric):
    result = score(rubric, _scores(rubric, 849), "other")
    assert result.verdict == VERDICT_FAIL
    assert result.points_short == 1
    assert any("còn thiếu 1 điểm so với ngưỡng 850" in r for r in result.reasons)


def test_one_criterion_at_zero_fails_even_above_the_threshold(rubric):
    result = score(rubric, _scores(rubric, 950, zero=3), "urban_ward")
    assert result.total == 950 and result.threshold == 900
    assert result.verdict == VERDICT_FAIL
    assert result.zero_criteria == (3,)
    assert result.reasons == ("Tiêu chí 3 (Trẻ em bị xâm hại) có 0 điểm: không tiêu chí nào được 0 điểm.",)


def test_unknown_maxima_accept_any_whole_number_and_say_so(rubric):
    crit2 = rubric.criteria[1]
    assert crit2.max_points is None
    assert parse_score("400", crit2) == (400, None)
    result = score(rubric, _scores(rubric, 900), "mountainous")
    assert any("chưa được ghi nhận" in n and "2, 3, 4, 5, 8" in n for n in result.notes)


def test_a_score_above_a_known_maximum_is_a_validation_error_not_a_reason(rubric):
    raw = {c.id: "10" for c in rubric.criteria}
    raw["tc07"] = "51"
    scores, errors = validate_scores(rubric, raw)
    assert errors == {"score_tc07": "Vượt điểm tối đa của tiêu chí này (50 điểm)."}
    assert "tc07" not in scores
    with pytest.raises(ValueError):
        score(rubric, {**{c.id: 10 for c in rubric.criteria}, "tc07": 51}, "mountainous")


@pytest.mark.parametrize("raw, message", [
    ("", "Chưa nhập điểm."), ("abc", "Không phải số."), ("-3", "Điểm không được là số âm."),
    ("12.5", "Điểm phải là số nguyên (không có phần lẻ)."), ("9999999", "Số quá lớn."),
])
def test_bad_scores_get_vietnamese_messages(rubric, raw, message):
    assert parse_score(raw, rubric.criteria[1]) == (None, message)


def test_whole_floats_and_padded_text_are_accepted(rubric):
    assert parse_score(" 45 ", rubric.criteria[0]) == (45, None)
    assert parse_score(45.0, rubric.criteria[0]) == (45, None)
    assert parse_score("45,0", rubric.criteria[0]) == (45, None)


def test_the_rubric_in_force_is_chosen_by_date(tmp_path):
    shutil.copy(RUBRICS / "qd-06-2019.yml", tmp_path / "qd-06-2019.yml")
    data = yaml.safe_load((RUBRICS / "qd-06-2019.yml").read_text(encoding="utf-8"))
    # A fake replacement decision, test-only: new file, later date, a different threshold.
    data.update(id="qd-test-2031", official_number="99/QĐ-TTg", in_force_from=dt.date(2031, 7, 1),
                display_name="Quyết định thử nghiệm")
    data["thresholds"][1]["points"] = 820
    (tmp_path / "qd-test-2031.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rubrics = load_rubrics(tmp_path)
    assert [r.id for r in rubrics] == ["qd-06-2019", "qd-test-2031"]
    assert rubric_in_force(rubrics, dt.date(2031, 6, 30)).id == "qd-06-2019"
    newer = rubric_in_force(rubrics, dt.date(2031, 7, 1))
    assert newer.id == "qd-test-2031" and newer.threshold_for("mountainous").points == 820
    with pytest.raises(LookupError):
        rubric_in_force(rubrics, dt.date(2018, 12, 31))


def _raw():
    return yaml.safe_load((RUBRICS / "qd-06-2019.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("change, field", [
    (lambda d: d["criteria"][0].pop("max_points"), "criteria[0].max_points"),
    (lambda d: d["criteria"][0].pop("source"), "criteria[0].source"),
    (lambda d: d["criteria"][1].update(max_points=-5), "criteria[1].max_points"),
    (lambda d: d["criteria"][2].update(number=9), "criteria"),
    (lambda d: d.update(in_force_from="3/1/2019"), "in_force_from"),
    (lambda d: d["thresholds"][0].update(points=None), "thresholds[0].points"),
])
def test_malformed_rubrics_name_the_field(change, field):
    data = _raw()
    change(data)
    with pytest.raises(RubricError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_rubric(data, source="x.yml")
