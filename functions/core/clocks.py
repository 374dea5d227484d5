"""The legal clocks of a case: load ``content/data/clocks.yml`` and compute each deadline's state.

Deadlines are data, each citing its article of Nghị định 56/2017/NĐ-CP (or, ``kind: internal``, the
office's own stricter target). A case's facts are ``{event name: aware UTC datetime}`` — ``received``,
``plan_drafted``, ``separation_started``, … — and ``deadlines`` answers, at a given ``now``, every clock
whose starting event has happened:

- ``met``: a finishing event happened no later than the due time;
- ``late``: the first finishing event came after the due time (kept apart so a register can count it);
- ``overdue``: no finishing event and ``now`` is past the due time (at the due time exactly it is not);
- ``soon``: in the last quarter of its span, from start + ¾ of (due − start) up to the due time;
- ``ok``: before that.

Durations in hours and calendar days are exact spans (Vietnam keeps no daylight saving time, so the
wall clock agrees); working days follow ``functions/core/workdays.py`` and the reading stated in the file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .workdays import WorkingCalendar, default_calendar, to_vietnam
from .yaml_data import load_yaml

UNITS = ("hours", "working_days", "days")
KINDS = ("legal", "internal")
CONFIDENCE = ("confirmed", "one_source", "unknown")
STEPS = range(1, 7)
OK, SOON, OVERDUE, MET, LATE = "ok", "soon", "overdue", "met", "late"
STATUS_LABELS = {
    OK: "Còn hạn",
    SOON: "Sắp đến hạn",
    OVERDUE: "Quá hạn",
    MET: "Đã xong đúng hạn",
    LATE: "Đã xong nhưng trễ hạn",
}
CONFIDENCE_LABELS = {"confirmed": "đã xác nhận", "one_source": "một nguồn", "unknown": "chưa rõ"}
UNIT_LABELS = {"hours": "giờ", "working_days": "ngày làm việc", "days": "ngày"}
# Written out rather than taken from Babel: Babel's "Thứ Hai"/"Chủ Nhật" are capitalised for a heading,
# while inside a time label Vietnamese writes "thứ Hai" and "Chủ nhật".
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "content" / "data" / "clocks.yml"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_EVENT = re.compile(r"^[a-z][a-z0-9_]*$")


class ClocksError(ValueError):
    """The clocks file is malformed: the message names the file and field."""


@dataclass(frozen=True)
class Reading:
    """How the office reads an unclear point of the decree; always shown as the office's reading."""

    text: str
    by: str = "office"


@dataclass(frozen=True)
class Source:
    document: str
    article: str | None = None
    clause: str | None = None
    form: str | None = None
    quote: str | None = None
    confidence: str | None = None

    @property
    def citation(self) -> str:
        """E.g. "Nghị định 56/2017/NĐ-CP, Điều 28 khoản 1 (đã xác nhận)"."""
        parts = [self.document, " ".join(p for p in (self.article, self.clause) if p), self.form or ""]
        text = ", ".join(p for p in parts if p)
        return f"{text} ({CONFIDENCE_LABELS[self.confidence]})" if self.confidence else text


@dataclass(frozen=True)
class ClockRule:
    id: str
    kind: str
    step: int
    label: str
    starts_on: str
    ends_on: tuple[str, ...]
    duration: int
    unit: str
    source: Source
    start_reading: Reading | None = None
    target_for: str | None = None

    def due(self, start: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
        if self.unit == "hours":
            return start + dt.timedelta(hours=self.duration)
        if self.unit == "days":
            return start + dt.timedelta(days=self.duration)
        return calendar.add_working_days(start, self.duration)


@dataclass(frozen=True)
class Clocks:
    version: int
    working_days_reading: Reading
    rules: tuple[ClockRule, ...]

    def rule(self, rule_id: str) -> ClockRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Deadline:
    """One clock of one case at one moment."""

    id: str
    kind: str
    step: int
    label: str
    started: dt.datetime
    due: dt.datetime
    source: Source
    status: str
    time_left: dt.timedelta | None  # due − now while open (negative when overdue); None once finished
    finished: dt.datetime | None
    start_reading: Reading | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


# --- loading -------------------------------------------------------------------------------------------

def _text(raw: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ClocksError(f"{where}.{name}: expected a non-empty text, got {value!r}")
    return value.strip()


def _choice(raw: Mapping[str, Any], name: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(name)
    if value not in allowed:
        raise ClocksError(f"{where}.{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _event(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _EVENT.match(value):
        raise ClocksError(f"{where}: expected an event name such as received, got {value!r}")
    return value


def _reading(raw: Any, where: str) -> Reading:
    if not isinstance(raw, dict):
        raise ClocksError(f"{where}: expected a mapping with by: office and text")
    if raw.get("by") != "office":
        raise ClocksError(f"{where}.by: must be office (a reading is the office's, never the decree's words)")
    return Reading(_text(raw, "text", where))


def _source(raw: Any, kind: str, where: str) -> Source:
    if not isinstance(raw, dict):
        raise ClocksError(f"{where}: expected a mapping with document, article, clause, confidence")
    fields = {name: _text(raw, name, where, required=False) for name in ("article", "clause", "form", "quote")}
    confidence = raw.get("confidence")
    if kind == "legal" or confidence is not None:
        confidence = _choice(raw, "confidence", CONFIDENCE, where)
    if kind == "legal" and not (fields["article"] or fields["form"]):
        raise ClocksError(f"{where}.article: a legal deadline cites an article or a form")
    return Source(document=_text(raw, "document", where), confidence=confidence, **fields)


def _whole(raw: Mapping[str, Any], name: str, where: str, allowed: range | None = None) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1 or (allowed and value not in allowed):
        bound = f" from {allowed.start} to {allowed.stop - 1}" if allowed else " ≥ 1"
        raise ClocksError(f"{where}.{name}: expected a whole number{bound}, got {value!r}")
    return value


def _rule(raw: Any, where: str) -> ClockRule:
    if not isinstance(raw, dict):
        raise ClocksError(f"{where}: expected a mapping")
    rule_id = _text(raw, "id", where)
    if not _ID.match(rule_id):
        raise ClocksError(f"{where}.id: expected lower-case words joined by '-', got {rule_id!r}")
    kind = _choice(raw, "kind", KINDS, where)
    ends_on = raw.get("ends_on")
    if not isinstance(ends_on, list) or not ends_on:
        raise ClocksError(f"{where}.ends_on: expected a non-empty list of event names")
    reading = raw.get("start_reading")
    target_for = _text(raw, "target_for", where, required=False)
    if target_for and kind != "internal":
        raise ClocksError(f"{where}.target_for: only an internal target tightens a legal deadline")
    return ClockRule(
        id=rule_id, kind=kind, step=_whole(raw, "step", where, STEPS), label=_text(raw, "label", where),
        starts_on=_event(raw.get("starts_on"), f"{where}.starts_on"),
        ends_on=tuple(_event(e, f"{where}.ends_on[{i}]") for i, e in enumerate(ends_on)),
        duration=_whole(raw, "duration", where), unit=_choice(raw, "unit", UNITS, where),
        source=_source(raw.get("source"), kind, f"{where}.source"),
        start_reading=None if reading is None else _reading(reading, f"{where}.start_reading"),
        target_for=target_for,
    )


def parse_clocks(data: Any, source: str = "clocks.yml") -> Clocks:
    """Check and build the clocks; every error message starts with ``source`` and names the field."""
    if not isinstance(data, dict):
        raise ClocksError(f"{source}: expected a mapping with version, working_days_reading and deadlines")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ClocksError(f"{source}: version: expected a whole number, got {version!r}")
    reading = _reading(data.get("working_days_reading"), f"{source}: working_days_reading")
    entries = data.get("deadlines")
    if not isinstance(entries, list) or not entries:
        raise ClocksError(f"{source}: deadlines: expected a non-empty list")
    rules = [_rule(raw, f"{source}: deadlines[{i}]") for i, raw in enumerate(entries)]
    ids = [r.id for r in rules]
    for i, rule in enumerate(rules):
        if ids.index(rule.id) != i:
            raise ClocksError(f"{source}: deadlines[{i}].id: {rule.id!r} is used twice")
        target = rule.target_for and next((r for r in rules if r.id == rule.target_for), None)
        if rule.target_for and (target is None or target.kind != "legal"):
            raise ClocksError(f"{source}: deadlines[{i}].target_for: no legal deadline {rule.target_for!r}")
    return Clocks(version, reading, tuple(rules))


def load_clocks(path: Path | str = DEFAULT_FILE) -> Clocks:
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClocksError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ClocksError(f"{path}: invalid YAML ({exc})") from None
    return parse_clocks(data, str(path))


# --- computing -----------------------------------------------------------------------------------------

def _require_aware(moment: Any, where: str) -> None:
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise ValueError(f"{where}: expected a timezone-aware datetime (UTC), got {moment!r}")


def _status(started: dt.datetime, due: dt.datetime, finished: dt.datetime | None, now: dt.datetime) -> str:
    if finished is not None:
        return MET if finished <= due else LATE
    if now > due:
        return OVERDUE
    return SOON if now >= started + (due - started) * 3 / 4 else OK


def deadlines(clocks: Clocks, facts: Mapping[str, dt.datetime], now: dt.datetime,
              calendar: WorkingCalendar | None = None) -> list[Deadline]:
    """Every clock whose starting event happened by ``now``, in the file's order.

    An event recorded after ``now`` has not happened yet at ``now``: it neither starts nor stops a clock.
    """
    calendar = calendar or default_calendar()
    _require_aware(now, "now")
    for name, moment in facts.items():
        _require_aware(moment, f"facts[{name!r}]")
    happened = {name: moment for name, moment in facts.items() if moment <= now}
    result = []
    for rule in clocks.rules:
        started = happened.get(rule.starts_on)
        if started is None:
            continue
        due = rule.due(started, calendar).astimezone(dt.timezone.utc)
        finishes = [happened[e] for e in rule.ends_on if e in happened and happened[e] >= started]
        finished = min(finishes) if finishes else None
        result.append(Deadline(
            id=rule.id, kind=rule.kind, step=rule.step, label=rule.label,
            started=started.astimezone(dt.timezone.utc), due=due, source=rule.source,
            status=_status(started, due, finished, now), time_left=None if finished is not None else due - now,
            finished=finished, start_reading=rule.start_reading,
        ))
    return result


def vietnam_time_label(moment: dt.datetime) -> str:
    """An aware datetime as a Vietnamese reads it in Việt Nam: "14:05 thứ Hai 30/11/2026"."""
    local = to_vietnam(moment)
    return f"{local:%H:%M} {WEEKDAYS[local.weekday()]} {local:%d/%m/%Y}"
