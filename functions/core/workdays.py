"""Vietnamese working days for the legal clocks: which days count, and adding N working days.

A day is a working day in Việt Nam (Asia/Ho_Chi_Minh) unless it is a Saturday or Sunday, or a public
holiday, Tết by the lunar calendar or a substituted day off that the pinned ``holidays`` package knows
(``holidays.country_holidays("VN")``, which also knows some Saturdays worked in exchange). On top of that,
the government's yearly announced swaps — nghỉ bù (``day_off``) and làm bù (``working_day``) — are data,
one file per year in ``content/data/working-days/``, each entry with its source; they win over the rest.

How a deadline in working days is counted — the office's reading, not words of the decree (the same
text is ``working_days_reading`` in ``content/data/clocks.yml``): N working days from a moment end at
the same time of day, Vietnam time, on the N-th working day after the day it started; the start day
itself is not counted, whether or not it is a working day. So 5 working days from Monday 10:00 end the
following Monday 10:00 when no holiday falls between, and from Saturday 22:00 they end Friday 22:00.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import holidays
import yaml

from .vietnam import VIETNAM, to_vietnam  # noqa: F401 - re-exported: callers read both from here
from .yaml_data import load_yaml

DAY_OFF = "day_off"
WORKING_DAY = "working_day"
SWAP_KINDS = (DAY_OFF, WORKING_DAY)
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "content" / "data" / "working-days"
_YEAR_FILE = re.compile(r"^\d{4}\.ya?ml$")


class WorkdaysError(ValueError):
    """A working-days data file is malformed: the message names the file and field."""


@dataclass(frozen=True)
class Swap:
    """One day an announcement changes: off although normally worked, or worked although normally off."""

    date: dt.date
    kind: str
    source: str
    note: str = ""


def _text(raw: dict, name: str, where: str, *, required: bool) -> str:
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise WorkdaysError(f"{where}.{name}: expected a non-empty text")
    return value.strip()


def _swap(raw: Any, year: int, where: str) -> Swap:
    if not isinstance(raw, dict):
        raise WorkdaysError(f"{where}: expected a mapping with date, kind and source")
    day = raw.get("date")
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise WorkdaysError(f"{where}.date: expected a date written YYYY-MM-DD, got {day!r}")
    if day.year != year:
        raise WorkdaysError(f"{where}.date: {day.isoformat()} is not in the file's year {year}")
    kind = raw.get("kind")
    if kind not in SWAP_KINDS:
        raise WorkdaysError(f"{where}.kind: expected one of {', '.join(SWAP_KINDS)}, got {kind!r}")
    return Swap(day, kind, _text(raw, "source", where, required=True), _text(raw, "note", where, required=False))


def parse_swaps(data: Any, source: str) -> list[Swap]:
    """The swaps of one year's file; ``source`` (the file name) starts every error message."""
    if not isinstance(data, dict):
        raise WorkdaysError(f"{source}: expected a mapping with year and announcements")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise WorkdaysError(f"{source}: year: expected a whole number such as 2026, got {year!r}")
    entries = data.get("announcements")
    if not isinstance(entries, list):
        raise WorkdaysError(f"{source}: announcements: expected a list (empty when none is recorded)")
    swaps, seen = [], set()
    for i, raw in enumerate(entries):
        swap = _swap(raw, year, f"{source}: announcements[{i}]")
        if swap.date in seen:
            raise WorkdaysError(f"{source}: announcements[{i}].date: {swap.date.isoformat()} is listed twice")
        seen.add(swap.date)
        swaps.append(swap)
    return swaps


def load_swaps(directory: Path | str) -> list[Swap]:
    """Every announced swap in ``directory`` (files named ``YYYY.yml``, the year inside must match)."""
    directory = Path(directory)
    try:
        paths = sorted(p for p in directory.iterdir() if _YEAR_FILE.match(p.name))
    except OSError as exc:
        raise WorkdaysError(f"{directory}: cannot read ({exc.strerror})") from None
    swaps = []
    for path in paths:
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise WorkdaysError(f"{path}: cannot read ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise WorkdaysError(f"{path}: invalid YAML ({exc})") from None
        file_swaps = parse_swaps(data, str(path))
        if data["year"] != int(path.name[:4]):
            raise WorkdaysError(f"{path}: year: {data['year']} does not match the file name")
        swaps.extend(file_swaps)
    return swaps


class WorkingCalendar:
    """Working days in Việt Nam: weekends, the ``holidays`` package's days, then the announced swaps."""

    def __init__(self, swaps: Iterable[Swap] = ()):
        self.swaps = {swap.date: swap for swap in swaps}
        self._public = holidays.country_holidays("VN", language="vi")
        self._known: dict[dt.date, bool] = {}  # a day's answer never changes: every case's clocks ask again

    def is_working_day(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            raise TypeError("is_working_day takes a date in Vietnam; convert a datetime with to_vietnam()")
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._decide(day)
        return known

    def _decide(self, day: dt.date) -> bool:
        swap = self.swaps.get(day)
        if swap is not None:
            return swap.kind == WORKING_DAY
        # The package's own rule: weekends and holidays off, except the Saturdays it knows were worked.
        return self._public.is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        """The package's name for a public holiday (in Vietnamese), or None."""
        return self._public.get(day)

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """The moment ``n`` working days after ``start`` (aware), in UTC: see the module's reading."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"n: expected a whole number of working days ≥ 0, got {n!r}")
        local = to_vietnam(start)
        day, counted = local.date(), 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return dt.datetime.combine(day, local.timetz()).astimezone(dt.timezone.utc)

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """How many working days lie after ``first`` up to and including ``last``."""
        return sum(1 for i in range(1, (last - first).days + 1)
                   if self.is_working_day(first + dt.timedelta(days=i)))


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The calendar with the swaps shipped in ``content/data/working-days/``."""
    return WorkingCalendar(load_swaps(DEFAULT_DIRECTORY))


def is_working_day(day: dt.date, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or default_calendar()).is_working_day(day)


def add_working_days(start: dt.datetime, n: int, calendar: WorkingCalendar | None = None) -> dt.datetime:
    return (calendar or default_calendar()).add_working_days(start, n)
