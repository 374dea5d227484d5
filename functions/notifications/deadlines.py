"""Officer-side deadline counts for ``bvte notify remind``: how many clocks fall due within 24 hours and how
many are overdue, over the cases an officer's key opens. Only the two numbers ever leave the computer.

A case's clock facts come from its signed step state (``case_steps``): ``received``; the first complete
save of Mẫu 02 (``initial_assessment_done``), Mẫu 04 (``plan_drafted``), Mẫu 05 (``plan_approved``);
the times Mẫu 07 records for a separation (``separation_started``/``separation_ended``, typed in Vietnam
time). Pure: no storage, no key.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from ..core.case_steps import APPROVAL_FORM, ASSESSMENT_FORM, PLAN_FORM, SEPARATION_FORM, StepState
from ..core.clocks import OVERDUE, Deadline
from ..core.vietnam import VIETNAM

WINDOW = timedelta(hours=24)
COMPLETED_FACTS = {ASSESSMENT_FORM: "initial_assessment_done", PLAN_FORM: "plan_drafted",
                   APPROVAL_FORM: "plan_approved"}
SEPARATION_FIELDS = {"thoi_diem_tach": "separation_started", "thoi_diem_ket_thuc": "separation_ended"}


def _aware(text: str, naive_is_vietnam: bool = False) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM if naive_is_vietnam else timezone.utc)
    return moment.astimezone(timezone.utc)


def case_facts(received: str, state: StepState) -> dict[str, datetime]:
    """The clock facts of one case (only those that happened and parse)."""
    facts = {"received": _aware(received)}
    for form_id, name in COMPLETED_FACTS.items():
        if state.completed_at.get(form_id):
            facts[name] = _aware(state.completed_at[form_id])
    separation = state.forms.get(SEPARATION_FORM) or {}
    for field_id, name in SEPARATION_FIELDS.items():
        if separation.get(field_id):
            facts[name] = _aware(separation[field_id], naive_is_vietnam=True)
    return {name: moment for name, moment in facts.items() if moment is not None}


def tally(deadline_lists: Iterable[list[Deadline]]) -> tuple[int, int]:
    """(due within 24 hours and still open, overdue) over every case's deadlines at their ``now``."""
    soon = overdue = 0
    for deadlines in deadline_lists:
        for deadline in deadlines:
            if deadline.status == OVERDUE:
                overdue += 1
            elif deadline.time_left is not None and timedelta(0) <= deadline.time_left <= WINDOW:
                soon += 1
    return soon, overdue
