"""The legal clocks of Nghị định 56/2017: the data file, due times, statuses at their boundaries, labels."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from functions.core.clocks import (DEFAULT_FILE, LATE, MET, OK, OVERDUE, SOON, ClocksError, deadlines, load_clocks,
                                   parse_clocks, vietnam_time_label)
from functions.core.workdays import VIETNAM, add_working_days

UTC = dt.timezone.utc
TICK = dt.timedelta(microseconds=1)



def arrived(received, **more):
    """The facts of a case received at ``received`` and still in its first round (case_clocks.case_facts)."""
    return {"received": received, "cycle_started": received, **more}

def vn(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VIETNAM).astimezone(UTC)


@pytest.fixture(scope="module")
def clocks():
    return load_clocks()


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def by_id(found):
    return {d.id: d for d in found}


def test_the_file_holds_exactly_the_four_deadlines_the_domain_facts_confirm(clocks):
    summary = [(r.id, r.kind, r.step, r.starts_on, r.duration, r.unit, r.source.article, r.source.clause,
                r.source.form, r.source.confidence) for r in clocks.rules]
    assert summary == [
        ("danh-gia-ban-dau", "legal", 2, "received", 12, "hours", "Điều 26", None, "Mẫu 02", "confirmed"),
        ("du-thao-ke-hoach", "legal", 4, "cycle_started", 5, "working_days", "Điều 28", "khoản 1", None, "confirmed"),
        ("phe-duyet-ke-hoach", "legal", 4, "plan_drafted", 2, "working_days", "Điều 28", None, None, "confirmed"),
        ("cach-ly-tam-thoi", "legal", 2, "separation_started", 15, "days", None, None, "Mẫu 07", "confirmed"),
    ]
    assert all(r.source.document == "Nghị định 56/2017/NĐ-CP" for r in clocks.rules)
    assert clocks.rule("danh-gia-ban-dau").source.quote == "12 giờ từ khi nhận thông tin"
    assert clocks.rule("du-thao-ke-hoach").source.citation == "Nghị định 56/2017/NĐ-CP, Điều 28 khoản 1 (đã xác nhận)"
    assert not [r for r in clocks.rules if r.kind == "internal"]


def test_unclear_starts_carry_the_office_reading_in_vietnamese(clocks):
    plan = clocks.rule("du-thao-ke-hoach").start_reading
    assert plan.by == "office" and "Cách hiểu của văn phòng" in plan.text and "không nêu rõ" in plan.text
    assert all(r.start_reading and r.start_reading.by == "office" for r in clocks.rules)
    assert clocks.working_days_reading.by == "office"
    assert "10:00 thứ Hai kết thúc lúc 10:00 thứ Hai tuần sau" in clocks.working_days_reading.text


def test_the_stated_working_days_reading_is_the_one_computed(clocks):
    received = vn(2026, 3, 9, 10)  # Monday 10:00, no holiday in the following week
    plan = by_id(deadlines(clocks, arrived(received), received))["du-thao-ke-hoach"]
    assert plan.due == vn(2026, 3, 16, 10)
    assert vietnam_time_label(plan.due) == "10:00 thứ Hai 16/03/2026"


def test_the_twelve_hour_clock_crosses_midnight_in_vietnam(clocks):
    received = vn(2026, 3, 9, 20, 30)
    first = by_id(deadlines(clocks, arrived(received), received + dt.timedelta(hours=1)))["danh-gia-ban-dau"]
    assert first.due == vn(2026, 3, 10, 8, 30)
    assert vietnam_time_label(first.due) == "08:30 thứ Ba 10/03/2026"
    assert first.status == OK and first.time_left == dt.timedelta(hours=11)


def test_plan_clocks_around_tet_2026(clocks):
    received = vn(2026, 2, 13, 10)  # the Friday before the Tết week
    drafted = vn(2026, 2, 27, 9)
    found = by_id(deadlines(clocks, {**arrived(received), "plan_drafted": drafted}, vn(2026, 2, 27, 12)))
    assert found["du-thao-ke-hoach"].due == vn(2026, 2, 27, 10)
    assert found["du-thao-ke-hoach"].status == MET and found["du-thao-ke-hoach"].time_left is None
    assert found["phe-duyet-ke-hoach"].due == vn(2026, 3, 3, 9)  # Mon 2, Tue 3 March
    assert found["phe-duyet-ke-hoach"].status == OK
    assert found["danh-gia-ban-dau"].status == OVERDUE


def test_plan_clock_around_tet_2027_and_national_day(clocks):
    received = vn(2027, 2, 3, 15)
    assert by_id(deadlines(clocks, arrived(received), received))["du-thao-ke-hoach"].due == vn(2027, 2, 17, 15)
    received = vn(2026, 8, 28, 15)  # Fri; Sat 22/8 was worked, Mon 31/8 – Wed 2/9 off
    assert by_id(deadlines(clocks, arrived(received), received))["du-thao-ke-hoach"].due == vn(2026, 9, 9, 15)


def test_separation_lasts_at_most_fifteen_calendar_days(clocks):
    started = vn(2026, 4, 28, 18)
    found = by_id(deadlines(clocks, {**arrived(started), "separation_started": started}, started))
    assert found["cach-ly-tam-thoi"].due == vn(2026, 5, 13, 18)


def test_a_clock_appears_only_once_its_starting_event_happened(clocks):
    received = vn(2026, 3, 9, 10)
    assert [d.id for d in deadlines(clocks, {}, received)] == []
    assert [d.id for d in deadlines(clocks, arrived(received), received)] == ["danh-gia-ban-dau", "du-thao-ke-hoach"]
    later = {**arrived(received), "plan_drafted": received + dt.timedelta(days=1)}
    assert [d.id for d in deadlines(clocks, later, received + dt.timedelta(hours=1))] == [
        "danh-gia-ban-dau", "du-thao-ke-hoach"]  # plan_drafted lies after now: not yet happened


def twelve_hours(clocks, now, facts=None):
    received = vn(2026, 3, 9, 20, 0)
    return by_id(deadlines(clocks, {**arrived(received), **(facts or {})}, now))["danh-gia-ban-dau"], received


@pytest.mark.parametrize(("offset", "status"), [
    (dt.timedelta(0), OK),
    (dt.timedelta(hours=9) - TICK, OK),
    (dt.timedelta(hours=9), SOON),  # the last quarter of 12 hours starts at 9 hours
    (dt.timedelta(hours=12), SOON),  # at the due time exactly it is not yet overdue
    (dt.timedelta(hours=12) + TICK, OVERDUE),
])
def test_status_boundaries(clocks, offset, status):
    received = vn(2026, 3, 9, 20, 0)
    deadline, _ = twelve_hours(clocks, received + offset)
    assert deadline.status == status
    assert deadline.time_left == dt.timedelta(hours=12) - offset


def test_met_and_late_at_their_boundaries(clocks):
    received = vn(2026, 3, 9, 20, 0)
    due = received + dt.timedelta(hours=12)
    now = due + dt.timedelta(days=3)
    met, _ = twelve_hours(clocks, now, {"initial_assessment_done": due})
    assert (met.status, met.finished, met.time_left, met.status_label) == (MET, due, None, "Đã xong đúng hạn")
    late, _ = twelve_hours(clocks, now, {"initial_assessment_done": due + TICK})
    assert late.status == LATE and late.status_label == "Đã xong nhưng trễ hạn"


def test_soon_uses_the_real_span_of_a_working_day_clock(clocks):
    received = vn(2026, 2, 13, 10)
    due = vn(2026, 2, 27, 10)  # 14 days later because of Tết
    quarter_left = due - (due - received) / 4

    def plan(now):
        return by_id(deadlines(clocks, arrived(received), now))["du-thao-ke-hoach"]

    assert plan(quarter_left - TICK).status == OK and plan(quarter_left).status == SOON


def test_an_internal_target_sits_beside_the_legal_one(raw):
    data = copy.deepcopy(raw)
    data["deadlines"].append({
        "id": "danh-gia-ban-dau-noi-bo", "kind": "internal", "target_for": "danh-gia-ban-dau", "step": 2,
        "label": "Mục tiêu nội bộ: đánh giá ban đầu", "starts_on": "received",
        "ends_on": ["initial_assessment_done"], "duration": 8, "unit": "hours",
        "source": {"document": "KIỂM THỬ — quyết định nội bộ hư cấu"},
    })
    clocks = parse_clocks(data)
    received = vn(2026, 3, 9, 20, 0)
    found = by_id(deadlines(clocks, arrived(received), received + dt.timedelta(hours=7)))
    assert found["danh-gia-ban-dau-noi-bo"].kind == "internal"
    assert found["danh-gia-ban-dau-noi-bo"].status == SOON and found["danh-gia-ban-dau"].status == OK
    assert found["danh-gia-ban-dau-noi-bo"].source.citation == "KIỂM THỬ — quyết định nội bộ hư cấu"


def test_vietnam_time_label():
    assert vietnam_time_label(dt.datetime(2026, 11, 30, 7, 5, tzinfo=UTC)) == "14:05 thứ Hai 30/11/2026"
    names = [vietnam_time_label(dt.datetime(2026, 11, 30, 7, 5, tzinfo=UTC) + dt.timedelta(days=i)).split(" ", 1)[1]
             for i in range(7)]
    assert names == ["thứ Hai 30/11/2026", "thứ Ba 01/12/2026", "thứ Tư 02/12/2026", "thứ Năm 03/12/2026",
                     "thứ Sáu 04/12/2026", "thứ Bảy 05/12/2026", "Chủ nhật 06/12/2026"]
    assert vietnam_time_label(dt.datetime(2026, 11, 30, 17, 30, tzinfo=UTC)) == "00:30 thứ Ba 01/12/2026"
    with pytest.raises(ValueError):
        vietnam_time_label(dt.datetime(2026, 11, 30, 7, 5))


def test_naive_times_are_refused_naming_the_fact(clocks):
    with pytest.raises(ValueError, match="received"):
        deadlines(clocks, {"received": dt.datetime(2026, 3, 9, 10)}, vn(2026, 3, 9))
    with pytest.raises(ValueError, match="now"):
        deadlines(clocks, {}, dt.datetime(2026, 3, 9, 10))


def broken(raw, change):
    data = copy.deepcopy(raw)
    change(data)
    return data


BAD = [
    (lambda d: d["deadlines"][0].update(unit="weeks"), "deadlines[0].unit"),
    (lambda d: d["deadlines"][1].update(step=7), "deadlines[1].step"),
    (lambda d: d["deadlines"][1].update(duration=0), "deadlines[1].duration"),
    (lambda d: d["deadlines"][2].pop("label"), "deadlines[2].label"),
    (lambda d: d["deadlines"][2].update(starts_on="Plan drafted"), "deadlines[2].starts_on"),
    (lambda d: d["deadlines"][2].update(ends_on=[]), "deadlines[2].ends_on"),
    (lambda d: d["deadlines"][0].update(kind="advice"), "deadlines[0].kind"),
    (lambda d: d["deadlines"][0]["source"].pop("confidence"), "deadlines[0].source.confidence"),
    (lambda d: d["deadlines"][0]["source"].update(article=None, form=None), "deadlines[0].source.article"),
    (lambda d: d["deadlines"][1]["start_reading"].update(by="law"), "deadlines[1].start_reading.by"),
    (lambda d: d["deadlines"][3].update(id="du-thao-ke-hoach"), "deadlines[3].id"),
    (lambda d: d["deadlines"][3].update(target_for="danh-gia-ban-dau"), "deadlines[3].target_for"),
    (lambda d: d["working_days_reading"].pop("text"), "working_days_reading.text"),
    (lambda d: d.update(deadlines=[]), "deadlines"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_clock_files_name_the_file_and_the_field(tmp_path, raw, change, field):
    path = tmp_path / "clocks.yml"
    path.write_text(yaml.safe_dump(broken(raw, change), allow_unicode=True), encoding="utf-8")
    with pytest.raises(ClocksError) as error:
        load_clocks(path)
    assert str(error.value).startswith(str(path)) and field in str(error.value)


def test_an_internal_target_for_an_unknown_deadline_is_refused(raw):
    data = copy.deepcopy(raw)
    data["deadlines"].append({**copy.deepcopy(data["deadlines"][0]), "id": "noi-bo", "kind": "internal",
                              "target_for": "khong-co"})
    with pytest.raises(ClocksError, match=r"deadlines\[4\]\.target_for"):
        parse_clocks(data)


def test_unreadable_and_invalid_files_are_named(tmp_path):
    with pytest.raises(ClocksError, match="cannot read"):
        load_clocks(tmp_path / "missing.yml")
    path = tmp_path / "clocks.yml"
    path.write_text("deadlines: [\n", encoding="utf-8")
    with pytest.raises(ClocksError, match="invalid YAML") as error:
        load_clocks(path)
    assert str(path) in str(error.value)


def test_deadlines_and_workdays_agree(clocks):
    received = vn(2026, 4, 29, 11)
    plan = by_id(deadlines(clocks, arrived(received), received))["du-thao-ke-hoach"]
    assert plan.due == add_working_days(received, 5) == vn(2026, 5, 8, 11)  # 30/4 and 1/5 off
