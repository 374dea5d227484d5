"""The case page of the console (functions/console/case.py), over HTTP through the ``console`` fixture.

Reports arrive through the public intake (``client``) into the same data folder, sealed to the development
officer. Every action is tried, and every refusal: a missing required field (error next to the field, the
typed text kept), a move the decree refuses, a back move without a reason, a stale ``from``, an event
edited by hand ("không xác thực"), a message withdrawn without a reason, a colleague who cannot open the case.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from functions.core import audit, case_steps, cases, office_keys
from functions.keys import DEV_OFFICER_ID, DEV_PASSPHRASE, DEV_ROOT_KEY_NAME, keys_dir, next_keyring_base

NOTE = "GHI-CHU-NOI-BO-7f3a"
REPLY = "Chúng tôi đã nhận tin và đang xác minh."


def post_report(client, submission: str, **extra) -> str:
    body = {"description": "Em bé bị bỏ đói nhiều ngày ở bản Co Mạ", "category": "bao-luc", "commune": "bung-lao",
            "submission_id": submission, **extra}
    answer = client.post("/api/tips", json=body)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["receipt"]


def status_of(client, receipt: str) -> dict:
    return client.post("/api/tips/status", json={"receipt": receipt}).get_json()


def add_officer(config, officer_id: str, communes: tuple[str, ...]) -> office_keys.Identity:
    """A second officer of the development office, signed into a new keyring by the development root."""
    from functions.storage import open_storage

    storage = open_storage(config)
    root = office_keys.unlock((keys_dir(config) / DEV_ROOT_KEY_NAME).read_bytes(), DEV_PASSPHRASE)
    current = office_keys.current_keyring(storage, root.verify_key)
    identity = office_keys.Identity.generate()
    keyring = next_keyring_base(storage, current).with_officer(
        office_keys.Officer(officer_id, f"Cán bộ {officer_id}", communes, identity.verify_key))
    office_keys.publish_keyring(storage, keyring, root)
    return identity


@pytest.fixture
def officer(console, client):
    """The unlocked console of the development officer and one report of Búng Lao: ``(console, number,
    receipt)``. The console is made first, so the office exists when the report is sealed."""
    receipt = post_report(client, "console-case-00000000001")
    assert console.unlock().status_code == 303
    [number] = cases.case_numbers(console.session.storage)
    return console, number, receipt


def text_of(answer) -> str:
    return answer.get_data(as_text=True)


def seen(console, number: str) -> str:
    return re.search(r'name="da_xem" value="([0-9a-f]*)"', text_of(console.get(f"/ho-so/{number}"))).group(1)


def post_case(console, number: str, path: str, data: dict, *, fresh: bool = True):
    form = {"da_xem": seen(console, number), **data} if fresh else data
    return console.post(f"/ho-so/{number}/{path}", form)


def events_of(console, number: str) -> list[cases.Event]:
    storage = console.session.storage
    tip = cases.find_case(storage, number)
    case = cases.open_case(storage, tip, console.app.extensions["console-keys"].current().identity, DEV_OFFICER_ID)
    return cases.read_events(storage, case, console.session.root, console.session.versions)


def audited(console) -> list[tuple[str, str]]:
    return [(e["action"], e["subject"]) for e in audit.entries(console.session.storage, DEV_OFFICER_ID)]


def fill(form_id: str) -> dict:
    """Complete answers for each form, as the browser posts them."""
    return {
        "mau-01": {"can_bo_tiep_nhan": "Cán bộ Lò Thị Lan"},
        "mau-02": {"thoi_diem_danh_gia": "2026-11-30T15:00", "nguy_hiem_nghiem_trong": "khong",
                   "tach_tam_thoi": "khong", "tom_tat": "Trẻ đang ở với bà ngoại, an toàn."},
        "mau-03": {"ngay": "2026-12-01", "tom_tat": "Cần hỗ trợ dinh dưỡng và theo dõi."},
        "mau-04": {"ngay_xay_dung": "2026-12-02", "tom_tat": "Kế hoạch hỗ trợ ba tháng."},
        "mau-05": {"so_quyet_dinh": "12/QĐ-UBND", "ngay_quyet_dinh": "2026-12-03"},
        "mau-06": {"muc_do_ton_hai": "Thấp", "kha_nang_tiep_can": "Thấp", "moi_truong_cham_soc": "Thấp",
                   "kha_nang_tu_bao_ve": "Trẻ đã đi học lại."},
    }[form_id]


def save_form(console, number: str, form_id: str, answers: dict | None = None):
    page = text_of(console.get(f"/ho-so/{number}/mau/{form_id}"))
    kept = {}
    if form_id == "mau-01":  # what the page pre-filled from the report, posted back as the browser would
        for name in ("nguon_thong_tin", "thoi_diem_tiep_nhan", "dia_diem", "tinh_trang_tre", "loai_viec"):
            found = re.search(rf'name="{name}"[^>]*value="([^"]*)"|name="{name}"[^>]*>([^<]*)</textarea>', page)
            kept[name] = (found.group(1) or found.group(2)) if found else ""
    return post_case(console, number, f"mau/{form_id}", {**kept, **(answers or fill(form_id))})


def advance(console, number: str, step: int, action: str = "advance"):
    return post_case(console, number, "chuyen-buoc", {"thao_tac": action, "tu": str(step)})


# -- reading -------------------------------------------------------------------------------------------------

def test_the_case_page_shows_the_report_clocks_and_step_and_the_open_is_audited(officer):
    console, number, _ = officer
    answer = console.get(f"/ho-so/{number}")
    page = text_of(answer)
    assert answer.status_code == 200
    assert "Em bé bị bỏ đói nhiều ngày ở bản Co Mạ" in page and "Bạo lực, đánh đập, ngược đãi" in page
    assert "Búng Lao" in page
    assert "Bước 1: Tiếp nhận thông tin" in page
    assert re.search(r"\d\d:\d\d thứ \w+ \d\d/\d\d/\d{4}|\d\d:\d\d Chủ nhật", page)
    assert "Đánh giá ban đầu mức độ tổn hại" in page and "Nghị định 56/2017/NĐ-CP, Điều 26" in page
    assert "Cách hiểu của văn phòng" in page and 'data-deadline-status="ok"' in page
    assert ("open_case", number) in audited(console)
    from functions.notifications import outbox

    assert outbox.is_opened(console.session.storage, cases.find_case(console.session.storage, number))


def test_an_unknown_case_number_and_a_locked_console_show_nothing(officer):
    console, number, _ = officer
    assert console.get("/ho-so/2026-9999").status_code == 404
    assert console.get("/ho-so/khong-phai-so").status_code == 404
    console.post("/khoa")
    answer = console.get(f"/ho-so/{number}")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/mo-khoa")


def test_an_event_edited_by_hand_is_shown_as_not_verified_and_not_applied(officer):
    console, number, _ = officer
    assert post_case(console, number, "ghi-chu", {"ghi_chu": "Ghi chú thật"}).status_code == 303
    [event_file] = (console.config.data_dir / "store" / "tips").glob("*/case/*.event")
    document = json.loads(event_file.read_text())
    document["kind"] = "step"  # someone with write access to storage tries to move the case
    event_file.chmod(0o600)
    event_file.write_text(json.dumps(document))
    page = text_of(console.get(f"/ho-so/{number}"))
    assert "không xác thực" in page and "chữ ký không hợp lệ" in page and "không được tính" in page
    assert "Bước 1: Tiếp nhận thông tin" in page


# -- steps -------------------------------------------------------------------------------------------------------

def test_mau_01_is_prefilled_from_the_report(officer):
    console, number, _ = officer
    page = text_of(console.get(f"/ho-so/{number}/mau/mau-01"))
    assert "Tin báo gửi qua trang thông tin điện tử của văn phòng" in page
    assert "Em bé bị bỏ đói nhiều ngày ở bản Co Mạ</textarea>" in page
    assert re.search(r'name="thoi_diem_tiep_nhan" type="datetime-local" value="\d{4}-\d\d-\d\dT\d\d:\d\d"', page)


def test_a_missing_required_field_is_said_next_to_it_and_everything_typed_is_kept(officer):
    console, number, _ = officer
    answer = save_form(console, number, "mau-01", {"can_bo_tiep_nhan": "", "gia_dinh": "Sống với bà <ngoại>"})
    assert answer.status_code == 303
    page = text_of(console.get(answer.headers["Location"]))
    assert 'id="loi-can_bo_tiep_nhan">“Cán bộ tiếp nhận” là bắt buộc.' in page
    assert 'aria-invalid="true"' in page and "Sống với bà &lt;ngoại&gt;</textarea>" in page
    assert "Đã lưu tạm" in page
    refused = advance(console, number, 1)
    assert refused.status_code == 400 and "Chưa hoàn thành bước 1" in text_of(refused)


def test_a_value_the_field_does_not_take_is_refused_and_nothing_is_saved(officer):
    console, number, _ = officer
    answer = save_form(console, number, "mau-01", {"can_bo_tiep_nhan": "Cán bộ Lan", "tuoi_uoc_tinh": "mười",
                                                    "ngay_sinh": "hôm qua"})
    page = text_of(answer)
    assert answer.status_code == 400 and "Chưa lưu" in page
    assert "“Tuổi (ước tính, nếu không rõ ngày sinh)” phải là một số nguyên." in page
    assert "hãy ghi ngày theo dạng ngày/tháng/năm" in page
    assert 'value="mười"' in page and 'value="Cán bộ Lan"' in page
    assert [e.kind for e in events_of(console, number)] == []


def test_a_form_of_a_later_step_is_refused_with_the_rule(officer):
    console, number, _ = officer
    answer = save_form(console, number, "mau-03")
    assert answer.status_code == 400
    assert "Hồ sơ đang ở bước 1: chưa ghi được Mẫu 03 của bước 3." in text_of(answer)


def test_an_officer_walks_every_step_to_closing_with_signed_events(officer):
    console, number, _ = officer
    for step in range(1, 7):
        for form_id in case_steps.STEP_FORMS[step]:
            assert save_form(console, number, form_id).status_code == 303, form_id
        answer = advance(console, number, step, "close" if step == 6 else "advance")
        assert answer.status_code == 303, text_of(answer)
    page = text_of(console.get(f"/ho-so/{number}"))
    assert "Đã đóng hồ sơ" in page and "Mở lại hồ sơ" in page and f"/ho-so/{number}/in/mau-06" in page
    events = events_of(console, number)
    assert all(e.verified for e in events) and [e.kind for e in events].count("step") == 6
    assert ("write_event", number) in audited(console)


def test_back_needs_a_reason_and_a_stale_from_is_refused(officer):
    console, number, _ = officer
    save_form(console, number, "mau-01")
    assert advance(console, number, 1).status_code == 303
    no_reason = post_case(console, number, "chuyen-buoc", {"thao_tac": "back", "tu": "2", "den": "1", "ly_do": " "})
    assert no_reason.status_code == 400 and "Hãy ghi lý do." in text_of(no_reason)
    stale = advance(console, number, 1)  # a second tab still showing step 1
    assert stale.status_code == 400 and "có thể vừa có người chuyển bước" in text_of(stale)
    back = post_case(console, number, "chuyen-buoc", {"thao_tac": "back", "tu": "2", "den": "1",
                                                      "ly_do": "Cần hỏi lại người báo tin"})
    assert back.status_code == 303
    page = text_of(console.get(f"/ho-so/{number}"))
    assert "Bước 1: Tiếp nhận thông tin" in page and "Cần hỏi lại người báo tin" in page


def test_exit_as_a_duplicate_needs_the_other_case_number_and_reopen_needs_a_reason(officer):
    console, number, _ = officer
    without = post_case(console, number, "chuyen-buoc", {"thao_tac": "exit", "tu": "1", "den": "trung-lap",
                                                         "ly_do": "Cùng một sự việc"})
    assert without.status_code == 400 and "Hãy ghi số hồ sơ bị trùng" in text_of(without)
    assert "Cùng một sự việc</textarea>" in text_of(without)
    done = post_case(console, number, "chuyen-buoc", {"thao_tac": "exit", "tu": "1", "den": "trung-lap",
                                                      "ly_do": "Cùng một sự việc", "trung_voi": "2026-0001"})
    assert done.status_code == 303
    assert "Trùng với hồ sơ khác 2026-0001" in text_of(console.get(f"/ho-so/{number}"))
    refused = post_case(console, number, "chuyen-buoc", {"thao_tac": "reopen", "tu": "trung-lap", "ly_do": ""})
    assert refused.status_code == 400 and "Hãy ghi lý do." in text_of(refused)
    assert post_case(console, number, "chuyen-buoc", {"thao_tac": "reopen", "tu": "trung-lap",
                                                      "ly_do": "Nhầm số"}).status_code == 303
    assert "Bước 1: Tiếp nhận thông tin" in text_of(console.get(f"/ho-so/{number}"))


def test_an_unknown_move_and_a_page_that_read_events_no_longer_there_are_refused(officer):
    console, number, _ = officer
    assert post_case(console, number, "chuyen-buoc", {"thao_tac": "bay-di", "tu": "1"}).status_code == 400
    stale = post_case(console, number, "ghi-chu", {"ghi_chu": "x", "da_xem": "ab" * 32}, fresh=False)
    assert stale.status_code == 404 and "Trang này đã cũ" in text_of(stale)


def test_two_writes_from_the_same_page_are_both_kept_and_shown_as_a_conflict(officer):
    console, number, _ = officer
    post_case(console, number, "ghi-chu", {"ghi_chu": "Thứ nhất"})
    page_seen = seen(console, number)
    for text in ("Hai", "Ba"):
        assert post_case(console, number, "ghi-chu", {"ghi_chu": text, "da_xem": page_seen}, fresh=False).status_code == 303
    assert "Xung đột" in text_of(console.get(f"/ho-so/{number}"))


# -- notes and replies ------------------------------------------------------------------------------------------

def test_a_note_never_reaches_the_reporter(officer, client):
    console, number, receipt = officer
    empty = post_case(console, number, "ghi-chu", {"ghi_chu": "  "})
    assert empty.status_code == 400 and "Hãy viết nội dung ghi chú." in text_of(empty)
    assert post_case(console, number, "ghi-chu", {"ghi_chu": f"Đã gọi trưởng bản {NOTE}"}).status_code == 303
    assert NOTE in text_of(console.get(f"/ho-so/{number}"))
    assert NOTE not in json.dumps(status_of(client, receipt), ensure_ascii=False)
    assert NOTE not in text_of(client.post("/api/tips/status", data={"receipt": receipt}))


def test_a_reply_is_previewed_as_the_status_page_shows_it_then_sent_then_withdrawn(officer, client):
    console, number, receipt = officer
    no_status = post_case(console, number, "nhan-tin", {"tin_nhan": REPLY, "trang_thai": ""})
    assert no_status.status_code == 400 and "Hãy chọn trạng thái" in text_of(no_status)
    preview = post_case(console, number, "nhan-tin", {"tin_nhan": REPLY + " <b>", "trang_thai": "verifying"})
    page = text_of(preview)
    # The conversation /tra-cuu/ shows (issue 16), with the draft as the office's next message.
    assert preview.status_code == 200 and "Kết quả tra cứu" in page and "Trao đổi với văn phòng" in page
    assert "Lời nhắn của cán bộ cho bạn" not in page
    assert "Đang xác minh" in page and "&lt;b&gt;" in page and "<b>" not in page
    assert status_of(client, receipt)["messages"] == []  # nothing sent by a preview
    digest = re.search(r'name="ban_xem_truoc" value="([0-9a-f]+)"', page).group(1)
    changed = post_case(console, number, "nhan-tin", {"tin_nhan": REPLY, "trang_thai": "verifying", "gui": "1",
                                                      "ban_xem_truoc": digest})
    assert changed.status_code == 200 and status_of(client, receipt)["messages"] == []  # previewed again
    digest = re.search(r'name="ban_xem_truoc" value="([0-9a-f]+)"', text_of(changed)).group(1)
    sent = post_case(console, number, "nhan-tin", {"tin_nhan": REPLY, "trang_thai": "verifying", "gui": "1",
                                                   "ban_xem_truoc": digest})
    assert sent.status_code == 303
    answer = status_of(client, receipt)
    assert answer["status"] == "verifying" and [m["text"] for m in answer["messages"]] == [REPLY]
    message_id = re.search(r'name="tin" value="([0-9a-f]+)"', text_of(console.get(f"/ho-so/{number}"))).group(1)
    no_reason = post_case(console, number, "rut-tin", {"tin": message_id, "ly_do_rut": ""})
    assert no_reason.status_code == 400 and "Hãy ghi lý do rút lại tin nhắn." in text_of(no_reason)
    assert post_case(console, number, "rut-tin", {"tin": message_id, "ly_do_rut": "Gửi nhầm"}).status_code == 303
    assert status_of(client, receipt)["messages"] == []
    page = text_of(console.get(f"/ho-so/{number}"))
    assert REPLY in page and "Gửi nhầm" in page and "người báo tin không còn thấy" in page


def conversation_in(page: str) -> list[tuple[str, str]]:
    """``(who, text)`` of each message of the conversation a page shows (the public template's list)."""
    block = re.search(r"<ol [^>]*data-conversation>(.*?)</ol>", page, re.S)
    items = re.findall(r'<li data-from="(\w+)">.*?<strong>([^<]*)</strong>, [^<]*:</span> (.*?)</li>',
                       block.group(1) if block else "", re.S)
    return [(who, text.strip()) for _from, who, text in items]


def test_the_reply_preview_is_the_conversation_the_receipt_holder_will_see(officer, client):
    import datetime as dt

    from functions.core import reporter_messages
    from functions.web import context

    console, number, receipt = officer
    storage, now = console.session.storage, dt.datetime.now(dt.timezone.utc)
    identity = console.app.extensions["console-keys"].current().identity
    case = cases.open_case(storage, cases.find_case(storage, number), identity, DEV_OFFICER_ID)
    # The office asked 20 s ago and the holder answered 10 s ago (earlier moments: the order below is
    # decided by what was sent, not by which of two writes fell first within one second).
    cases.reply(storage, case, DEV_OFFICER_ID, identity, "Cháu mấy tuổi?", events_of(console, number),
                now - dt.timedelta(seconds=20))
    sealing = reporter_messages.Sealing(console.session.root, console.session.keyring)
    reporter_messages.send(storage, context(client.application).secret(), sealing, receipt,
                           "console-preview-message-01", "Cháu 9 tuổi <i>ạ</i>", [], now - dt.timedelta(seconds=10))
    page = text_of(post_case(console, number, "nhan-tin", {"tin_nhan": REPLY, "trang_thai": "verifying"}))
    preview = page.split('id="xem-truoc"', 1)[1]
    expected = [("Văn phòng", "Cháu mấy tuổi?"), ("Bạn", "Cháu 9 tuổi &lt;i&gt;ạ&lt;/i&gt;"), ("Văn phòng", REPLY)]
    assert conversation_in(preview) == expected
    # What the holder reads once it is sent is the same list (and the same words, escaped the same way).
    digest = re.search(r'name="ban_xem_truoc" value="([0-9a-f]+)"', page).group(1)
    assert post_case(console, number, "nhan-tin", {"tin_nhan": REPLY, "trang_thai": "verifying", "gui": "1",
                                                   "ban_xem_truoc": digest}).status_code == 303
    public = text_of(client.post("/api/tips/status", data={"receipt": receipt}))
    assert conversation_in(public) == expected and "Đang xác minh" in public
    # Closing: the preview says what the holder will read under the conversation; no answer form in it.
    closing = text_of(post_case(console, number, "nhan-tin", {"tin_nhan": "", "trang_thai": "closed"}))
    closing = closing.split('id="xem-truoc"', 1)[1]
    assert "Hồ sơ đã đóng nên không nhận thêm tin nhắn" in closing and 'name="message_id"' not in closing
    assert conversation_in(closing) == expected


def test_a_reply_with_a_phone_number_or_the_reporters_name_is_warned_about(console, client):
    post_report(client, "console-case-00000000002", reporter_name="Lò Văn Páo", reporter_phone="0912 345 678")
    console.unlock()
    [number] = cases.case_numbers(console.session.storage)
    page = text_of(post_case(console, number, "nhan-tin", {"tin_nhan": "Chào anh lo van pao, gọi 0912.345.678",
                                                           "trang_thai": "received"}))
    assert "Tin nhắn có một số điện thoại" in page
    assert "số điện thoại người báo tin" in page and "tên người báo tin" in page
    calm = text_of(post_case(console, number, "nhan-tin", {"tin_nhan": "Đã nhận tin.", "trang_thai": "handling"}))
    assert "Lưu ý" not in calm


def test_the_same_status_with_no_text_is_refused_and_a_status_alone_is_sent(officer, client):
    console, number, receipt = officer
    same = post_case(console, number, "nhan-tin", {"tin_nhan": "", "trang_thai": "received"})
    assert same.status_code == 400 and "Hãy viết tin nhắn" in text_of(same)
    preview = text_of(post_case(console, number, "nhan-tin", {"tin_nhan": "", "trang_thai": "handling"}))
    digest = re.search(r'name="ban_xem_truoc" value="([0-9a-f]+)"', preview).group(1)
    post_case(console, number, "nhan-tin", {"tin_nhan": "", "trang_thai": "handling", "gui": "1",
                                            "ban_xem_truoc": digest})
    assert status_of(client, receipt)["status"] == "handling"


# -- assignment and handover -------------------------------------------------------------------------------------

def test_assign_and_grant_to_a_colleague(officer, config):
    console, number, _ = officer
    add_officer(config, "can-bo-minh", ("muong-ang",))
    console.session.forget_keyring()
    not_yet = post_case(console, number, "phan-cong", {"can_bo": "can-bo-minh"})
    assert not_yet.status_code == 400 and "chưa mở được hồ sơ này" in text_of(not_yet)
    assert post_case(console, number, "phan-cong", {"can_bo": "ai-do"}).status_code == 400
    assert post_case(console, number, "chia-se", {"dong_nghiep": "ai-do"}).status_code == 400
    assert post_case(console, number, "chia-se", {"dong_nghiep": "can-bo-minh"}).status_code == 303
    again = post_case(console, number, "chia-se", {"dong_nghiep": "can-bo-minh"})
    assert again.status_code == 400
    assert post_case(console, number, "phan-cong", {"can_bo": "can-bo-minh"}).status_code == 303
    page = text_of(console.get(f"/ho-so/{number}"))
    assert "Giao cho Cán bộ can-bo-minh" in page and "Chia sẻ cho Cán bộ can-bo-minh" in page
    assert ("grant", number) in audited(console)


# -- attachments --------------------------------------------------------------------------------------------------

def post_with_files(client, submission: str, files: list[tuple[bytes, str]]) -> None:
    answer = client.post("/api/tips", content_type="multipart/form-data", headers={"Accept": "application/json"},
                         data={"description": "Ảnh chụp nơi trẻ bị nhốt", "category": "bao-luc",
                               "commune": "bung-lao", "submission_id": submission,
                               "attachments": [(io.BytesIO(data), name) for data, name in files]})
    assert answer.status_code == 201, text_of(answer)


def test_an_image_is_shown_inline_sandboxed_and_saving_it_is_an_audited_post(console, client):
    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(photo, "PNG")
    post_with_files(client, "console-case-00000000003", [(photo.getvalue(), "anh.png")])
    console.unlock()
    [number] = cases.case_numbers(console.session.storage)
    assert f'src="/ho-so/{number}/tep/0"' in text_of(console.get(f"/ho-so/{number}"))
    shown = console.get(f"/ho-so/{number}/tep/0")
    assert shown.status_code == 200 and shown.mimetype.startswith("image/")
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    assert shown.headers["X-Content-Type-Options"] == "nosniff" and shown.headers["Content-Disposition"] == "inline"
    assert ("view_attachment", number) in audited(console)
    assert ("save_attachment", number) not in audited(console)
    assert console.get(f"/ho-so/{number}/tep/0/luu").status_code == 405
    saved = console.post(f"/ho-so/{number}/tep/0/luu")
    assert saved.status_code == 200 and saved.headers["Content-Disposition"].startswith("attachment;")
    assert saved.mimetype == "application/octet-stream" and Image.open(io.BytesIO(saved.data)).size == (30, 20)
    assert ("save_attachment", number) in audited(console)
    assert console.get(f"/ho-so/{number}/tep/7").status_code == 404


def test_a_file_that_is_not_an_image_or_pdf_is_never_shown_inline():
    from functions.console.case_actions import PDF, inline_type

    assert inline_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>") == ""
    assert inline_type(b"<html><script>alert(1)</script></html>") == ""
    assert inline_type(b"%PDF-1.4\n...") == PDF
