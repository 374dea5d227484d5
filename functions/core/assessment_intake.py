"""The rules of a commune's self-assessment intake, as pure functions of plain values.

What the form must name, which years a submission may be for, which file fields exist and how
large files may be, how a filled spreadsheet must agree with the form, where the scores come from,
and the shape of the stored record. No web framework, no storage, no environment, no clock: the
caller passes today's date. Messages are the Vietnamese the commune official reads next to a field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .assessments import clean_filename
from .rubric import Rubric, validate_scores

MIB = 1024 * 1024
_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_YEAR = re.compile(r"\d{4}")
EVIDENCE_FIELD = "evidence"
TEMPLATE_FIELD = "template"
_CRITERION_EVIDENCE_PREFIX = "evidence_"

YEAR_MISSING = "Chưa nhập năm đánh giá."
YEAR_MISSING_WITH_SHEET = "Chưa nhập năm đánh giá (ở trang này hoặc ô C4 của bảng tính)."
YEAR_NOT_FOUR_DIGITS = "Năm đánh giá phải là 4 chữ số, ví dụ 2025."
COMMUNE_MISSING = "Chưa chọn xã."
COMMUNE_UNKNOWN = "Không tìm thấy xã này trong danh sách."
CODE_MISSING = "Chưa nhập mã truy cập của xã."
RUBRIC_STALE = ("Trang biểu mẫu đã cũ so với bộ tiêu chí đang áp dụng: hãy tải lại trang "
                "(điểm đã nhập cần nhập lại).")
FILE_FIELD_UNKNOWN = "Tệp gửi ở mục không có trong biểu mẫu."


class IntakeRejected(ValueError):
    """A submission refused before anything is stored: ``status`` 400 (fields to fix) or 413 (files
    too large), with the Vietnamese message of each field concerned in ``fields``."""

    def __init__(self, status: int, fields: Mapping[str, str]):
        super().__init__(f"{status}: {', '.join(fields)}")
        self.status = status
        self.fields = dict(fields)


@dataclass(frozen=True)
class FileFacts:
    """What the size rules need of one sent file: its form field, its name as sent, its size in bytes."""

    field: str
    filename: str
    size: int


@dataclass(frozen=True)
class ScoreChoice:
    """The scores a submission is judged on, where they came from (``"form"`` or ``"template"``), the
    form's values completed from the spreadsheet (to show them again) and the messages to show."""

    source: str
    scores: dict[str, int]
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


# -- the form -----------------------------------------------------------------------------------

def clean_submission_id(text: str) -> str:
    """The client's submission id when well formed, else "" (a malformed id only loses the
    double-send protection, never the submission)."""
    return text if text and _SUBMISSION_ID.match(text) else ""


def check_form(values: Mapping[str, str], places, rubric: Rubric, *, posted_rubric: str = "",
               template_sent: bool = False):
    """The commune the form names (or None) and the messages for missing or stale fields, checked
    before the access code: commune, access code, the rubric the page was made for, and the year
    (unless a spreadsheet is sent, whose cell C4 may give it)."""
    errors: dict[str, str] = {}
    commune = places.resolve(values["commune"]) if values["commune"] else None
    if not values["commune"]:
        errors["commune"] = COMMUNE_MISSING
    elif commune is None:
        errors["commune"] = COMMUNE_UNKNOWN
    if not values["access_code"]:
        errors["access_code"] = CODE_MISSING
    if posted_rubric and posted_rubric != rubric.marker:
        errors["rubric"] = RUBRIC_STALE
    if not template_sent and not values["year"]:
        errors["year"] = YEAR_MISSING
    return commune, errors


# -- the year -----------------------------------------------------------------------------------

def year_window(rubric: Rubric, today: dt.date) -> tuple[int, int]:
    """Years a submission may be for: the last two years, this one and the next, not before the rubric."""
    return max(today.year - 2, rubric.in_force_from.year), today.year + 1


def check_year(text: str, rubric: Rubric, today: dt.date, *,
               template_sent: bool = False) -> tuple[int | None, str | None]:
    """(year, None) when ``text`` is a year inside the window, else (None, the message for the year field)."""
    low, high = year_window(rubric, today)
    if not text:
        return None, YEAR_MISSING_WITH_SHEET if template_sent else YEAR_MISSING
    if not _YEAR.fullmatch(text):
        return None, YEAR_NOT_FOUR_DIGITS
    year = int(text)
    if not low <= year <= high:
        return None, f"Năm đánh giá phải từ {low} đến {high}."
    return year, None


# -- files --------------------------------------------------------------------------------------

def is_file_field(name: str, rubric: Rubric) -> bool:
    """True when the form has a file field of this name: the spreadsheet, the dossier, or one
    criterion's evidence."""
    if name in (TEMPLATE_FIELD, EVIDENCE_FIELD):
        return True
    return (name.startswith(_CRITERION_EVIDENCE_PREFIX)
            and rubric.criterion(name[len(_CRITERION_EVIDENCE_PREFIX):]) is not None)


def _looks_like_file_field(name: str) -> bool:
    # A misnamed criterion ("evidence_tc99") reads as a file problem; any other name means the
    # form itself was tampered with, which is a 400.
    return name in (TEMPLATE_FIELD, EVIDENCE_FIELD) or name.startswith(_CRITERION_EVIDENCE_PREFIX)


def too_large_message(filename: str, max_file_bytes: int) -> str:
    """The message for one file over the per-file limit."""
    return f"Tệp “{clean_filename(filename)}” lớn hơn {max_file_bytes // MIB} MB cho mỗi tệp."


def check_file_sizes(files: Iterable[FileFacts], rubric: Rubric, *, max_file_bytes: int,
                     max_total_bytes: int) -> None:
    """Raise ``IntakeRejected`` when a file is sent under a field the form lacks (400) or when a file,
    or all of them together, are larger than allowed (413); files under unknown fields do not count
    towards the total."""
    errors: dict[str, str] = {}
    total_bytes = 0
    for f in files:
        if not is_file_field(f.field, rubric):
            errors[f.field] = FILE_FIELD_UNKNOWN
            continue
        total_bytes += f.size
        if f.size > max_file_bytes:
            errors[f.field] = too_large_message(f.filename, max_file_bytes)
    if any(not _looks_like_file_field(name) for name in errors):
        raise IntakeRejected(400, errors)
    if total_bytes > max_total_bytes:
        errors.setdefault(EVIDENCE_FIELD, f"Tổng dung lượng các tệp vượt {max_total_bytes // MIB} MB.")
    if errors:
        raise IntakeRejected(413, errors)


def evidence_target(name: str) -> tuple[str | None, str]:
    """(criterion id or None, role) of a file sent under field ``name``: the spreadsheet has the role
    ``"template"``, every other file ``"evidence"``, for one criterion when its field names one."""
    criterion = name[len(_CRITERION_EVIDENCE_PREFIX):] if name.startswith(_CRITERION_EVIDENCE_PREFIX) else None
    return criterion, "template" if name == TEMPLATE_FIELD else "evidence"


# -- scores -------------------------------------------------------------------------------------

def sheet_conflicts(sheet, commune, places, form_year: str) -> str | None:
    """The message for the spreadsheet field when the sheet has bad cells, names another commune in
    C3 or another year in C4 than the form, else None."""
    problems = []
    if sheet.cell_errors:
        problems.append("Bảng tính có ô chưa đúng: " + "; ".join(sheet.cell_errors) + ".")
    if sheet.commune:
        in_sheet = places.resolve(sheet.commune)
        if in_sheet is None or in_sheet.id != commune.id:
            problems.append(f"Ô C3 ghi xã “{sheet.commune}”, khác với xã đã chọn ({commune.label}).")
    if sheet.year and form_year and sheet.year != form_year:
        problems.append(f"Ô C4 ghi năm {sheet.year}, khác với năm đã nhập ({form_year}).")
    return " ".join(problems) or None


def scores_from_sheet(sheet, rubric: Rubric, values: Mapping[str, str], commune, places) -> ScoreChoice:
    """The spreadsheet's scores, with the form's values completed from it (the year when the form
    left it empty, each score read) and the sheet's conflicts with the form."""
    completed = dict(values)
    if not completed["year"]:
        completed["year"] = sheet.year
    for c in rubric.criteria:
        if c.id in sheet.scores:
            completed[c.field] = str(sheet.scores[c.id])
    conflict = sheet_conflicts(sheet, commune, places, values["year"])
    return ScoreChoice("template", sheet.scores, completed, {"template": conflict} if conflict else {})


def scores_from_form(rubric: Rubric, values: Mapping[str, str]) -> ScoreChoice:
    """The scores typed in the form, checked against the rubric, with a message per bad score field."""
    scores, errors = validate_scores(rubric, {c.id: values[c.field] for c in rubric.criteria})
    return ScoreChoice("form", scores, dict(values), errors)


# -- the record ---------------------------------------------------------------------------------

def build_record(*, commune, year: int, rubric: Rubric, choice: ScoreChoice, result,
                 evidence: list[dict[str, Any]], submission_id: str) -> dict[str, Any]:
    """The submission record as stored: who, which year, the rubric and threshold band it was judged
    by, the scores and their source, the result, the evidence and the client's submission id."""
    return {
        "commune": commune.id, "commune_name": commune.label, "year": year,
        "rubric": {"id": rubric.id, "version": rubric.version, "official_number": rubric.official_number,
                   "display_name": rubric.display_name},
        "threshold_band": commune.threshold_band,
        "threshold_band_confidence": commune.threshold_band_confidence,
        "source": choice.source, "scores": {c.id: choice.scores[c.id] for c in rubric.criteria},
        "result": result.as_dict(), "evidence": evidence, "submission_id": submission_id or None,
    }
