"""A case's facts for the legal clocks (``functions.core.clocks``), read from its step state.

The clocks count from events the system itself witnessed: ``received`` (the report's arrival),
``cycle_started`` (the arrival, or the signed time of the latest repeat from step 3, when a new plan is due)
and the signed time at which a finishing form was first saved complete (``StepState.completed_at``) — an officer
cannot move a deadline by typing a time. The temporary separation is the exception: it starts and ends
when the child was separated and returned, which only the officer knows, so Mẫu 07's own times are used
(typed in Vietnam time).

Pure: no storage, no framework.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from .case_steps import APPROVAL_FORM, ASSESSMENT_FORM, PLAN_FORM, REPEAT, SEPARATION_FORM, StepState
from .clocks import OK, OVERDUE, SOON, Deadline
from .vietnam import VIETNAM

FORM_FACTS = {"initial_assessment_done": ASSESSMENT_FORM, "plan_drafted": PLAN_FORM, "plan_approved": APPROVAL_FORM}
SEPARATION_FACTS = {"separation_started": "thoi_diem_tach", "separation_ended": "thoi_diem_ket_thuc"}
OPEN = (OVERDUE, SOON, OK)


def utc(text: str) -> dt.datetime | None:
    """A stored ISO time as an aware UTC datetime; a naive one is Vietnam time (as forms store it)."""
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(dt.timezone.utc)


def case_facts(received: str, state: StepState) -> dict[str, dt.datetime]:
    """``{event name: aware UTC time}`` for ``clocks.deadlines``."""
    facts = {}
    start = utc(received)
    if start is not None:
        facts["received"] = facts["cycle_started"] = start
    repeats = [t.time for t in state.history if t.action == REPEAT and utc(t.time) is not None]
    if repeats:  # a new round from step 3: its plan is counted from the decision to repeat
        facts["cycle_started"] = utc(repeats[-1])
    for fact, form_id in FORM_FACTS.items():
        moment = utc(state.completed_at.get(form_id, "")) if form_id in state.completed_at else None
        if moment is not None:
            facts[fact] = moment
    separation = state.forms.get(SEPARATION_FORM, {})
    for fact, field_id in SEPARATION_FACTS.items():
        moment = utc(separation.get(field_id) or "") if separation.get(field_id) else None
        if moment is not None:
            facts[fact] = moment
    return facts


def next_deadline(deadlines: Iterable[Deadline]) -> Deadline | None:
    """The open deadline due first (overdue ones included), or None when every clock has stopped."""
    running = [d for d in deadlines if d.status in OPEN]
    return min(running, key=lambda d: d.due) if running else None
