"""The case register of one year and the yearly figure for criterion 6 of the commune self-assessment.

Both are counted from case files (``functions.console.casefile.CaseFile`` or anything with ``number``,
``case.received``, ``case.fields``, ``step_state`` and ``deadlines``), never typed in. A register row says
where a case stands and, for each legal deadline of ``content/data/clocks.yml``, whether it was met, late,
overdue or still running. It holds no name, no description and no report text: only the case number,
dates, commune, category and step.

Criterion 6 of Quyết định 06/QĐ-TTg (``content/data/rubrics/*.yml`` ``tc06``; domain README §3) gives 75
points for "100 % trường hợp trẻ em bị xâm hại tình dục, bị bỏ rơi, bị mua bán có kế hoạch hỗ trợ, can
thiệp được phê duyệt đúng thời hạn". The reading used here (stated on the page and in the export):

- which cases: those received in the year (Vietnam time) whose category (``content/data/categories.yml``,
  as chosen in the report) is ``xam-hai-tinh-duc`` (sexual abuse), ``bo-roi-bo-mac`` (abandonment — the
  category also covers neglect, "bỏ mặc", which the criterion does not name) or ``mua-ban`` (trafficking
  — the category also covers abduction);
- approved in time: the plan was drafted within its legal time (``du-thao-ke-hoach``, Điều 28 k1) and
  approved within its legal time (``phe-duyet-ke-hoach``, Điều 28);
- counted in the share: approved in time, approved late, and overdue (no approved plan and a deadline
  has passed, also when the case ended after that); not counted: a plan not yet due, and a case that ended
  by a side exit (not verified, referred, duplicate) before any deadline had passed;
- no counted case: no figure at all (never 0 % or 100 %).

Pure: no storage, no framework.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .case_clocks import utc
from .clocks import LATE, MET, OVERDUE, ClockRule, Clocks, Deadline, vietnam_time_label
from .workdays import to_vietnam

RUNNING, NOT_STARTED, STOPPED = "running", "not_started", "stopped"
DEADLINE_LABELS = {
    MET: "Đúng hạn",
    LATE: "Trễ hạn",
    OVERDUE: "Quá hạn",
    RUNNING: "Đang chạy",
    NOT_STARTED: "Chưa bắt đầu",
    STOPPED: "Không áp dụng (hồ sơ kết thúc trước hạn)",
}
UNKNOWN_COMMUNE_LABEL = "Không rõ xã"

CRITERION_ID = "tc06"
CRITERION_CATEGORIES = {
    "xam-hai-tinh-duc": "trẻ em bị xâm hại tình dục",
    "bo-roi-bo-mac": "trẻ em bị bỏ rơi (loại việc này gồm cả bị bỏ mặc)",
    "mua-ban": "trẻ em bị mua bán (loại việc này gồm cả bắt cóc, đưa đi nơi khác)",
}
DRAFT_CLOCK, APPROVAL_CLOCK = "du-thao-ke-hoach", "phe-duyet-ke-hoach"
IN_TIME, APPROVED_LATE, MISSED, NOT_DUE, EXITED = "in_time", "approved_late", "missed", "not_due", "exited"
OUTCOME_LABELS = {
    IN_TIME: "Phê duyệt đúng thời hạn",
    APPROVED_LATE: "Phê duyệt nhưng trễ hạn",
    MISSED: "Quá hạn, chưa có kế hoạch được phê duyệt",
    NOT_DUE: "Chưa đến hạn (không tính)",
    EXITED: "Hồ sơ kết thúc trước hạn, không cần kế hoạch (không tính)",
}
COUNTED = (IN_TIME, APPROVED_LATE, MISSED)
READING = (
    "Cách tính của văn phòng: tính các hồ sơ nhận trong năm (giờ Việt Nam) thuộc loại việc Xâm hại tình dục; "
    "Bị bỏ rơi, bỏ mặc; Mua bán, bắt cóc, đưa đi nơi khác (loại việc do người báo tin chọn). Một trường hợp "
    "“được phê duyệt đúng thời hạn” khi kế hoạch được xây dựng trong 5 ngày làm việc và được phê duyệt trong "
    "2 ngày làm việc (Nghị định 56/2017/NĐ-CP, Điều 28). Không tính các hồ sơ chưa đến hạn và các hồ sơ kết "
    "thúc (không xác minh được, chuyển cơ quan khác, trùng) trước khi hết hạn."
)
NO_CASE_TEXT = "Năm {year} không có hồ sơ nào được tính cho tiêu chí này, nên không có tỷ lệ."


@dataclass(frozen=True)
class RegisterRow:
    """One case in the register: nothing that names a person or tells what happened."""

    case_number: str
    received: dt.datetime  # aware UTC
    commune: str
    category_id: str
    category: str
    step: str
    deadlines: Mapping[str, str]  # legal clock id → a key of DEADLINE_LABELS

    @property
    def received_label(self) -> str:
        return vietnam_time_label(self.received)


@dataclass(frozen=True)
class PlanOutcome:
    case_number: str
    category_id: str
    outcome: str  # a key of OUTCOME_LABELS

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass(frozen=True)
class CriterionFigure:
    """Criterion 6 for one year: every case of its categories with how its plan went."""

    year: int
    outcomes: tuple[PlanOutcome, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def counted(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome in COUNTED)

    @property
    def in_time(self) -> int:
        return self.count(IN_TIME)

    @property
    def percent(self) -> float | None:
        """The share approved in time, 0–100; None when no case counts."""
        return None if not self.counted else 100 * self.in_time / self.counted

    @property
    def text(self) -> str:
        """The figure as a sentence: "2/3 trường hợp (66,7 %) …" or that there was no such case."""
        if self.percent is None:
            return NO_CASE_TEXT.format(year=self.year)
        share = f"{self.percent:.1f}".replace(".", ",")
        return (f"{self.in_time}/{self.counted} trường hợp ({share} %) có kế hoạch hỗ trợ, can thiệp được phê "
                f"duyệt đúng thời hạn trong năm {self.year}.")


def legal_clocks(clocks: Clocks) -> list[ClockRule]:
    """The register's deadline columns: the legal clocks, in the file's order."""
    return [rule for rule in clocks.rules if rule.kind == "legal"]


def received_at(file: Any) -> dt.datetime | None:
    return utc(file.case.received)


def in_year(file: Any, year: int) -> bool:
    moment = received_at(file)
    return moment is not None and to_vietnam(moment).year == year


def ended_at(state: Any) -> dt.datetime | None:
    """When the case ended (its last move), or None while it is open."""
    if not state.ended or not state.history:
        return None
    return utc(state.history[-1].time)


def deadline_status(deadline: Deadline | None, ended: dt.datetime | None) -> str:
    """A key of DEADLINE_LABELS for one clock; a clock left unfinished by an ended case stopped with it,
    unless its due time had passed by then (a missed deadline stays missed)."""
    if deadline is None:
        return NOT_STARTED
    if deadline.status in (MET, LATE):
        return deadline.status
    if ended is not None:
        return OVERDUE if ended > deadline.due else STOPPED
    return OVERDUE if deadline.status == OVERDUE else RUNNING


def commune_label(commune_id: str, communes: Mapping[str, str]) -> str:
    return communes.get(commune_id) or UNKNOWN_COMMUNE_LABEL


def register_row(file: Any, rules: Sequence[ClockRule], categories: Mapping[str, str],
                 communes: Mapping[str, str]) -> RegisterRow:
    fields = file.case.fields
    by_id = {d.id: d for d in file.deadlines}
    ended = ended_at(file.step_state)
    category_id = str(fields.get("category", ""))
    return RegisterRow(
        case_number=file.number, received=received_at(file),
        commune=commune_label(str(fields.get("commune", "")), communes),
        category_id=category_id, category=categories.get(category_id, category_id), step=file.step_state.label(),
        deadlines={rule.id: deadline_status(by_id.get(rule.id), ended) for rule in rules},
    )


def register_rows(files: Iterable[Any], year: int, rules: Sequence[ClockRule], categories: Mapping[str, str],
                  communes: Mapping[str, str]) -> list[RegisterRow]:
    """The rows of the cases received in ``year`` (Vietnam time), oldest case number first."""
    rows = [register_row(f, rules, categories, communes) for f in files if in_year(f, year)]
    return sorted(rows, key=lambda r: (r.received, r.case_number))


def plan_outcome(row: RegisterRow) -> str:
    """How the support plan of one case went, from its two plan clocks (see the module's reading)."""
    draft, approval = row.deadlines.get(DRAFT_CLOCK, NOT_STARTED), row.deadlines.get(APPROVAL_CLOCK, NOT_STARTED)
    if approval in (MET, LATE):
        return IN_TIME if approval == MET and draft == MET else APPROVED_LATE
    if OVERDUE in (draft, approval):
        return MISSED
    if STOPPED in (draft, approval):
        return EXITED
    return NOT_DUE


def criterion_figure(rows: Iterable[RegisterRow], year: int) -> CriterionFigure:
    """Criterion 6 for ``year`` from that year's register rows."""
    outcomes = tuple(PlanOutcome(r.case_number, r.category_id, plan_outcome(r))
                     for r in rows if r.category_id in CRITERION_CATEGORIES)
    return CriterionFigure(year, outcomes)


@dataclass(frozen=True)
class Register:
    """A year's register as one key sees it: the deadline columns, the rows and the criterion-6 figure."""

    year: int
    columns: tuple[ClockRule, ...]
    rows: tuple[RegisterRow, ...]
    figure: CriterionFigure

    def xlsx(self) -> bytes:
        return xlsx_bytes(table(self.rows, self.columns), figure_table(self.figure), self.year)

    def csv(self) -> str:
        return csv_text(table(self.rows, self.columns))


def build_register(files: Iterable[Any], year: int, clocks: Clocks, categories: Mapping[str, str],
                   communes: Mapping[str, str]) -> Register:
    """The register of ``year`` from case files (``communes``: id → today's name, e.g. "xã Mường Ảng")."""
    columns = tuple(legal_clocks(clocks))
    rows = tuple(register_rows(files, year, columns, categories, communes))
    return Register(year, columns, rows, criterion_figure(rows, year))


# -- the exported table ----------------------------------------------------------------------------------

def table(rows: Sequence[RegisterRow], rules: Sequence[ClockRule]) -> list[list[str]]:
    """The register as text cells, heading first: what the XLSX and CSV files hold."""
    heading = ["Số hồ sơ", "Thời điểm nhận (giờ Việt Nam)", "Xã", "Loại việc", "Bước hiện tại"]
    heading += [f"Thời hạn: {rule.label}" for rule in rules]
    body = [[r.case_number, r.received_label, r.commune, r.category, r.step]
            + [DEADLINE_LABELS[r.deadlines[rule.id]] for rule in rules] for r in rows]
    return [heading] + body


def figure_table(figure: CriterionFigure) -> list[list[str]]:
    """Criterion 6 as text cells: the figure, the reading, the count of each outcome, one row per case."""
    cells = [["Tiêu chí 6 — kế hoạch hỗ trợ, can thiệp được phê duyệt đúng thời hạn", ""],
             ["Năm", str(figure.year)], ["Kết quả", figure.text], ["Cách tính", READING], []]
    cells += [[label, str(figure.count(outcome))] for outcome, label in OUTCOME_LABELS.items()]
    cells += [[], ["Số hồ sơ", "Kết quả"]]
    cells += [[o.case_number, o.label] for o in figure.outcomes]
    return cells


def csv_text(cells: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(cells)
    return out.getvalue()


def xlsx_bytes(register: Sequence[Sequence[str]], figure: Sequence[Sequence[str]], year: int) -> bytes:
    """A workbook: the register on the first sheet (heading bold, frozen), criterion 6 on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"Sổ theo dõi {year}"
    for line in register:
        sheet.append(list(line))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", (12, 26, 20, 28, 36, 24, 24, 24, 24, 24)):
        sheet.column_dimensions[column].width = width
    second = book.create_sheet("Tiêu chí 6")
    for line in figure:
        second.append(list(line))
    second["A1"].font = Font(bold=True)
    second.column_dimensions["A"].width = 40
    second.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
