"""Issue 13 end to end in real Chromium, with and without JavaScript on the public side: a commune submits on
/tu-danh-gia/ → an officer returns criterion 3 in the console → a wrong code sees nothing, the right code sees
the comment and the deadline → the commune resubmits from the answer page (scores pre-filled, files kept) →
the console shows what changed and the earlier comment → recognition proposed → the commune reads it."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from functions.commands.serve import wsgi_server
from functions.keys import DEV_PASSPHRASE
from tests.conftest import ConsoleDriver
from tests.test_assessments import PDF, passing_scores

pytestmark = pytest.mark.browser

YEAR = dt.date.today().year
DEADLINE = (dt.date.today() + dt.timedelta(days=14)).isoformat()
TOKEN = "launch-" + "e" * 40
COMMENT = "Thiếu biên bản họp ban bảo vệ trẻ em"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def office(config):
    """The development office (made before the public app reads anything) and its console on 127.0.0.1."""
    from functions.console import create_console_app

    driver = ConsoleDriver(config)
    port = free_port()
    app = create_console_app(driver.session, driver.key_path, launch_token=TOKEN, port=port)
    with wsgi_server(app, port=port) as server:
        yield server.url


@pytest.fixture(params=["js", "no-js"])
def public(request, office, chromium):
    """The commune's browser: JavaScript on, or off (every step then is a plain form post)."""
    context = chromium.new_context(locale="vi-VN", java_script_enabled=request.param == "js")
    yield context.new_page()
    context.close()


@pytest.fixture
def officer(chromium, office):
    context = chromium.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(f"{office}/bat-dau?t={TOKEN}")
    page.fill("#mat_khau", DEV_PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Khóa")  # any unlocked page names the key or the lock
    yield page
    context.close()


def evidence(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def lookup(page, url: str, code: str) -> None:
    page.goto(f"{url}/tu-danh-gia/")
    page.fill("#tc-xa", "Ang Cang")  # a former commune's name, without tones: today's xã Mường Ảng
    page.fill("#tc-nam", str(YEAR))
    page.fill("#tc-ma", code)
    with page.expect_navigation():
        page.click("form.bvte-status-lookup button")


def review(officer, office: str, choices: dict[str, str], fills: dict[str, str]) -> str:
    officer.goto(f"{office}/danh-gia/muong-ang/{YEAR}")
    for selector in choices.values():
        officer.check(selector)
    for selector, value in fills.items():
        officer.fill(selector, value)
    with officer.expect_navigation():
        officer.click("button[value=luu]")
    return officer.content()


def test_submit_return_read_resubmit_diff_propose(public, officer, office, live_server, code, rubric, tmp_path):
    url = live_server.url
    # 1. The commune submits with a PDF for criterion 3.
    public.goto(f"{url}/tu-danh-gia/")
    public.select_option("#commune", "muong-ang")
    public.fill("#year", str(YEAR))
    public.fill("#access_code", code)
    for name, value in passing_scores(rubric).items():
        public.fill(f"#{name}", value)
    public.set_input_files("#evidence_tc03", evidence(tmp_path, "bien-ban.pdf", PDF))
    with public.expect_navigation():
        public.click("#tu-danh-gia button[type=submit]")
    assert "Đã nhận bản tự đánh giá" in public.content()

    # 2. The officer returns criterion 3 with a comment and a deadline.
    saved = review(officer, office, {"v": "#verdict_tc03-can-bo-sung", "o": "#outcome-tra-lai"},
                   {"#comment_tc03": COMMENT, "#deadline": DEADLINE})
    assert "Đã lưu kết quả xem xét" in saved

    # 3. A wrong code sees nothing; the right one sees the verdict, the comment and the deadline.
    lookup(public, url, "AAAA-BBBB-CCCC-DDDD")
    wrong = public.content()
    assert "Mã truy cập không đúng" in wrong and COMMENT not in wrong and "bien-ban.pdf" not in wrong
    lookup(public, url, code)
    answer = public.content()
    assert "Trả lại để bổ sung" in answer and COMMENT in answer and DEADLINE in answer and "Cần bổ sung" in answer

    # 4. Resubmission from the answer page: scores pre-filled, the PDF kept, a new file added.
    assert public.input_value("#score_tc01") == passing_scores(rubric)["score_tc01"]
    assert public.locator("input[name=keep_evidence]").is_checked()
    before = passing_scores(rubric)["score_tc02"]
    public.fill("#score_tc02", str(int(before) + 5))
    public.set_input_files("#evidence_tc03", evidence(tmp_path, "bien-ban-bo-sung.pdf", PDF + b"% bo sung\n"))
    public.fill("#access_code", code)
    with public.expect_navigation():
        public.click("#tu-danh-gia button[type=submit]")
    receipt = public.content()
    assert "Đã nhận bản tự đánh giá" in receipt and "bien-ban.pdf" in receipt and "bien-ban-bo-sung.pdf" in receipt

    # 5. The console shows the differences and what it said last time; recognition is proposed.
    officer.goto(f"{office}/danh-gia/muong-ang/{YEAR}")
    screen = officer.content()
    assert "So với lần trước: thêm bien-ban-bo-sung.pdf." in screen and f"Lần trước: {before} điểm" in screen
    assert COMMENT in screen and "Lần trước văn phòng đánh giá: Cần bổ sung" in screen
    verdicts = {c.id: f"#verdict_{c.id}-dat" for c in rubric.criteria}
    proposed = review(officer, office, {**verdicts, "o": "#outcome-de-nghi-cong-nhan"}, {})
    assert "Đã lưu kết quả xem xét" in proposed, proposed[-3000:]

    # 6. The commune reads the outcome of its second version.
    lookup(public, url, code)
    final = public.content()
    assert "Đã đề nghị công nhận" in final and "Gửi lại bản tự đánh giá (lần gửi 3)" in final
