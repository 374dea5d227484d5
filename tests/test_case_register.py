"""The case register and the criterion-6 figure, counted from case files (functions/core/case_register.py).

Case files here are the shape the console's ``CaseFile`` has, built from real clocks (content/data/clocks.yml)
and real step states, so each deadline's status is the one the console would compute.
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from functions.core import case_clocks, case_register as reg, clocks
from functions.core.case_steps import CLOSED, StepState, Transition

UTC = dt.timezone.utc
RULES = clocks.load_clocks()
RECEIVED = dt.datetime(2026, 11, 30, 1, tzinfo=UTC)  # 08:00 thứ Hai 30/11/2026, Vietnam time
# Five working days from then: 08:00 thứ Hai 7/12; two more from a plan drafted 8:00 thứ Năm 3/12: thứ Hai 7/12.
DRAFTED = dt.datetime(2026, 12, 3, 1, tzinfo=UTC)
CATEGORIES = {"xam-hai-tinh-duc": "Xâm hại tình dục", "bao-luc": "Bạo lực, đánh đập, ngược đãi",
              "mua-ban": "Mua bán, bắt cóc, đưa đi nơi khác", "bo-roi-bo-mac": "Bị bỏ rơi, bỏ mặc"}
COMMUNES = {"muong-ang": "xã Mường Ảng"}


def case_file(number: str, *, category: str = "xam-hai-tinh-duc", received: dt.datetime = RECEIVED,
              drafted: dt.datetime | None = None, approved: dt.datetime | None = None,
              ended: str = "", ended_time: dt.datetime | None = None, now: dt.datetime | None = None,
              commune: str = "muong-ang"):
    """A case file as the console reads it: the plan forms saved complete at ``drafted`` / ``approved``."""
    completed = {}
    if drafted:
        completed["mau-04"] = drafted.isoformat()
    if approved:
        completed["mau-05"] = approved.isoformat()
    history = ()
    if ended:
        history = (Transition("close" if ended == CLOSED else "exit", 2, ended, time=ended_time.isoformat()),)
    state = StepState(step=2 if ended != CLOSED else 6, ended=ended, completed_at=completed, history=history)
    moment = now or dt.datetime(2026, 12, 20, tzinfo=UTC)
    deadlines = clocks.deadlines(RULES, case_clocks.case_facts(received.isoformat(), state), moment)
    fields = {"category": category, "commune": commune, "description": "MÔ TẢ RIÊNG TƯ",
              "reporter_name": "TÊN NGƯỜI BÁO"}
    case = SimpleNamespace(received=received.isoformat(), fields=fields)
    return SimpleNamespace(number=number, case=case, step_state=state, deadlines=deadlines)


def row(file) -> reg.RegisterRow:
    return reg.register_row(file, reg.legal_clocks(RULES), CATEGORIES, COMMUNES)


# -- deadline statuses ----------------------------------------------------------------------------------

def test_every_deadline_status_of_the_register():
    def plan(**kwargs) -> str:
        return row(case_file("2026-0001", **kwargs)).deadlines[reg.DRAFT_CLOCK]

    assert plan(drafted=DRAFTED) == reg.MET
    assert plan(drafted=dt.datetime(2026, 12, 8, tzinfo=UTC)) == reg.LATE
    assert plan() == reg.OVERDUE  # nothing drafted and 7/12 08:00 has passed on 20/12
    assert plan(now=RECEIVED + dt.timedelta(hours=1)) == reg.RUNNING
    assert plan(now=dt.datetime(2026, 12, 6, tzinfo=UTC)) == reg.RUNNING  # "soon" is still running
    assert row(case_file("2026-0001")).deadlines[reg.APPROVAL_CLOCK] == reg.NOT_STARTED  # no plan drafted yet
    exited_early = case_file("2026-0001", ended="khong-xac-minh", ended_time=RECEIVED + dt.timedelta(days=1))
    assert row(exited_early).deadlines[reg.DRAFT_CLOCK] == reg.STOPPED
    exited_late = case_file("2026-0001", ended="chuyen-co-quan-khac", ended_time=dt.datetime(2026, 12, 10, tzinfo=UTC))
    assert row(exited_late).deadlines[reg.DRAFT_CLOCK] == reg.OVERDUE
    assert set(reg.DEADLINE_LABELS) == {reg.MET, reg.LATE, reg.OVERDUE, reg.RUNNING, reg.NOT_STARTED, reg.STOPPED}


def test_a_row_holds_number_dates_commune_category_step_and_one_status_per_legal_clock_only():
    found = row(case_file("2026-0003", drafted=DRAFTED, commune="khong-ro"))
    assert found.case_number == "2026-0003" and found.received_label == "08:00 thứ Hai 30/11/2026"
    assert found.commune == reg.UNKNOWN_COMMUNE_LABEL and found.category == "Xâm hại tình dục"
    assert found.step.startswith("Bước 2")
    assert list(found.deadlines) == [r.id for r in RULES.rules if r.kind == "legal"]
    cells = [cell for line in reg.table([found], reg.legal_clocks(RULES)) for cell in line]
    assert not any("RIÊNG TƯ" in c or "NGƯỜI BÁO" in c for c in cells)


def test_rows_are_the_cases_received_in_the_year_in_vietnam_time_oldest_first():
    new_year_eve = dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 23:30 on 31/12 in Việt Nam
    new_year = dt.datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1/1/2027 in Việt Nam
    files = [case_file("2027-0001", received=new_year), case_file("2026-0009", received=new_year_eve),
             case_file("2026-0002")]
    rows = reg.register_rows(files, 2026, reg.legal_clocks(RULES), CATEGORIES, COMMUNES)
    assert [r.case_number for r in rows] == ["2026-0002", "2026-0009"]
    assert [r.case_number for r in reg.register_rows(files, 2027, reg.legal_clocks(RULES), CATEGORIES, COMMUNES)] \
        == ["2027-0001"]


# -- criterion 6 ---------------------------------------------------------------------------------------

def figure(*files) -> reg.CriterionFigure:
    return reg.criterion_figure([row(f) for f in files], 2026)


def test_no_case_gives_no_figure_and_says_so_rather_than_0_or_100_percent():
    for empty in (figure(), figure(case_file("2026-0001", category="bao-luc", drafted=DRAFTED))):
        assert empty.percent is None and empty.counted == 0
        assert "không có hồ sơ nào" in empty.text and "%" not in empty.text


def test_a_plan_drafted_and_approved_in_time_counts_as_in_time():
    found = figure(case_file("2026-0001", drafted=DRAFTED, approved=DRAFTED + dt.timedelta(hours=5)))
    assert [o.outcome for o in found.outcomes] == [reg.IN_TIME]
    assert found.percent == 100 and found.text.startswith("1/1 trường hợp (100,0 %)")


def test_a_plan_approved_late_or_drafted_late_is_counted_and_not_in_time():
    approved_late = case_file("2026-0001", drafted=DRAFTED, approved=dt.datetime(2026, 12, 9, tzinfo=UTC))
    drafted_late = case_file("2026-0002", drafted=dt.datetime(2026, 12, 9, tzinfo=UTC),
                             approved=dt.datetime(2026, 12, 9, 5, tzinfo=UTC))
    found = figure(approved_late, drafted_late)
    assert [o.outcome for o in found.outcomes] == [reg.APPROVED_LATE, reg.APPROVED_LATE]
    assert found.counted == 2 and found.in_time == 0 and found.percent == 0


def test_a_plan_not_yet_due_is_listed_but_not_counted():
    running = case_file("2026-0001", now=dt.datetime(2026, 12, 2, tzinfo=UTC))
    drafted_awaiting = case_file("2026-0002", drafted=DRAFTED, now=DRAFTED + dt.timedelta(hours=1))
    found = figure(running, drafted_awaiting)
    assert [o.outcome for o in found.outcomes] == [reg.NOT_DUE, reg.NOT_DUE]
    assert found.percent is None and "không có hồ sơ nào" in found.text


def test_an_overdue_plan_counts_against_the_share():
    found = figure(case_file("2026-0001", drafted=DRAFTED), case_file("2026-0002", category="mua-ban",
                   drafted=DRAFTED, approved=DRAFTED + dt.timedelta(days=1)))
    assert [o.outcome for o in found.outcomes] == [reg.MISSED, reg.IN_TIME]
    assert found.percent == 50 and found.text.startswith("1/2 trường hợp (50,0 %)")


def test_a_case_closed_by_exit_before_its_deadline_is_not_counted_after_it_is_missed():
    early = case_file("2026-0001", category="bo-roi-bo-mac", ended="khong-xac-minh",
                      ended_time=RECEIVED + dt.timedelta(days=1))
    late = case_file("2026-0002", category="bo-roi-bo-mac", ended="trung-lap",
                     ended_time=dt.datetime(2026, 12, 15, tzinfo=UTC))
    found = figure(early, late)
    assert [o.outcome for o in found.outcomes] == [reg.EXITED, reg.MISSED]
    assert found.counted == 1 and found.percent == 0


def test_a_case_closed_after_step_6_keeps_how_its_plan_went():
    closed = case_file("2026-0001", drafted=DRAFTED, approved=DRAFTED + dt.timedelta(hours=2), ended=CLOSED,
                       ended_time=dt.datetime(2026, 12, 18, tzinfo=UTC))
    assert [o.outcome for o in figure(closed).outcomes] == [reg.IN_TIME]


def test_only_sexual_abuse_abandonment_and_trafficking_are_counted():
    assert set(reg.CRITERION_CATEGORIES) == {"xam-hai-tinh-duc", "bo-roi-bo-mac", "mua-ban"}
    files = [case_file(f"2026-000{i}", category=c, drafted=DRAFTED, approved=DRAFTED)
             for i, c in enumerate(["xam-hai-tinh-duc", "bao-luc", "mua-ban", "bo-roi-bo-mac", "khac"], 1)]
    assert [o.case_number for o in figure(*files).outcomes] == ["2026-0001", "2026-0003", "2026-0004"]


@pytest.mark.parametrize("in_time,counted,text", [(2, 3, "2/3 trường hợp (66,7 %)"), (0, 1, "0/1 trường hợp (0,0 %)")])
def test_the_share_is_written_the_vietnamese_way(in_time, counted, text):
    outcomes = [reg.PlanOutcome(f"2026-{i:04d}", "mua-ban", reg.IN_TIME if i < in_time else reg.MISSED)
                for i in range(counted)]
    assert reg.CriterionFigure(2026, tuple(outcomes)).text.startswith(text)


# -- the exported files --------------------------------------------------------------------------------

def test_the_workbook_holds_the_register_and_the_figure_with_its_reading():
    rows = [row(case_file("2026-0001", drafted=DRAFTED, approved=DRAFTED))]
    rules = reg.legal_clocks(RULES)
    data = reg.xlsx_bytes(reg.table(rows, rules), reg.figure_table(reg.criterion_figure(rows, 2026)), 2026)
    book = load_workbook(io.BytesIO(data))
    register, second = book.worksheets
    assert register.title == "Sổ theo dõi 2026" and second.title == "Tiêu chí 6"
    assert [c.value for c in register[1]][:5] == ["Số hồ sơ", "Thời điểm nhận (giờ Việt Nam)", "Xã", "Loại việc",
                                                  "Bước hiện tại"]
    assert [c.value for c in register[2]][:3] == ["2026-0001", "08:00 thứ Hai 30/11/2026", "xã Mường Ảng"]
    values = [c.value for line in second.iter_rows() for c in line if c.value]
    assert reg.READING in values and "1/1 trường hợp (100,0 %)" in " ".join(values)
    assert reg.csv_text(reg.table(rows, rules)).splitlines()[0].startswith("Số hồ sơ,")
