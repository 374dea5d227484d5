"""One case as the console shows it: decrypted for the unlocked officer, its signed history replayed, its
steps folded through the decree's rules and its legal clocks computed at ``now``.

Every console area reads cases through ``read_case`` and the reference data through ``references``,
so the inbox, the case page, print and the register agree on what a case is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from flask import current_app

from ..core import case_clocks, case_steps, cases, clocks
from ..core.forms import Form, load_forms
from ..core.places import PlacesError, load_places
from ..core.tip_validation import load_categories
from ..core.workdays import WorkingCalendar, default_calendar


@dataclass
class References:
    """Data every case needs, loaded once per console: forms, clocks, working days, categories, places."""

    forms: dict[str, Form]
    clocks: clocks.Clocks
    calendar: WorkingCalendar
    categories: dict[str, str]
    places: object | None


def load_references(content_dir) -> References:
    try:
        places = load_places(content_dir)
    except PlacesError:
        places = None
    return References(
        forms=load_forms(content_dir),
        clocks=clocks.load_clocks(Path(content_dir) / "data" / "clocks.yml"),
        calendar=default_calendar(),
        categories={c.id: c.label for c in load_categories(content_dir)},
        places=places,
    )


def references() -> References:
    """The console's reference data (loaded at the first request that needs it)."""
    found = current_app.extensions.get("console-references")
    if found is None:
        found = load_references(current_app.extensions["console-session"].config.content_dir)
        current_app.extensions["console-references"] = found
    return found


@dataclass
class CaseFile:
    case: cases.Case
    events: list[cases.Event]
    state: cases.CaseState
    steps: case_steps.StepProgress
    deadlines: list[clocks.Deadline] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.case.case_number

    @property
    def step_state(self) -> case_steps.StepState:
        return self.steps.state

    @cached_property
    def next_deadline(self) -> clocks.Deadline | None:
        return case_clocks.next_deadline(self.deadlines) if self.step_state.open else None


def read_case(office, actor, tip_id: str, refs: References, now: dt.datetime | None = None) -> CaseFile:
    """Decrypt and replay one case for ``actor``; ``cases.CaseError`` when this key cannot open it.
    ``office`` is the console's ``Session`` (storage, root, keyring versions)."""
    case = cases.open_case(office.storage, tip_id, actor.identity, actor.officer_id)
    events = cases.read_events(office.storage, case, office.root, office.versions)
    return assemble(case, events, refs, now)


def assemble(case: cases.Case, events: list[cases.Event], refs: References,
             now: dt.datetime | None = None) -> CaseFile:
    """A ``CaseFile`` from an opened case and its events (pure: the inbox may cache what it read)."""
    steps = case_steps.replay_steps(events, refs.forms)
    facts = case_clocks.case_facts(case.received, steps.state)
    moment = now or dt.datetime.now(dt.timezone.utc)
    deadlines = clocks.deadlines(refs.clocks, facts, moment, refs.calendar)
    return CaseFile(case, events, cases.replay(events), steps, deadlines)


def readable_cases(office, actor, refs: References, now: dt.datetime | None = None) -> list[CaseFile]:
    """Every case ``actor`` can open, each read as ``read_case`` does (used by the register and its command;
    a report of the first format is not a case until ``bvte office migrate``)."""
    found = []
    for tip_id in cases.tip_ids(office.storage):
        if not office.storage.exists(cases.record_keys(tip_id)[0]):
            continue
        try:
            found.append(read_case(office, actor, tip_id, refs, now))
        except cases.CaseError:
            continue  # sealed to other officers only
    return found
