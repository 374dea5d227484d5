"""Print and register in the console (functions/console/documents.py), through HTTP, and ``bvte cases register``.

Reports come in through the public intake (``client``) after the development office exists (the
``console`` fixture makes it), so they are sealed to the development officer. Forms are saved and steps
moved as the case page writes them: signed events of the unlocked officer.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from functions.commands import main
from functions.console.documents import PRINT_ACTION
from functions.core import audit, case_register, case_steps, cases
from functions.core.workdays import VIETNAM
from functions.keys import DEV_PASSPHRASE
from tests.conftest import ConsoleDriver
from tests.test_cases_cli import post_report

DESCRIPTION = "Mô tả riêng tư QX7-ĐẶC-BIỆT về em bé ở bản trên"
REPORTER = "Người Báo Tên Riêng ZK9"
YEAR = dt.datetime.now(VIETNAM).year  # the intake stamps a report with the time it arrives


def report(client, console, category: str = "xam-hai-tinh-duc", commune: str = "muong-ang",
           submission: str = "sub-00000001") -> str:
    """Post one report and return its case number (the development officer opens every commune's)."""
    post_report(client, commune, submission, description=DESCRIPTION, category=category, reporter_name=REPORTER)
    numbers = cases.case_numbers(console.session.storage)
    return max(numbers, key=lambda n: int(n.split("-")[1]))


def write(console, number: str, kind: str, payload: dict) -> None:
    """A signed event of the unlocked officer, after the events it read (as the case page writes it)."""
    who = console.app.extensions["console-keys"].current()
    storage = console.session.storage
    case = cases.open_case(storage, cases.find_case(storage, number), who.identity, who.officer_id)
    events = cases.read_events(storage, case, console.session.root, console.session.versions)
    cases.write_event(storage, case, who.author, who.identity, kind, payload, events)


def save_form(console, number: str, form_id: str, answers: dict) -> None:
    write(console, number, "form", {"form": form_id, "version": 1, "answers": answers})


def advance(console, number: str, step: int) -> None:
    write(console, number, "step", case_steps.make_action(case_steps.StepState(step=step), case_steps.ADVANCE))


MAU_01 = {"nguon_thong_tin": "Tin báo gửi qua trang thông tin điện tử của văn phòng",
          "thoi_diem_tiep_nhan": "2026-11-30T14:05:00", "dia_diem": "xã Mường Ảng",
          "tinh_trang_tre": "Trẻ <b>cần</b> được hỗ trợ", "can_bo_tiep_nhan": "Cán bộ tiếp nhận A",
          "bao_gap": True}


@pytest.fixture
def unlocked(console):
    assert console.unlock().status_code == 303
    return console


def last_audit(console) -> dict:
    return audit.entries(console.session.storage, "can-bo-phat-trien")[-1]


# -- printing ---------------------------------------------------------------------------------------------

def test_print_shows_the_header_the_typed_number_the_date_and_the_answers(unlocked, client):
    number = report(client, unlocked)
    save_form(unlocked, number, "mau-01", MAU_01)
    answer = unlocked.get(f"/ho-so/{number}/in/mau-01?so=15/BB-UBND&ngay=2026-02-05")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "ỦY BAN NHÂN DÂN<br>XÃ MƯỜNG ẢNG" in page
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page and "Độc lập - Tự do - Hạnh phúc" in page
    assert "Số: 15/BB-UBND" in page and 'value="15/BB-UBND"' in page
    assert "Mường Ảng, ngày 05 tháng 02 năm 2026" in page
    assert "TIẾP NHẬN THÔNG TIN" in page and "(Mẫu 01 — Nghị định 56/2017/NĐ-CP, Điều 25–30 (bước 1), Mẫu 01)" in page
    assert f"Hồ sơ số: {number}" in page
    assert "Cán bộ tiếp nhận A" in page and "14:05 ngày 30/11/2026" in page and "<dd>Có</dd>" in page
    assert "Trẻ &lt;b&gt;cần&lt;/b&gt; được hỗ trợ" in page and "<b>cần</b>" not in page
    assert "data-print" in page and "onclick" not in page and "style=" not in page
    assert '<link rel="stylesheet" href="/tep/print.css">' in page
    entry = last_audit(unlocked)
    assert entry["action"] == PRINT_ACTION and entry["subject"] == number


def test_without_a_typed_number_the_number_line_is_blank_and_never_invented(unlocked, client):
    number = report(client, unlocked)
    save_form(unlocked, number, "mau-01", MAU_01)
    for query in ("", "?so=", "?so=+++"):
        page = unlocked.get(f"/ho-so/{number}/in/mau-01{query}").get_data(as_text=True)
        assert "Số: …/…" in page, query
    today = dt.datetime.now(VIETNAM).date()
    assert f"ngày {today.day:02d} tháng" in page and f"năm {today.year}" in page


def test_the_number_saved_with_the_form_is_used_until_the_officer_types_another(unlocked, client):
    number = report(client, unlocked)
    save_form(unlocked, number, "mau-01", MAU_01)
    advance(unlocked, number, 1)
    save_form(unlocked, number, "mau-02", {"thoi_diem_danh_gia": "2026-11-30T16:00:00", "nguy_hiem_nghiem_trong": False,
                                           "tach_tam_thoi": False, "tom_tat": "Đánh giá ban đầu", "so_van_ban": "7/BC-UBND"})
    page = unlocked.get(f"/ho-so/{number}/in/mau-02").get_data(as_text=True)
    assert "Số: 7/BC-UBND" in page and "ĐÁNH GIÁ BAN ĐẦU MỨC ĐỘ TỔN HẠI" in page and "<dd>Không</dd>" in page
    assert "Số văn bản (cán bộ ghi):" not in page  # printed in the number line, not as a field
    assert "Số: 9/BC-UBND" in unlocked.get(f"/ho-so/{number}/in/mau-02?so=9/BC-UBND").get_data(as_text=True)


def test_a_wrong_date_is_said_next_to_its_field_and_what_was_typed_is_kept(unlocked, client):
    number = report(client, unlocked)
    save_form(unlocked, number, "mau-01", MAU_01)
    answer = unlocked.get(f"/ho-so/{number}/in/mau-01?ngay=2026-02-31&so=3/BB")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="ngay-loi"' in page and "Ngày không hợp lệ" in page
    assert 'value="2026-02-31"' in page and "Số: 3/BB" in page and "ngày … tháng … năm …" in page


def test_a_form_not_saved_an_unknown_form_or_number_is_refused_calmly(unlocked, client):
    number = report(client, unlocked)
    unsaved = unlocked.get(f"/ho-so/{number}/in/mau-04")
    assert unsaved.status_code == 404 and "chưa lưu Mẫu 04" in unsaved.get_data(as_text=True)
    assert unlocked.get(f"/ho-so/{number}/in/mau-99").status_code == 404
    assert unlocked.get("/ho-so/khong-so/in/mau-01").status_code == 404
    missing = unlocked.get("/ho-so/2026-9999/in/mau-01")
    assert missing.status_code == 404 and "Không có hồ sơ số 2026-9999" in missing.get_data(as_text=True)


def test_print_and_register_show_nothing_while_locked(console, client):
    number = report(client, console)
    for path in (f"/ho-so/{number}/in/mau-01", "/so-theo-doi", "/so-theo-doi/tai-xuong"):
        answer = console.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/mo-khoa"), path


class OtherOfficer(ConsoleDriver):
    """The console of an officer added with ``bvte officers add`` (key file and passphrase of their own)."""

    def __init__(self, config, key_path, passphrase):
        super().__init__(config)
        from functions.console import create_console_app

        self.key_path, self.passphrase = key_path, passphrase
        self.app = create_console_app(self.session, key_path, launch_token=self.launch_token, port=self.PORT)
        self.client = self.app.test_client()

    def unlock(self, passphrase=None):
        return self.post("/mo-khoa", {"mat_khau": passphrase or self.passphrase})


def add_officer(runner, config, tmp_path, officer_id: str, commune: str):
    passphrase_file = tmp_path / "pass.txt"
    passphrase_file.write_text(DEV_PASSPHRASE + "\n")
    key = tmp_path / f"{officer_id}.key"
    result = runner.invoke(main, ["officers", "add", officer_id, "--name", "Cán bộ khác", "--communes", commune,
                                  "--key", str(key), "--kdf", "interactive"],
                           env={"BVTE_DATA_DIR": str(config.data_dir),
                                "BVTE_ROOT_PASSPHRASE_FILE": str(passphrase_file),
                                "BVTE_NEW_PASSPHRASE_FILE": str(passphrase_file)})
    assert result.exit_code == 0, result.output
    return key


def test_an_officer_who_cannot_open_the_case_cannot_print_it_nor_see_it_in_the_register(console, config, client,
                                                                                         runner, tmp_path):
    key = add_officer(runner, config, tmp_path, "can-bo-bung-lao", "bung-lao")
    number = report(client, console)  # Mường Ảng: sealed to the development officer, not to Búng Lao's
    console.unlock()
    save_form(console, number, "mau-01", MAU_01)
    other = OtherOfficer(config, key, DEV_PASSPHRASE)
    assert other.launch().status_code == 303 and other.unlock().status_code == 303
    refused = other.get(f"/ho-so/{number}/in/mau-01?so=1/BB")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 404 and "không được chia sẻ cho khóa của bạn" in page
    assert "Cán bộ tiếp nhận A" not in page and "Số: 1/BB" not in page
    register = other.get(f"/so-theo-doi?nam={YEAR}").get_data(as_text=True)
    assert number not in register and "không có hồ sơ nào mà khóa này mở được" in register


# -- the register ---------------------------------------------------------------------------------------

def test_the_register_lists_each_case_with_its_deadlines_and_no_name_or_description(unlocked, client):
    first = report(client, unlocked, "xam-hai-tinh-duc", submission="sub-00000001")
    second = report(client, unlocked, "bao-luc", commune="bung-lao", submission="sub-00000002")
    answer = unlocked.get(f"/so-theo-doi?nam={YEAR}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    for number in (first, second):
        assert f'<th scope="row">{number}</th>' in page
    assert "xã Mường Ảng" in page and "xã Búng Lao" in page and "Xâm hại tình dục" in page
    assert "Bước 1: Tiếp nhận thông tin" in page and "Đang chạy" in page and "Chưa bắt đầu" in page
    assert "Nghị định 56/2017/NĐ-CP, Điều 26" in page
    assert DESCRIPTION not in page and REPORTER not in page and "QX7" not in page and "ZK9" not in page
    assert "Tải sổ theo dõi (XLSX)" in page and f'href="/so-theo-doi/tai-xuong?nam={YEAR}"' in page
    # Criterion 6: the sexual-abuse case is not due yet, the violence case is not one it counts.
    assert f"Năm {YEAR} không có hồ sơ nào được tính cho tiêu chí này" in page and "0 %" not in page
    assert "Xâm hại tình dục: trẻ em bị xâm hại tình dục" in page and case_register.READING in page
    assert f"<li>{first}: Chưa đến hạn (không tính)</li>" in page and f"<li>{second}:" not in page


def test_the_register_of_a_year_without_cases_says_so(unlocked):
    page = unlocked.get("/so-theo-doi?nam=2019").get_data(as_text=True)
    assert "Năm 2019 không có hồ sơ nào mà khóa này mở được." in page
    assert "Năm 2019 không có hồ sơ nào được tính cho tiêu chí này, nên không có tỷ lệ." in page


@pytest.mark.parametrize("typed", ["20x6", "1999", "99999999999"])
def test_a_wrong_year_is_said_next_to_the_field_and_kept(unlocked, typed):
    answer = unlocked.get(f"/so-theo-doi?nam={typed}")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="nam-loi"' in page and "Năm không hợp lệ" in page
    assert f'value="{typed[:10]}"' in page
    assert unlocked.get(f"/so-theo-doi/tai-xuong?nam={typed}").status_code == 400


def test_the_xlsx_download_holds_the_register_cell_by_cell_without_names_or_descriptions(unlocked, client):
    first = report(client, unlocked, "xam-hai-tinh-duc", submission="sub-00000001")
    second = report(client, unlocked, "bao-luc", commune="bung-lao", submission="sub-00000002")
    answer = unlocked.get(f"/so-theo-doi/tai-xuong?nam={YEAR}")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="so-theo-doi-{YEAR}.xlsx"'
    entry = last_audit(unlocked)
    assert entry["action"] == "export" and entry["subject"] == ""
    book = load_workbook(io.BytesIO(answer.data))
    sheet = book[f"Sổ theo dõi {YEAR}"]
    lines = [[c.value for c in line] for line in sheet.iter_rows()]
    assert lines[0] == ["Số hồ sơ", "Thời điểm nhận (giờ Việt Nam)", "Xã", "Loại việc", "Bước hiện tại",
                        "Thời hạn: Đánh giá ban đầu mức độ tổn hại; hành động khẩn cấp hoặc cách ly tạm thời nếu trẻ "
                        "bị tổn hại nghiêm trọng", "Thời hạn: Xây dựng (dự thảo) kế hoạch hỗ trợ, can thiệp",
                        "Thời hạn: Phê duyệt kế hoạch hỗ trợ, can thiệp",
                        "Thời hạn: Cách ly tạm thời trẻ em (tối đa 15 ngày)"]
    assert len(lines) == 3
    by_number = {line[0]: line for line in lines[1:]}
    for number, commune, category in ((first, "xã Mường Ảng", "Xâm hại tình dục"),
                                      (second, "xã Búng Lao", "Bạo lực, đánh đập, ngược đãi")):
        line = by_number[number]
        assert line[1].endswith(f"/{YEAR}") and line[1][2] == ":"
        assert line[2:] == [commune, category, "Bước 1: Tiếp nhận thông tin", "Đang chạy", "Đang chạy",
                            "Chưa bắt đầu", "Chưa bắt đầu"]
    figure = [[c.value for c in line] for line in book["Tiêu chí 6"].iter_rows()]
    assert ["Năm", str(YEAR)] in figure and [first, "Chưa đến hạn (không tính)"] in figure
    every_cell = [str(c.value) for ws in book.worksheets for line in ws.iter_rows() for c in line if c.value is not None]
    assert every_cell and not any(part in cell for cell in every_cell
                                  for part in (DESCRIPTION, REPORTER, "QX7", "ZK9", "riêng tư"))


def test_bvte_cases_register_writes_the_same_register_and_is_audited(console, client, runner, tmp_path):
    first = report(client, console)
    passphrase_file = tmp_path / "pass.txt"
    passphrase_file.write_text(DEV_PASSPHRASE + "\n")
    xlsx, csv_path = tmp_path / "so.xlsx", tmp_path / "so.csv"
    env = {"BVTE_DATA_DIR": str(console.config.data_dir), "BVTE_PASSPHRASE_FILE": str(passphrase_file)}
    result = runner.invoke(main, ["cases", "register", "--year", str(YEAR), "--xlsx", str(xlsx), "--csv", str(csv_path)],
                           env=env)
    assert result.exit_code == 0, result.output
    assert f"1 hồ sơ nhận trong năm {YEAR}" in result.output and "không có tỷ lệ" in result.output
    sheet = load_workbook(xlsx).worksheets[0]
    assert sheet["A2"].value == first and sheet["C2"].value == "xã Mường Ảng"
    text = csv_path.read_text(encoding="utf-8-sig")
    assert text.startswith("Số hồ sơ,") and first in text and DESCRIPTION not in text and REPORTER not in text
    assert last_audit(console)["action"] == "export"
    again = runner.invoke(main, ["cases", "register", "--year", str(YEAR), "--xlsx", str(xlsx)], env=env)
    assert again.exit_code != 0 and "đã có" in again.output
