"""The inbox's rows: one summary per case the unlocked key opens, kept in memory for that unlock only.

Reading a case (decrypt the report, read and verify its signed events) is what costs; a row's clocks also
depend on the time. So the index keeps, per tip id, what ``casefile.read_case`` read, keyed by the case's
storage listing (its event keys and this officer's grants): a new event or grant makes that case be read
again, every other case is reused. One listing of ``tips/`` per render finds what changed. A kept row is
reused until its clocks next change on their own (a clock turns "sắp đến hạn" or "quá hạn"); then it is
re-assembled from what was read (``casefile.assemble``, no storage). Cases are read by a few threads at
once, so storage round trips (S3) and decryption overlap.

Everything kept belongs to one unlock: the index holds only a weak reference to the unlocked officer and
forgets every case when that officer object goes (Khóa, idle timeout) or another unlock replaces it.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import SimpleNamespace

from flask import current_app

from ..commands.cases import commune_text
from ..core import case_clocks, cases, clocks, reporter_messages
from ..core.text import fold
from .casefile import CaseFile, References, assemble, read_case

READERS = 8  # cases read at once
NEVER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class InboxRow:
    """What the inbox shows of one case (nothing of the description, the child or the reporter)."""

    number: str
    tip_id: str
    received: dt.datetime
    commune: str  # the commune id
    commune_name: str  # today's name
    commune_label: str  # today's name, and what the reporter typed when that differs
    category: str
    category_label: str
    urgent: bool
    step: int
    step_label: str
    ended: bool  # closed or ended by a side exit
    assigned: str
    deadline: clocks.Deadline | None  # the open clock due first
    unread_messages: int
    search_text: str  # folded: number, commune names, category, step, officer

    @property
    def received_label(self) -> str:
        return clocks.vietnam_time_label(self.received)

    @property
    def status(self) -> str:
        return self.deadline.status if self.deadline else ""


def unread_reporter_messages(file: CaseFile, times: tuple[str, ...] = (), author: str = "") -> int:
    """Messages from the receipt holder (arrival ``times``) newer than ``author``'s last signed read marker
    (``functions.core.reporter_messages``); the inbox shows its column once any row counts one."""
    return reporter_messages.unread(list(times), file.events, author)


def build_row(file: CaseFile, refs: References, folds: dict[str, str] | None = None, unread: int = 0) -> InboxRow:
    """The inbox row of an assembled case; ``folds`` remembers folded words across rows (the same commune,
    category and step recur in every row), and is forgotten with the rows."""
    folds = {} if folds is None else folds

    def folded(text: str) -> str:
        if text not in folds:
            folds[text] = fold(text)
        return folds[text]

    case, fields = file.case, file.case.fields
    commune_id = str(fields.get("commune", ""))
    commune = refs.places.get(commune_id) if refs.places is not None else None
    category = str(fields.get("category", ""))
    category_label = refs.categories.get(category, category)
    commune_label = commune_text(refs.places, fields)
    step_label = file.step_state.label()
    assigned = file.state.assigned
    words = [file.number, commune_label, commune_id.replace("-", " "), category_label, step_label, assigned,
             *(commune.former_names if commune else ())]
    return InboxRow(
        number=file.number, tip_id=case.tip_id,
        received=case_clocks.utc(case.received) or dt.datetime.fromtimestamp(0, dt.timezone.utc),
        commune=commune_id, commune_name=commune_text(refs.places, {"commune": commune_id}),
        commune_label=commune_label, category=category, category_label=category_label,
        urgent=fields.get("urgent") is True, step=file.step_state.step, step_label=step_label,
        ended=not file.step_state.open or file.state.closed, assigned=assigned,
        deadline=None if file.state.closed else file.next_deadline,
        unread_messages=unread, search_text=" ".join(map(folded, words)),
    )


def valid_until(file: CaseFile, now: dt.datetime) -> dt.datetime:
    """When the case's clocks next change with no new event: a fact dated after ``now`` (a separation time
    typed ahead) starts or stops a clock; an open clock turns "soon" at three quarters of its span and
    "overdue" once past its due time (the rules of ``clocks._status``)."""
    facts = case_clocks.case_facts(file.case.received, file.step_state)
    moments = [moment for moment in facts.values() if moment > now]
    for deadline in file.deadlines:
        if deadline.status == clocks.OK:
            moments.append(deadline.started + (deadline.due - deadline.started) * 3 / 4)
        elif deadline.status == clocks.SOON:
            moments.append(deadline.due + dt.timedelta(microseconds=1))
    return min(moments, default=NEVER)


@dataclass
class _Kept:
    """One tip as last read: ``file`` is None when this key cannot open it."""

    signature: tuple
    file: CaseFile | None
    row: InboxRow | None = None
    since: dt.datetime = NEVER  # the ``now`` the row was assembled at
    until: dt.datetime = NEVER  # when its clocks next change on their own
    message_times: tuple[str, ...] = ()  # when the receipt holder's messages arrived (unread counts)


@dataclass
class Listing:
    """One listing of ``tips/``: each case's signature (its event keys, this officer's grants and the
    receipt holder's messages)."""

    signatures: dict[str, tuple]
    legacy: int  # reports of the first format (``bvte office migrate`` not run): the console cannot open them


def _is_reporter_message(parts: list[str]) -> bool:
    """``tips/<tip>/messages/<name>.json``: the commit point of a receipt holder's message."""
    return len(parts) == 4 and parts[2] == "messages" and parts[3].endswith(".json")


def list_cases(storage, officer_id: str | None) -> Listing:
    """Every committed case (the layout of ``functions.core.cases``) with what makes it change."""
    records, old, events, grants, messages = set(), set(), {}, {}, {}
    mine = f"{officer_id}-" if officer_id else None
    for key in storage.list("tips/"):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == cases.RECORD_V2:
            records.add(parts[1])
        elif len(parts) == 3 and parts[2] == cases.RECORD_V1:
            old.add(parts[1])
        elif len(parts) == 4 and parts[2] == "case":
            events.setdefault(parts[1], []).append(parts[3])
        elif len(parts) == 4 and parts[2] == "grants" and mine and parts[3].startswith(mine):
            grants.setdefault(parts[1], []).append(parts[3])
        elif _is_reporter_message(parts):
            messages.setdefault(parts[1], []).append(parts[3])  # a reporter message: its unread count changes
    signatures = {tip: (tuple(sorted(events.get(tip, ()))), tuple(sorted(grants.get(tip, ()))),
                        tuple(sorted(messages.get(tip, ())))) for tip in records}
    return Listing(signatures, len(old - records))


class CaseIndex:
    """The rows of the cases one unlocked officer opens; one per console (``case_index()``)."""

    def __init__(self, readers: int = READERS):
        self._lock = threading.Lock()
        self._readers = readers
        self._owner: weakref.ref | None = None
        self._kept: dict[str, _Kept] = {}
        self._folds: dict[str, str] = {}
        self.legacy = 0
        self._author = ""  # the unlocked officer's author name (whose read markers count)
        self.last_read = 0  # how many cases the last ``rows`` call read from storage (tests, benchmark)

    def _bind(self, actor) -> None:
        """Keep cases for ``actor`` only: another unlock starts empty; the actor's end empties the index."""
        if self._owner is not None and self._owner() is actor:
            return
        self._kept, self._folds = {}, {}
        self._owner = weakref.ref(actor, self._forget)

    def _forget(self, ref: weakref.ref) -> None:
        if self._owner is ref:
            self._kept, self._folds, self._owner = {}, {}, None

    def rows(self, office, actor, refs: References, now: dt.datetime) -> list[InboxRow]:
        """Every case ``actor`` opens, as rows at ``now`` (unordered); storage errors propagate."""
        with self._lock:
            self._bind(actor)
            self._author = actor.author
            listing = list_cases(office.storage, actor.officer_id)
            self.legacy = listing.legacy
            stale = [tip for tip, signature in listing.signatures.items()
                     if tip not in self._kept or self._kept[tip].signature != signature]
            self._read(office, actor, refs, now, stale, listing.signatures)
            self._kept = {tip: kept for tip, kept in self._kept.items() if tip in listing.signatures}
            return [self._current(kept, refs, now) for kept in self._kept.values() if kept.file is not None]

    def _read(self, office, actor, refs: References, now: dt.datetime, tips: list[str],
              signatures: dict[str, tuple]) -> None:
        # The root and keyring read once for the whole render (Session.root reads its file at every use).
        snapshot = SimpleNamespace(storage=office.storage, root=office.root, versions=office.versions)

        def one(tip_id: str) -> CaseFile | None:
            try:
                return read_case(snapshot, actor, tip_id, refs, now)
            except cases.CaseError:
                return None  # not sealed or granted to this key (or unreadable): not listed

        if len(tips) > 1:
            with ThreadPoolExecutor(max_workers=self._readers) as pool:
                files = list(pool.map(one, tips))
        else:
            files = [one(tip) for tip in tips]
        for tip_id, file in zip(tips, files):
            has_messages = bool(signatures[tip_id][2])  # read their times only where there are any
            times = tuple(reporter_messages.message_times(office.storage, tip_id)) if file and has_messages else ()
            self._kept[tip_id] = _Kept(signatures[tip_id], file, message_times=times)
        self.last_read = len(tips)

    def _current(self, kept: _Kept, refs: References, now: dt.datetime) -> InboxRow:
        """The kept row with its time left at ``now``; re-assembled when its clocks changed since."""
        if kept.row is None or not kept.since <= now < kept.until:
            if kept.row is not None:
                kept.file = assemble(kept.file.case, kept.file.events, refs, now)
            kept.row = build_row(kept.file, refs, self._folds,
                                 unread_reporter_messages(kept.file, kept.message_times, self._author))
            kept.since, kept.until = now, valid_until(kept.file, now)
        deadline = kept.row.deadline
        if deadline is None or deadline.time_left is None:
            return kept.row
        return replace(kept.row, deadline=replace(deadline, time_left=deadline.due - now))


def case_index() -> CaseIndex:
    """The console's one index (made at the first request that needs it)."""
    found = current_app.extensions.get("console-case-index")
    if found is None:
        found = current_app.extensions.setdefault("console-case-index", CaseIndex())
    return found
