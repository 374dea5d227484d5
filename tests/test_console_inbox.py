"""The console's inbox through the `console` fixture: rows, order, filters, search, clocks, who sees what.

Cases are sealed with the intake's own code (``tips.store`` with a ``cases.CaseLock``) at chosen times, and
the console's clock is injected as ``app.extensions["console-now"]`` (a callable; ``office.now`` reads it),
so every clock label below is exact.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from functions.config import Config
from functions.console import case_index as case_index_module
from functions.console import inbox as inbox_module
from functions.core import audit, case_steps, cases, office_keys, receipts, tips
from functions.core.forms import load_forms, prefill_mau01
from functions.keys import DEV_PASSPHRASE, DEV_ROOT_KEY_NAME, dev_officer_key, keys_dir
from tests.conftest import ConsoleDriver

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 30, 7, 5, tzinfo=UTC)  # 14:05 thứ Hai 30/11/2026 in Việt Nam
SECRET = b"k" * 32
DESCRIPTION = "Em Lò Văn Bình bị bỏ đói nhiều ngày"
NUMBER = re.compile(r'href="/ho-so/(\d{4}-\d{4})"')


class Cases:
    """Seals reports for the console's office and writes signed events as its development officer."""

    def __init__(self, driver: ConsoleDriver):
        self.driver = driver
        self.storage = driver.session.storage
        self.officer = office_keys.unlock(dev_officer_key(driver.config).read_bytes(), DEV_PASSPHRASE)
        self.forms = load_forms(driver.config.content_dir)

    def add(self, received: dt.datetime = T0, commune: str = "muong-ang", category: str = "bao-luc",
            urgent: bool = False, typed: str = "") -> str:
        session = self.driver.session
        session.forget_keyring()  # as intake does, the newest keyring for every report
        fields = {"description": DESCRIPTION, "category": category, "commune": commune, "urgent": urgent,
                  **({"commune_as_typed": typed} if typed else {})}
        stored = tips.store(self.storage, SECRET, cases.CaseLock(session.root, session.keyring, commune),
                            receipts.new_submission_id(), fields, [], now=received)
        return self.open(stored.tip_id).case_number

    def open(self, tip_id: str) -> cases.Case:
        return cases.open_case(self.storage, tip_id, self.officer, "can-bo-phat-trien")

    def write(self, number: str, kind: str, payload: dict) -> None:
        """A signed event, dated now: the keyring that lets it verify was made when the test began (the
        clocks of these cases count from their received time, which the sealed report holds)."""
        case = self.open(cases.find_case(self.storage, number))
        seen = cases.read_events(self.storage, case, self.driver.session.root, self.driver.session.versions)
        cases.write_event(self.storage, case, "can-bo-phat-trien", self.officer, kind, payload, seen)

    def to_step_2(self, number: str) -> None:
        case = self.open(cases.find_case(self.storage, number))
        answers = prefill_mau01(self.forms["mau-01"], case.fields, received="2026-11-30T14:05")
        self.write(number, "form", {"form": "mau-01", "answers": {**answers, "can_bo_tiep_nhan": "Cán bộ"}})
        self.write(number, "step", case_steps.make_action(case_steps.StepState(), case_steps.ADVANCE))


@pytest.fixture
def office(console) -> Cases:
    console.app.extensions["console-now"] = lambda: T0 + dt.timedelta(hours=1)
    return Cases(console)


def at(console, moment: dt.datetime) -> None:
    console.app.extensions["console-now"] = lambda: moment


def page(console, path: str = "/") -> str:
    answer = console.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def numbers(html: str) -> list[str]:
    return NUMBER.findall(html)


def row_of(html: str, number: str) -> str:
    start = html.index(f'href="/ho-so/{number}"')
    return html[start:html.index("</tr>", start)]


# -- what a row shows -------------------------------------------------------------------------------------

def test_a_row_shows_number_time_commune_category_urgency_step_deadline_and_officer(office, console):
    number = office.add(commune="bung-lao", typed="Ẳng Tở", urgent=True)
    console.unlock()
    html = page(console)
    row = row_of(html, number)
    assert number == "2026-0001"
    assert "14:05 thứ Hai 30/11/2026" in row
    assert "xã Búng Lao (người báo ghi: Ẳng Tở)" in row
    assert "Bạo lực, đánh đập, ngược đãi" in row
    assert "Gấp" in row
    assert "Bước 1: Tiếp nhận thông tin" in row
    assert "Còn hạn</strong>, còn 11 giờ" in row and "Hạn 02:05 thứ Ba 01/12/2026" in row  # the 12-hour clock
    assert "Chưa phân công" in row
    assert DESCRIPTION not in html and "Lò Văn Bình" not in html
    assert "Tin chưa đọc" not in html  # no reporter messages exist yet: no column of zeros


def test_soon_and_overdue_are_said_in_words_and_marked(office, console):
    number = office.add()
    console.unlock()
    at(console, T0 + dt.timedelta(hours=9, minutes=30))  # the last quarter of 12 hours
    row = row_of(page(console), number)
    assert 'class="deadline soon"' in row and "Sắp đến hạn</strong>, còn 2 giờ 30 phút" in row
    at(console, T0 + dt.timedelta(hours=13, minutes=1))
    row = row_of(page(console), number)
    assert 'class="deadline overdue"' in row and "Quá hạn</strong>, quá hạn 1 giờ 1 phút" in row
    at(console, T0 + dt.timedelta(hours=2))  # a clock set back is honoured, not served from memory
    assert "Còn hạn</strong>, còn 10 giờ" in row_of(page(console), number)


def test_a_row_with_no_running_clock_and_an_assigned_officer(office, console):
    number = office.add()
    office.write(number, "assign", {"officer": "can-bo-phat-trien"})
    office.write(number, "close", {})
    console.unlock()
    row = row_of(page(console, "/?tinh_trang=tat-ca"), number)
    assert "can-bo-phat-trien" in row and "Đã kết thúc" in row and "Quá hạn" not in row


# -- order ------------------------------------------------------------------------------------------------

def test_default_order_is_overdue_then_nearest_deadline_then_urgent_then_newest(office, console):
    now = T0 + dt.timedelta(hours=20)
    older_closed = office.add(received=now - dt.timedelta(hours=5))
    newer_closed = office.add(received=now - dt.timedelta(hours=4))
    not_urgent = office.add(received=now - dt.timedelta(hours=1))
    urgent = office.add(received=now - dt.timedelta(hours=1), urgent=True)
    nearer = office.add(received=now - dt.timedelta(hours=2))
    overdue = office.add(received=now - dt.timedelta(hours=19))
    for number in (older_closed, newer_closed):
        office.write(number, "close", {})
    at(console, now)
    console.unlock()
    assert numbers(page(console)) == [overdue, nearer, urgent, not_urgent]
    assert numbers(page(console, "/?tinh_trang=tat-ca")) == [overdue, nearer, urgent, not_urgent, newer_closed,
                                                             older_closed]
    assert numbers(page(console, "/?tinh_trang=ket-thuc")) == [newer_closed, older_closed]
    assert "2 hồ sơ đã kết thúc không hiện ở đây" in page(console)


# -- filters and search -----------------------------------------------------------------------------------

def test_filters_by_step_commune_category_officer_and_overdue(office, console):
    at_step_2 = office.add(commune="bung-lao", category="tao-hon")
    office.to_step_2(at_step_2)
    assigned = office.add(received=T0 - dt.timedelta(hours=30))  # overdue at T0 + 1 h
    office.write(assigned, "assign", {"officer": "can-bo-phat-trien"})
    plain = office.add(commune="na-tau")
    console.unlock()
    assert numbers(page(console, "/?buoc=2")) == [at_step_2]
    assert numbers(page(console, "/?buoc=1")) == [assigned, plain]
    assert numbers(page(console, "/?xa=bung-lao")) == [at_step_2]
    assert numbers(page(console, "/?loai=tao-hon")) == [at_step_2]
    assert numbers(page(console, "/?can_bo=can-bo-phat-trien")) == [assigned]
    assert set(numbers(page(console, "/?can_bo=chua-phan-cong"))) == {at_step_2, plain}
    assert numbers(page(console, "/?qua_han=1")) == [assigned]
    assert numbers(page(console, "/?qua_han=1&xa=na-tau")) == []
    html = page(console, "/?xa=bung-lao&buoc=2")
    assert '<option value="bung-lao" selected>xã Búng Lao</option>' in html  # the form keeps what was chosen
    assert '<option value="2" selected>' in html
    assert "Bước 2: Đánh giá ban đầu mức độ tổn hại" in row_of(html, at_step_2)


def test_search_finds_vietnamese_typed_with_or_without_tones(office, console):
    bung_lao = office.add(commune="bung-lao", category="xam-hai-tinh-duc")
    muong_ang = office.add(commune="muong-ang", typed="Ẳng Cang")
    console.unlock()
    for query in ("Búng Lao", "bung lao", "BUNG  LAO", "ang to", "Ẳng Tở", "xam hai", "xâm hại tình dục"):
        assert numbers(page(console, f"/?q={query}")) == [bung_lao], query
    for query in ("ang cang", "Ẳng Cang", "muong ang"):
        assert numbers(page(console, f"/?q={query}")) == [muong_ang], query
    assert numbers(page(console, f"/?q={muong_ang}")) == [muong_ang]
    assert numbers(page(console, "/?q=0001")) == [bung_lao]
    assert numbers(page(console, "/?q=lo van binh")) == []  # never the description (it would sit in the URL)
    html = page(console, "/?q=khong+co+dau")
    assert "Không có hồ sơ nào khớp với bộ lọc" in html and 'value="khong co dau"' in html


def test_odd_form_values_are_ignored_and_everything_is_escaped(office, console):
    office.add()
    console.unlock()
    html = page(console, "/?buoc=abc&trang=-3&tinh_trang=x&xa=%3Cb%3E&q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert numbers(page(console, "/?buoc=%EF%BC%92&trang=%EF%BC%92")) == ["2026-0001"]  # full-width digits


def test_long_lists_are_paged_keeping_the_filters(office, console, monkeypatch):
    monkeypatch.setattr(inbox_module, "PAGE_SIZE", 2)
    made = [office.add(received=T0 + dt.timedelta(minutes=i), commune="bung-lao") for i in range(5)]
    console.unlock()
    first = page(console, "/?xa=bung-lao")
    assert numbers(first) == made[:2] and "trang 1/3" in first
    assert 'href="/?xa=bung-lao&amp;tinh_trang=mo&amp;trang=2"' in first
    assert numbers(page(console, "/?xa=bung-lao&tinh_trang=mo&trang=3")) == made[4:]
    assert numbers(page(console, "/?xa=bung-lao&trang=99")) == made[4:]  # past the end: the last page


# -- who sees what, and when ------------------------------------------------------------------------------

def add_officer(config: Config, officer_id: str, commune: str):
    """A second officer of the development office, covering one commune; its key file's path."""
    from functions.commands.session import Session

    session = Session(None, config=config)
    root = office_keys.unlock((keys_dir(config) / DEV_ROOT_KEY_NAME).read_bytes(), DEV_PASSPHRASE)
    officer = office_keys.Identity.generate()
    keyring = office_keys.next_base(session.storage, session.keyring).with_officer(
        office_keys.Officer(officer_id, f"Cán bộ {officer_id}", (commune,), officer.verify_key))
    office_keys.publish_keyring(session.storage, keyring, root)
    path = keys_dir(config) / f"{officer_id}.key"
    path.write_bytes(office_keys.protect(officer, DEV_PASSPHRASE, "interactive"))
    return path


def test_an_officer_of_another_commune_sees_nothing_of_the_case(office, console, config):
    theirs = office.add(commune="muong-ang")
    other_key = add_officer(config, "can-bo-na-tau", "na-tau")
    visible = office.add(commune="na-tau", received=T0 + dt.timedelta(minutes=1))  # sealed after they joined
    other = ConsoleDriver(config)
    other.app.extensions["console-key-path"] = other_key
    other.app.extensions["console-now"] = lambda: T0 + dt.timedelta(hours=1)
    other.launch()
    assert other.unlock().status_code == 303
    html = page(other)
    assert numbers(html) == [visible] and theirs not in html
    assert "muong-ang" not in html and "Mường Ảng" not in html  # not even among the filter's communes
    console.unlock()
    assert numbers(page(console)) == [theirs, visible]  # the officer of every commune sees both


def test_locked_shows_nothing_and_lock_forgets_the_cases_held_in_memory(office, console):
    number = office.add()
    locked = console.get("/")
    assert locked.status_code == 303 and number not in locked.get_data(as_text=True)
    console.unlock()
    assert number in page(console)
    index = console.app.extensions["console-case-index"]
    assert index._kept  # held for this unlock
    console.post("/khoa")
    assert index._kept == {} and index._folds == {}  # the officer object went with the key, and the cases with it
    answer = console.get("/", follow_redirects=True)
    assert number not in answer.get_data(as_text=True)


def test_opening_the_inbox_is_audited_once_per_unlock(office, console):
    office.add()

    def inbox_entries() -> int:
        return sum(1 for e in audit.entries(console.session.storage, "can-bo-phat-trien")
                   if (e["action"], e["subject"]) == (inbox_module.AUDIT_ACTION, inbox_module.AUDIT_SUBJECT))

    console.unlock()
    for _ in range(3):
        page(console)
    assert inbox_entries() == 1
    console.post("/khoa")
    console.unlock()
    page(console)
    assert inbox_entries() == 2


# -- what a re-render costs ---------------------------------------------------------------------------------

def test_a_render_reads_again_only_the_cases_that_changed(office, console):
    first, second = office.add(), office.add(received=T0 + dt.timedelta(minutes=1))
    console.unlock()
    page(console)
    index = console.app.extensions["console-case-index"]
    assert index.last_read == 2
    page(console)
    assert index.last_read == 0
    office.write(first, "assign", {"officer": "can-bo-phat-trien"})
    html = page(console)
    assert index.last_read == 1 and "can-bo-phat-trien" in row_of(html, first)
    assert "Chưa phân công" in row_of(html, second)
    third = office.add(received=T0 + dt.timedelta(minutes=2))
    assert third in page(console) and index.last_read == 1


def test_a_report_sent_through_intake_is_listed_with_its_12_hour_clock(console, client):
    from tests.test_cases_cli import post_report

    post_report(client, "Ẳng Tở", "console-inbox-00000001", urgent=True)
    console.unlock()
    html = page(console)
    [number] = numbers(html)
    assert re.fullmatch(r"\d{4}-0001", number)
    row = row_of(html, number)
    assert "xã Búng Lao (người báo ghi: Ẳng Tở)" in row and "Gấp" in row and "Bước 1: Tiếp nhận thông tin" in row
    assert "Còn hạn</strong>, còn 11 giờ 59 phút" in row or "Còn hạn</strong>, còn 11 giờ 58 phút" in row
    assert "Đánh giá ban đầu mức độ tổn hại" in row and "bỏ đói" not in html


def test_storage_that_cannot_be_read_is_said_calmly(office, console, monkeypatch):
    from functions.storage import StorageUnavailable

    office.add()
    console.unlock()

    def broken(storage, officer_id):
        raise StorageUnavailable("down")

    monkeypatch.setattr(case_index_module, "list_cases", broken)
    answer = console.get("/")
    assert answer.status_code == 503
    assert "Không đọc được kho lưu trữ" in answer.get_data(as_text=True)


# -- words ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("delta, words", [
    (dt.timedelta(seconds=20), "dưới 1 phút"),
    (dt.timedelta(minutes=45), "45 phút"),
    (dt.timedelta(hours=11, minutes=59, seconds=59), "11 giờ 59 phút"),
    (dt.timedelta(hours=24), "1 ngày"),
    (dt.timedelta(days=2, hours=3, minutes=40), "2 ngày 3 giờ"),
    (-dt.timedelta(hours=1, minutes=1), "1 giờ 1 phút"),
])
def test_durations_in_words(delta, words):
    assert inbox_module.duration_text(delta) == words


def test_notices_that_could_not_be_delivered_are_said_above_the_list(office, console):
    from functions.notifications import outbox

    office.add()
    console.unlock()
    assert "Không gửi được thông báo" not in page(console)
    outbox.record_failure(console.session.storage, "smtp", "can-bo-phat-trien", "expired", "gave up",
                          T0 + dt.timedelta(minutes=30))
    html = page(console)
    assert "Không gửi được thông báo</strong> cho cán bộ: 1 lần trong 7 ngày qua" in html
    assert "lúc 14:35 thứ Hai 30/11/2026 cho can-bo-phat-trien" in html
