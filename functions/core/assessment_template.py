"""The self-assessment spreadsheet (XLSX): generated from a rubric, and read back when uploaded.

Layout (sheet ``Tự đánh giá``): commune in C3, year in C4, one row per criterion from row 7
(criterion 1 → C7). The sheet is protected with only those input cells unlocked, the workbook
structure is locked, and a very hidden sheet ``bvte`` names the rubric id and version so an upload
can be checked against the rubric it claims to follow.

Uploads are checked before openpyxl sees them: the bytes must be a zip whose
``[Content_Types].xml`` names a spreadsheet, with few entries and a small total expansion
(zip bomb), then openpyxl reads it ``read_only`` and ``data_only`` (defusedxml is installed, so
its XML parsing refuses entity tricks). Problems are reported by cell address in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any, Mapping, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from . import filetypes
from .rubric import Rubric, parse_score

SHEET = "Tự đánh giá"
MARKER_SHEET = "bvte"
MARKER_KIND = "bvte-assessment-template"
COMMUNE_CELL = "C3"
YEAR_CELL = "C4"
FIRST_ROW = 7
SCORE_COLUMN = "C"
FILENAME = "mau-tu-danh-gia-qd06.xlsx"
# An honest template is ~10 KB zipped and well under 100 KB unzipped.
TEMPLATE_MAX_BYTES = 2 * 1024 * 1024
TEMPLATE_MAX_UNCOMPRESSED = 10 * 1024 * 1024
TEMPLATE_MAX_ENTRIES = 100
_FIXED_TIME = dt.datetime(2019, 1, 3)  # reproducible builds: the same bytes from the same rubric


def score_cell(index: int) -> str:
    return f"{SCORE_COLUMN}{FIRST_ROW + index}"


def build_template(rubric: Rubric, commune_names: Sequence[str] = (), *,
                   filled: Mapping[str, Any] | None = None) -> bytes:
    """The XLSX template for ``rubric`` (bytes, identical for identical input). ``filled`` (``commune``:
    its name, ``year``, ``scores``: criterion id → score) pre-fills the input cells with a previous
    version's answers, for a resubmission; the cells stay editable and the sheet reads back as usual."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    bold = Font(bold=True)
    unlocked = Protection(locked=False)
    fill = PatternFill("solid", fgColor="FFF8E1")
    ws["A1"] = f"Bảng tự đánh giá theo {rubric.display_name}"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "Chỉ điền các ô màu vàng. Điểm là số nguyên, không âm; không tiêu chí nào được 0 điểm."
    ws["B3"], ws["B4"] = "Xã (tên hiện nay hoặc tên cũ):", "Năm đánh giá:"
    for ref in (COMMUNE_CELL, YEAR_CELL):
        ws[ref].protection = unlocked
        ws[ref].fill = fill
    ws["B3"].font = ws["B4"].font = bold
    headers = ("Số TT", "Tiêu chí", "Điểm tự chấm", "Điểm tối đa", "Ghi chú")
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=FIRST_ROW - 1, column=col, value=text)
        cell.font = bold
    for i, c in enumerate(rubric.criteria):
        row = FIRST_ROW + i
        ws.cell(row=row, column=1, value=c.number)
        ws.cell(row=row, column=2, value=c.wording).alignment = Alignment(wrap_text=True, vertical="top")
        score = ws.cell(row=row, column=3)
        score.protection = unlocked
        score.fill = fill
        ws.cell(row=row, column=4, value=c.max_points if c.max_points is not None else "chưa ghi nhận")
        if c.max_points is None:
            ws.cell(row=row, column=5, value="Điểm tối đa chưa được ghi nhận trong dữ liệu")
        validation = DataValidation(
            type="whole", operator="between" if c.max_points is not None else "greaterThanOrEqual",
            formula1="0", formula2=str(c.max_points) if c.max_points is not None else None,
            showErrorMessage=True, errorTitle="Điểm không hợp lệ",
            error=(f"Nhập số nguyên từ 0 đến {c.max_points}." if c.max_points is not None
                   else "Nhập số nguyên không âm."),
        )
        ws.add_data_validation(validation)
        validation.add(score.coordinate)
    if filled:
        _fill(ws, rubric, filled)
    total_row = FIRST_ROW + len(rubric.criteria)
    ws.cell(row=total_row, column=2, value="Tổng điểm").font = bold
    last = score_cell(len(rubric.criteria) - 1)
    ws.cell(row=total_row, column=3, value=f"=SUM({score_cell(0)}:{last})").font = bold
    year_check = DataValidation(type="whole", operator="between", formula1="2019", formula2="2100",
                                showErrorMessage=True, error="Nhập năm, ví dụ 2025.")
    ws.add_data_validation(year_check)
    year_check.add(YEAR_CELL)
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 14
    ws.column_dimensions["E"].width = 30
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widening a column to read it is harmless

    marker = wb.create_sheet(MARKER_SHEET)
    marker["A1"], marker["B1"] = "kind", MARKER_KIND
    marker["A2"], marker["B2"] = "rubric", rubric.id
    marker["A3"], marker["B3"] = "version", rubric.version
    marker["A4"], marker["B4"] = "criteria", len(rubric.criteria)
    for i, name in enumerate(commune_names):
        marker.cell(row=i + 1, column=4, value=name)
    if commune_names:
        choice = DataValidation(type="list", formula1=f"{MARKER_SHEET}!$D$1:$D${len(commune_names)}",
                                showErrorMessage=False, allow_blank=True)
        ws.add_data_validation(choice)
        choice.add(COMMUNE_CELL)
    marker.protection.sheet = True
    marker.sheet_state = "veryHidden"
    wb.security.lockStructure = True
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "bvte"
    raw = io.BytesIO()
    wb.save(raw)
    return _fix_zip_times(raw.getvalue())


def _fill(ws, rubric: Rubric, filled: Mapping[str, Any]) -> None:
    """Write a previous version's commune, year and scores into the input cells (only scores of criteria
    of this rubric)."""
    ws[COMMUNE_CELL] = str(filled.get("commune") or "") or None
    ws[YEAR_CELL] = int(filled["year"]) if str(filled.get("year") or "").isdigit() else None
    scores = filled.get("scores") or {}
    for i, c in enumerate(rubric.criteria):
        if isinstance(scores.get(c.id), int):
            ws[score_cell(i)] = scores[c.id]


def _fix_zip_times(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2019, 1, 3, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info))
    return out.getvalue()


# -- reading an upload --------------------------------------------------------------------------

class TemplateRejected(ValueError):
    """The upload is not this template at all. ``status``: 413 (expands too far) or 415 / 400."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class TemplateValues:
    commune: str = ""
    year: str = ""
    raw_scores: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, int] = field(default_factory=dict)
    cell_errors: list[str] = field(default_factory=list)  # "ô C7: không phải số"
    field_errors: dict[str, str] = field(default_factory=dict)  # score_<id> → message


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def read_template(stream: IO[bytes], rubric: Rubric, *, max_bytes: int = TEMPLATE_MAX_BYTES) -> TemplateValues:
    """Commune, year and scores from an uploaded template; per-cell messages for bad cells."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size > max_bytes:
        raise TemplateRejected(
            f"Tệp bảng tính quá lớn ({size // 1024} KB); mẫu đã điền chỉ khoảng vài chục KB.", 413)
    head = stream.read(16)
    stream.seek(0)
    kind, described = filetypes.describe_head(head)
    if kind != "zip":
        raise TemplateRejected(
            f"Tệp này là {described}, không phải bảng tính XLSX. Hãy tải lên tệp mẫu đã điền.", 415)
    try:
        office = filetypes.inspect_zip(stream, max_uncompressed=TEMPLATE_MAX_UNCOMPRESSED,
                                       max_entries=TEMPLATE_MAX_ENTRIES)
    except filetypes.ZipRejected as exc:
        raise TemplateRejected(f"Bảng tính bị từ chối: {_lower_first(str(exc))}",
                               413 if exc.too_large else 415) from None
    if office != filetypes.XLSX:
        what = {"docx": "văn bản Word", "xlsm": "bảng tính có macro", "docm": "văn bản Word có macro"}
        raise TemplateRejected(
            f"Tệp này là {what.get(office, 'tệp nén ZIP')}, không phải bảng tính XLSX theo mẫu.", 415)
    stream.seek(0)
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for broken parts: all mean "not readable"
        raise TemplateRejected("Không đọc được bảng tính: tệp bị hỏng hoặc không đúng định dạng XLSX.", 415) from None
    try:
        return _read_values(wb, rubric)
    finally:
        wb.close()


def _read_values(wb, rubric: Rubric) -> TemplateValues:
    names = wb.sheetnames
    if MARKER_SHEET not in names or SHEET not in names:
        raise TemplateRejected(
            f"Bảng tính không phải mẫu tự đánh giá: không có trang “{SHEET}” của mẫu. "
            "Hãy tải mẫu trên trang này và điền vào đó.")
    marker = {row[0]: row[1] for row in wb[MARKER_SHEET].iter_rows(min_row=1, max_row=4, max_col=2, values_only=True)}
    if marker.get("kind") != MARKER_KIND:
        raise TemplateRejected("Bảng tính không mang dấu nhận diện của mẫu tự đánh giá.")
    if marker.get("rubric") != rubric.id or str(marker.get("version")) != str(rubric.version):
        raise TemplateRejected(
            f"Bảng tính được làm theo bộ tiêu chí khác ({marker.get('rubric')} phiên bản {marker.get('version')}); "
            f"bộ tiêu chí đang áp dụng là {rubric.official_number} (phiên bản {rubric.version}). Hãy tải mẫu mới.")
    ws = wb[SHEET]
    last_row = FIRST_ROW + len(rubric.criteria) - 1
    cells: dict[str, Any] = {}
    for row in ws.iter_rows(min_row=3, max_row=last_row, min_col=3, max_col=3):
        for cell in row:
            if hasattr(cell, "coordinate"):
                cells[cell.coordinate] = cell.value
    values = TemplateValues()
    commune = cells.get(COMMUNE_CELL)
    values.commune = "" if commune is None else str(commune).strip()
    year = cells.get(YEAR_CELL)
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    values.year = "" if year is None else str(year).strip()
    for i, c in enumerate(rubric.criteria):
        ref = score_cell(i)
        raw = cells.get(ref)
        values.raw_scores[c.id] = raw
        value, message = parse_score(raw, c)
        if message:
            values.cell_errors.append(f"ô {ref}: {_lower_first(message).rstrip('.')}")
            values.field_errors[c.field] = f"Ô {ref} trong bảng tính: {_lower_first(message)}"
        else:
            values.scores[c.id] = value
    return values
