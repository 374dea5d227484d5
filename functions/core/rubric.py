"""Self-assessment rubrics as versioned data: load, validate, choose by date, score.

A rubric is one YAML file per decision in ``content/data/rubrics/`` (Quyết định 06/QĐ-TTg today).
A replacement decision is a new file with a later ``in_force_from``: ``rubric_in_force`` picks the
one in force on a given date, so nothing here changes when the law does.

Points are recorded only where known; an unknown maximum is ``None`` and the scorer accepts any
whole number ≥ 0 for it, saying so in the result instead of inventing a ceiling.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .yaml_data import load_yaml

VERDICT_PASS = "Đạt"
VERDICT_FAIL = "Chưa đạt"
# A sanity bound on typed numbers where the rubric knows no maximum: not a legal rule, only a
# guard against absurd input (the previous regime's whole maximum was 1,000 points).
INPUT_DIGITS = 6

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_CRITERION_ID = re.compile(r"^[a-z0-9]+$")


class RubricError(ValueError):
    """A rubric file is malformed: the message names the file and field."""


@dataclass(frozen=True)
class SubItem:
    wording: str
    points: int | None


@dataclass(frozen=True)
class Criterion:
    id: str
    number: int
    wording: str
    max_points: int | None
    source: str = ""
    sub_items: tuple[SubItem, ...] = ()

    @property
    def field(self) -> str:
        """The form field carrying this criterion's score."""
        return f"score_{self.id}"

    @property
    def evidence_field(self) -> str:
        return f"evidence_{self.id}"

    @property
    def label(self) -> str:
        return f"Tiêu chí {self.number}. {self.wording}"


@dataclass(frozen=True)
class Threshold:
    band: str
    points: int
    label: str


@dataclass(frozen=True)
class Rubric:
    id: str
    version: int
    official_number: str
    display_name: str
    title: str | None
    signer: str
    date_issued: dt.date
    in_force_from: dt.date
    in_force_from_note: str
    criteria: tuple[Criterion, ...]
    thresholds: tuple[Threshold, ...]
    no_zero_criterion: bool
    max_total: int | None
    source_file: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def threshold_for(self, band: str) -> Threshold:
        for t in self.thresholds:
            if t.band == band:
                return t
        raise KeyError(band)

    @property
    def marker(self) -> str:
        """What the XLSX template carries to name the rubric it was made from."""
        return f"{self.id}@{self.version}"

    @property
    def unknown_maxima(self) -> list[Criterion]:
        return [c for c in self.criteria if c.max_points is None]


# -- loading ------------------------------------------------------------------------------------

def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise RubricError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")


def _text(data: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RubricError(f"{where}.{name}: required text")
    return value.strip()


def _points(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RubricError(f"{where}: expected a positive whole number or null, got {value!r}")
    return value


def parse_rubric(data: Any, source: str = "rubric") -> Rubric:
    if not isinstance(data, dict):
        raise RubricError(f"{source}: expected a mapping at the top")
    rid = _text(data, "id", source)
    if not _ID.match(rid):
        raise RubricError(f"{source}.id: expected a lower-case slug, got {rid!r}")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RubricError(f"{source}.version: expected a whole number ≥ 1")
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise RubricError(f"{source}.criteria: expected a non-empty list")
    criteria: list[Criterion] = []
    for i, c in enumerate(raw_criteria):
        where = f"{source}.criteria[{i}]"
        if not isinstance(c, dict):
            raise RubricError(f"{where}: expected a mapping")
        cid = _text(c, "id", where)
        if not _CRITERION_ID.match(cid):
            raise RubricError(f"{where}.id: letters and digits only, got {cid!r}")
        number = c.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise RubricError(f"{where}.number: expected a whole number ≥ 1")
        if "max_points" not in c:
            raise RubricError(f"{where}.max_points: required (null when not known)")
        max_points = _points(c.get("max_points"), f"{where}.max_points")
        source_text = c.get("source") or ""
        if max_points is not None and not source_text:
            raise RubricError(f"{where}.source: a known maximum must name its source")
        subs = []
        for j, s in enumerate(c.get("sub_items") or []):
            if not isinstance(s, dict):
                raise RubricError(f"{where}.sub_items[{j}]: expected a mapping")
            subs.append(SubItem(_text(s, "wording", f"{where}.sub_items[{j}]"),
                                _points(s.get("points"), f"{where}.sub_items[{j}].points")))
        known = [s.points for s in subs if s.points is not None]
        if max_points is not None and sum(known) > max_points:
            raise RubricError(f"{where}.sub_items: points add up to more than max_points {max_points}")
        criteria.append(Criterion(cid, number, _text(c, "wording", where), max_points, source_text, tuple(subs)))
    ids = [c.id for c in criteria]
    if len(set(ids)) != len(ids):
        raise RubricError(f"{source}.criteria: duplicate criterion id")
    numbers = [c.number for c in criteria]
    if numbers != list(range(1, len(criteria) + 1)):
        raise RubricError(f"{source}.criteria: numbers must run 1..{len(criteria)} in order")
    raw_thresholds = data.get("thresholds")
    if not isinstance(raw_thresholds, list) or not raw_thresholds:
        raise RubricError(f"{source}.thresholds: expected a non-empty list")
    thresholds = []
    for i, t in enumerate(raw_thresholds):
        where = f"{source}.thresholds[{i}]"
        if not isinstance(t, dict):
            raise RubricError(f"{where}: expected a mapping")
        points = _points(t.get("points"), f"{where}.points")
        if points is None:
            raise RubricError(f"{where}.points: required")
        thresholds.append(Threshold(_text(t, "band", where), points, _text(t, "label", where)))
    if len({t.band for t in thresholds}) != len(thresholds):
        raise RubricError(f"{source}.thresholds: duplicate band")
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise RubricError(f"{source}.rules: expected a mapping")
    return Rubric(
        id=rid,
        version=version,
        official_number=_text(data, "official_number", source),
        display_name=_text(data, "display_name", source),
        title=_text(data, "title", source, required=False),
        signer=_text(data, "signer", source),
        date_issued=_date(data.get("date_issued"), f"{source}.date_issued"),
        in_force_from=_date(data.get("in_force_from"), f"{source}.in_force_from"),
        in_force_from_note=str(data.get("in_force_from_note") or ""),
        criteria=tuple(criteria),
        thresholds=tuple(thresholds),
        no_zero_criterion=bool(rules.get("no_zero_criterion", False)),
        max_total=_points(data.get("max_total"), f"{source}.max_total"),
        source_file=source,
        raw=data,
    )


def load_rubric(path: Path | str) -> Rubric:
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RubricError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RubricError(f"{path}: invalid YAML ({exc})") from None
    return parse_rubric(data, source=str(path))


def rubrics_dir(content_dir: Path | str) -> Path:
    return Path(content_dir) / "data" / "rubrics"


def load_rubrics(directory: Path | str) -> list[Rubric]:
    """Every rubric file of a folder, oldest in force first; ids must be unique."""
    directory = Path(directory)
    rubrics = [load_rubric(p) for p in sorted(directory.glob("*.yml"))]
    if not rubrics:
        raise RubricError(f"{directory}: no rubric file (*.yml)")
    seen: dict[str, str] = {}
    for r in rubrics:
        if r.id in seen:
            raise RubricError(f"{r.source_file}.id: {r.id!r} already used by {seen[r.id]}")
        seen[r.id] = r.source_file
    return sorted(rubrics, key=lambda r: (r.in_force_from, r.id))


def rubric_in_force(rubrics: Iterable[Rubric], on: dt.date) -> Rubric:
    """The rubric with the latest ``in_force_from`` on or before ``on``."""
    candidates = [r for r in rubrics if r.in_force_from <= on]
    if not candidates:
        raise LookupError(f"no rubric in force on {on.isoformat()}")
    return max(candidates, key=lambda r: (r.in_force_from, r.id))


def find_rubric(rubrics: Iterable[Rubric], rubric_id: str) -> Rubric | None:
    return next((r for r in rubrics if r.id == rubric_id), None)


# -- scores -------------------------------------------------------------------------------------

def parse_score(raw: Any, criterion: Criterion) -> tuple[int | None, str | None]:
    """(score, None) or (None, Vietnamese message) for one typed or spreadsheet value."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "Chưa nhập điểm."
    if isinstance(raw, bool):
        return None, "Không phải số."
    if isinstance(raw, float):
        if not raw.is_integer():
            return None, "Điểm phải là số nguyên (không có phần lẻ)."
        raw = int(raw)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if re.fullmatch(r"-\s*\d+", text):
            return None, "Điểm không được là số âm."
        if re.fullmatch(r"\d+[.,]\d*", text):
            if re.fullmatch(r"\d+[.,]0*", text):
                text = re.split(r"[.,]", text)[0]
            else:
                return None, "Điểm phải là số nguyên (không có phần lẻ)."
        if not re.fullmatch(r"\d+", text):
            return None, "Không phải số."
        if len(text.lstrip("0")) > INPUT_DIGITS:
            return None, "Số quá lớn."
        value = int(text)
    if value < 0:
        return None, "Điểm không được là số âm."
    if criterion.max_points is not None and value > criterion.max_points:
        return None, f"Vượt điểm tối đa của tiêu chí này ({criterion.max_points} điểm)."
    if criterion.max_points is None and value >= 10 ** INPUT_DIGITS:
        return None, "Số quá lớn."
    return value, None


def validate_scores(rubric: Rubric, raw: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Scores keyed by criterion id, and messages keyed by form field (``score_<id>``)."""
    scores: dict[str, int] = {}
    errors: dict[str, str] = {}
    for c in rubric.criteria:
        value, message = parse_score(raw.get(c.id), c)
        if message:
            errors[c.field] = message
        else:
            scores[c.id] = value
    return scores, errors


@dataclass(frozen=True)
class Result:
    total: int
    threshold: int
    band: str
    band_label: str
    verdict: str
    reasons: tuple[str, ...]
    zero_criteria: tuple[int, ...]
    points_short: int
    notes: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.verdict == VERDICT_PASS

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "threshold": self.threshold, "band": self.band,
            "band_label": self.band_label, "verdict": self.verdict, "reasons": list(self.reasons),
            "zero_criteria": list(self.zero_criteria), "points_short": self.points_short,
            "notes": list(self.notes),
        }


def score(rubric: Rubric, scores: Mapping[str, int], band: str) -> Result:
    """Total, threshold for ``band``, verdict and its reasons, for already validated scores.

    A score above a known maximum is a validation error (``validate_scores``), never a verdict
    reason: passing one here is a programming error.
    """
    threshold = rubric.threshold_for(band)
    missing = [c.id for c in rubric.criteria if c.id not in scores]
    if missing:
        raise ValueError(f"scores missing for {missing}")
    for c in rubric.criteria:
        s = scores[c.id]
        if s < 0 or (c.max_points is not None and s > c.max_points):
            raise ValueError(f"score of {c.id} out of range: validate first")
    total = sum(scores[c.id] for c in rubric.criteria)
    zeros = [c for c in rubric.criteria if scores[c.id] == 0] if rubric.no_zero_criterion else []
    short = max(0, threshold.points - total)
    reasons: list[str] = []
    for c in zeros:
        reasons.append(f"Tiêu chí {c.number} ({c.wording}) có 0 điểm: không tiêu chí nào được 0 điểm.")
    if short:
        reasons.append(f"Tổng điểm {total} còn thiếu {short} điểm so với ngưỡng {threshold.points} điểm.")
    verdict = VERDICT_FAIL if reasons else VERDICT_PASS
    if not reasons:
        reasons.append(
            f"Tổng điểm {total} đạt ngưỡng {threshold.points} điểm và không tiêu chí nào có 0 điểm."
        )
    notes = []
    unknown = rubric.unknown_maxima
    if unknown:
        numbers = ", ".join(str(c.number) for c in unknown)
        notes.append(
            f"Điểm tối đa của các tiêu chí {numbers} chưa được ghi nhận trong dữ liệu: "
            "hệ thống chưa kiểm tra được điểm tự chấm của các tiêu chí này có vượt mức tối đa hay không."
        )
    return Result(
        total=total, threshold=threshold.points, band=band, band_label=threshold.label,
        verdict=verdict, reasons=tuple(reasons), zero_criteria=tuple(c.number for c in zeros),
        points_short=short, notes=tuple(notes),
    )


# -- the rules for the browser ------------------------------------------------------------------

# parse_score's patterns, as it applies them (fullmatch) — keep the two in step; the browser test
# (tests/test_form_rules_browser.py) feeds both the same table and fails when they differ.
_SCORE_PATTERNS = {
    "negative": r"-\s*\d+",
    "fraction": r"\d+[.,]\d*",
    "whole_fraction": r"\d+[.,]0*",
    "digits": r"\d+",
}


def browser_rules(rubric: Rubric, bands: Mapping[str, str]) -> dict[str, Any]:
    """What assessment.js needs to check scores and add them up as ``parse_score`` and ``score`` do.

    ``bands`` maps a commune id to its threshold band. Messages are ``parse_score``'s own,
    obtained by asking it, so the page cannot say anything the server would not.
    """
    from .text import CONTROL_PATTERN, digit_zeros, js_pattern

    probe = Criterion("probe", 1, "probe", None)
    messages = {
        "empty": parse_score("", probe)[1],
        "not_number": parse_score("x", probe)[1],
        "negative": parse_score("-1", probe)[1],
        "fraction": parse_score("1.5", probe)[1],
        "too_large": parse_score("9" * (INPUT_DIGITS + 1), probe)[1],
    }
    return {
        "rubric": rubric.marker,
        "criteria": [
            {"id": c.id, "field": c.field, "number": c.number, "max_points": c.max_points,
             "above_max": parse_score(str(c.max_points + 1), c)[1] if c.max_points is not None else None}
            for c in rubric.criteria
        ],
        "thresholds": {t.band: t.points for t in rubric.thresholds},
        "no_zero_criterion": rubric.no_zero_criterion,
        "communes": dict(bands),
        "input_digits": INPUT_DIGITS,
        "patterns": {name: {"source": f"^(?:{js_pattern(p)})$", "flags": "u"} for name, p in _SCORE_PATTERNS.items()},
        # What the endpoint does to a typed value first (text.normalise on one line), then parse_score.
        "control": {"source": js_pattern(CONTROL_PATTERN), "flags": "u"},
        "space": {"source": js_pattern(r"\s"), "flags": "u"},
        "digit_zeros": digit_zeros(),
        "messages": messages,
    }
