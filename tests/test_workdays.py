"""Vietnamese working days: weekends, Tết, 30/4–1/5, 2/9, announced swaps, and adding N working days."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.workdays import (DEFAULT_DIRECTORY, VIETNAM, WorkdaysError, WorkingCalendar, add_working_days,
                                     default_calendar, is_working_day, load_swaps)

UTC = dt.timezone.utc
# Clearly fictitious: no such announcement exists; used only to show that a swap file changes the result.
FICTITIOUS_SOURCE = "KIỂM THỬ — thông báo hư cấu, không có thật"


def vn(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


def days(*pairs):
    return [dt.date(2026, m, d) for m, d in pairs]


def test_tet_2026_falls_on_17_february_according_to_the_package_itself():
    assert holidays.country_holidays("VN", years=2026, language="vi").get(dt.date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert default_calendar().holiday_name(dt.date(2026, 2, 17)) == "Tết Nguyên Đán"


def test_tet_2026_week_is_off_and_the_clock_jumps_over_it():
    for day in [dt.date(2026, 2, 16) + dt.timedelta(days=i) for i in range(5)]:  # Mon 16 – Fri 20
        assert not is_working_day(day), day
    assert is_working_day(dt.date(2026, 2, 13)) and is_working_day(dt.date(2026, 2, 23))
    assert add_working_days(vn(2026, 2, 13), 1) == vn(2026, 2, 23).astimezone(UTC)
    assert add_working_days(vn(2026, 2, 13), 5) == vn(2026, 2, 27).astimezone(UTC)
    assert add_working_days(vn(2026, 2, 12), 2) == vn(2026, 2, 23).astimezone(UTC)


def test_tet_2027():
    assert default_calendar().holiday_name(dt.date(2027, 2, 6)) == "Tết Nguyên Đán"
    for day in [dt.date(2027, 2, 4) + dt.timedelta(days=i) for i in range(7)]:  # Thu 4 – Wed 10
        assert not is_working_day(day), day
    assert is_working_day(dt.date(2027, 2, 3)) and is_working_day(dt.date(2027, 2, 11))
    assert add_working_days(vn(2027, 2, 3, 9), 1) == vn(2027, 2, 11, 9).astimezone(UTC)
    assert add_working_days(vn(2027, 2, 3, 9), 2) == vn(2027, 2, 12, 9).astimezone(UTC)


def test_national_day_2026_with_the_extra_day_off_and_the_saturday_worked_that_the_package_knows():
    calendar = default_calendar()
    for day in days((8, 31), (9, 1), (9, 2)):
        assert not calendar.is_working_day(day), day
    assert "22/08/2026" in calendar.holiday_name(dt.date(2026, 8, 31))
    assert calendar.is_working_day(dt.date(2026, 8, 22))  # a Saturday, worked in exchange
    assert add_working_days(vn(2026, 8, 21), 1) == vn(2026, 8, 22).astimezone(UTC)
    assert add_working_days(vn(2026, 8, 28), 1) == vn(2026, 9, 3).astimezone(UTC)


def test_national_day_2027():
    assert not is_working_day(dt.date(2027, 9, 2)) and not is_working_day(dt.date(2027, 9, 3))
    assert add_working_days(vn(2027, 9, 1), 1) == vn(2027, 9, 6).astimezone(UTC)


def test_30_april_and_1_may():
    assert not is_working_day(dt.date(2026, 4, 30)) and not is_working_day(dt.date(2026, 5, 1))
    assert add_working_days(vn(2026, 4, 29), 1) == vn(2026, 5, 4).astimezone(UTC)
    # 2027: 1 May is a Saturday, the package moves it to Monday 3 May.
    assert not is_working_day(dt.date(2027, 4, 30)) and not is_working_day(dt.date(2027, 5, 3))
    assert add_working_days(vn(2027, 4, 29), 1) == vn(2027, 5, 4).astimezone(UTC)


def test_weekends_and_the_office_reading_of_n_working_days():
    assert not is_working_day(dt.date(2026, 3, 14)) and not is_working_day(dt.date(2026, 3, 15))
    # The reading stated in the module and in clocks.yml: Monday 10:00 + 5 → the following Monday 10:00.
    assert add_working_days(vn(2026, 3, 9, 10), 5) == vn(2026, 3, 16, 10).astimezone(UTC)
    assert add_working_days(vn(2026, 3, 14, 22), 5) == vn(2026, 3, 20, 22).astimezone(UTC)  # Sat → Fri
    assert add_working_days(vn(2026, 3, 13, 16, 30), 1) == vn(2026, 3, 16, 16, 30).astimezone(UTC)  # Fri → Mon
    assert add_working_days(vn(2026, 3, 14), 0) == vn(2026, 3, 14).astimezone(UTC)


def test_the_day_is_the_day_in_vietnam_not_in_utc():
    start = dt.datetime(2026, 3, 8, 18, 0, tzinfo=UTC)  # Sunday in UTC, Monday 01:00 in Việt Nam
    assert add_working_days(start, 1) == dt.datetime(2026, 3, 9, 18, 0, tzinfo=UTC)  # Tuesday 01:00 there
    assert add_working_days(start, 1).tzinfo == UTC


def test_naive_times_and_bad_counts_are_refused():
    with pytest.raises(ValueError, match="naive"):
        add_working_days(dt.datetime(2026, 3, 9, 10), 1)
    with pytest.raises(ValueError, match="n:"):
        add_working_days(vn(2026, 3, 9), -1)
    with pytest.raises(TypeError):
        is_working_day(vn(2026, 3, 9))


def test_shipped_files_load_and_an_empty_year_says_no_announcement_is_recorded():
    names = {p.name for p in DEFAULT_DIRECTORY.glob("*.yml")}
    assert {"2026.yml", "2027.yml"} <= names
    swaps = load_swaps(DEFAULT_DIRECTORY)  # every shipped entry passes the checks, a source included
    for path in DEFAULT_DIRECTORY.glob("*.yml"):
        year = int(path.stem)
        if not any(s.date.year == year for s in swaps):
            assert "NO ANNOUNCEMENT HAS BEEN RECORDED" in path.read_text(encoding="utf-8"), path.name


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fictitious_swap_file_changes_the_result(tmp_path):
    write(tmp_path, "2026.yml", f"""year: 2026
announcements:
  - {{date: 2026-03-10, kind: day_off, source: "{FICTITIOUS_SOURCE}"}}
  - {{date: 2026-03-14, kind: working_day, source: "{FICTITIOUS_SOURCE}", note: "làm bù"}}
  - {{date: 2026-02-17, kind: working_day, source: "{FICTITIOUS_SOURCE}"}}
""")
    swaps = load_swaps(tmp_path)
    assert [(s.date.isoformat(), s.kind) for s in swaps] == [
        ("2026-03-10", "day_off"), ("2026-03-14", "working_day"), ("2026-02-17", "working_day")]
    calendar = WorkingCalendar(swaps)
    assert not calendar.is_working_day(dt.date(2026, 3, 10))  # a Tuesday made a day off
    assert calendar.is_working_day(dt.date(2026, 3, 14))  # a Saturday made a working day
    assert calendar.is_working_day(dt.date(2026, 2, 17))  # the data wins even over Tết
    assert add_working_days(vn(2026, 3, 9), 5) == vn(2026, 3, 16).astimezone(UTC)
    assert add_working_days(vn(2026, 3, 9), 5, calendar) == vn(2026, 3, 16).astimezone(UTC)  # −Tue +Sat
    assert add_working_days(vn(2026, 3, 9), 1, calendar) == vn(2026, 3, 11).astimezone(UTC)
    assert add_working_days(vn(2026, 3, 13), 1, calendar) == vn(2026, 3, 14).astimezone(UTC)
    assert add_working_days(vn(2026, 3, 13), 1) == vn(2026, 3, 16).astimezone(UTC)


@pytest.mark.parametrize(("text", "field"), [
    ("year: 2026\nannouncements:\n  - {date: 2026-03-10, kind: day_off}\n", "announcements[0].source"),
    ("year: 2026\nannouncements:\n  - {date: 2027-03-10, kind: day_off, source: x}\n", "announcements[0].date"),
    ("year: 2026\nannouncements:\n  - {date: 10/03/2026, kind: day_off, source: x}\n", "announcements[0].date"),
    ("year: 2026\nannouncements:\n  - {date: 2026-03-10, kind: holiday, source: x}\n", "announcements[0].kind"),
    ("year: 2026\nannouncements:\n  - {date: 2026-03-10, kind: day_off, source: x}\n"
     "  - {date: 2026-03-10, kind: working_day, source: y}\n", "announcements[1].date"),
    ("year: 2026\nannouncements: none\n", "announcements"),
    ("year: 2027\nannouncements: []\n", "year"),
    ("year: [2026\n", "invalid YAML"),
])
def test_bad_swap_files_name_the_file_and_the_field(tmp_path, text, field):
    path = write(tmp_path, "2026.yml", text)
    with pytest.raises(WorkdaysError) as error:
        load_swaps(tmp_path)
    assert str(path) in str(error.value) and field in str(error.value)


@functools.cache
def package_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def independent_is_working_day(day: dt.date) -> bool:
    """The package's calendar read directly, without the module under test."""
    public = package_holidays(day.year)
    if day.weekday() >= 5:
        return day in public.weekend_workdays
    return day not in public


@settings(max_examples=150, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(UTC)),
       n=st.integers(min_value=1, max_value=40))
def test_adding_n_working_days_lands_on_a_working_day_after_exactly_n_of_them(start, n):
    due = add_working_days(start, n)
    first, last = start.astimezone(VIETNAM), due.astimezone(VIETNAM)
    assert independent_is_working_day(last.date())
    between = [first.date() + dt.timedelta(days=i) for i in range(1, (last.date() - first.date()).days + 1)]
    assert sum(independent_is_working_day(day) for day in between) == n
    assert last.time() == first.time()
