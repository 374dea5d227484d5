"""A case's clock facts come from what the system witnessed, the separation from Mẫu 07's own times."""

from __future__ import annotations

import datetime as dt

from functions.core import case_clocks, clocks
from functions.core.case_steps import StepState

UTC = dt.timezone.utc
RECEIVED = "2026-11-30T01:00:00+00:00"  # 08:00 thứ Hai 30/11/2026, Vietnam time


def test_received_and_completed_forms_become_facts_in_utc():
    state = StepState(completed_at={"mau-02": "2026-11-30T10:00:00+00:00", "mau-04": "2026-12-02T03:00:00+00:00"})
    facts = case_clocks.case_facts(RECEIVED, state)
    assert facts == {"received": dt.datetime(2026, 11, 30, 1, tzinfo=UTC),
                     "cycle_started": dt.datetime(2026, 11, 30, 1, tzinfo=UTC),
                     "initial_assessment_done": dt.datetime(2026, 11, 30, 10, tzinfo=UTC),
                     "plan_drafted": dt.datetime(2026, 12, 2, 3, tzinfo=UTC)}


def test_separation_times_are_read_as_vietnam_time_from_mau_07():
    state = StepState(forms={"mau-07": {"thoi_diem_tach": "2026-11-30T14:05:00", "thoi_diem_ket_thuc": ""}})
    facts = case_clocks.case_facts(RECEIVED, state)
    assert facts["separation_started"] == dt.datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    assert "separation_ended" not in facts


def test_an_unreadable_time_is_no_fact_rather_than_an_error():
    assert case_clocks.case_facts("not a time", StepState(completed_at={"mau-02": "garbage"})) == {}


def test_next_deadline_is_the_open_one_due_first_and_none_once_all_stopped():
    rules = clocks.load_clocks()
    received = dt.datetime(2026, 11, 30, 1, tzinfo=UTC)
    now = received + dt.timedelta(hours=13)
    found = clocks.deadlines(rules, {"received": received, "cycle_started": received}, now)
    first = case_clocks.next_deadline(found)
    assert first.id == "danh-gia-ban-dau" and first.status == clocks.OVERDUE
    done = clocks.deadlines(rules, {"received": received, "cycle_started": received, "initial_assessment_done": received + dt.timedelta(hours=2),
                                    "plan_drafted": received + dt.timedelta(days=1),
                                    "plan_approved": received + dt.timedelta(days=2)}, now + dt.timedelta(days=3))
    assert case_clocks.next_deadline(done) is None


def test_a_repeat_from_step_3_starts_the_new_plan_clock_at_the_decision_to_repeat():
    from functions.core.case_steps import REPEAT, Transition

    repeated = "2026-12-14T02:00:00+00:00"
    state = StepState(cycle=2, history=(Transition("advance", 1, 2, time="2026-11-30T02:00:00+00:00"),
                                        Transition(REPEAT, 6, 3, reason="chưa ổn", time=repeated)))
    facts = case_clocks.case_facts(RECEIVED, state)
    assert facts["received"] == dt.datetime(2026, 11, 30, 1, tzinfo=UTC)
    assert facts["cycle_started"] == dt.datetime(2026, 12, 14, 2, tzinfo=UTC)
    plan = next(d for d in clocks.deadlines(clocks.load_clocks(), facts, facts["cycle_started"]) if d.id == "du-thao-ke-hoach")
    assert plan.started == facts["cycle_started"] and plan.status == clocks.OK
