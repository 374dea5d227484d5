"""Print and register in real Chromium: a saved Mẫu prints to PDF on A4 with the margins of Nghị định
30/2020/NĐ-CP and without the console's chrome; axe-core finds nothing on the print page and the register
at 1280×800 and 360×640. The console runs on a real server on 127.0.0.1 (as ``bvte console`` serves it),
stopped after each test.
"""

from __future__ import annotations

import re
import zlib

import pytest

from functions.commands.console import _server
from functions.commands.session import Session, read_key_file
from functions.core import cases, office_keys
from functions.keys import DEV_PASSPHRASE, dev_officer_key, ensure_dev_office
from tests.conftest import axe_violations
from tests.test_cases_cli import post_report

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
A4_POINTS = (595, 842)
MM_PER_POINT = 25.4 / 72
# Nghị định 30/2020/NĐ-CP, Phụ lục I (domain README §2), in millimetres.
MARGINS = {"top": (20, 25), "bottom": (20, 25), "left": (30, 35), "right": (15, 20)}
MAU_01 = {"nguon_thong_tin": "Tin báo gửi qua trang thông tin điện tử của văn phòng",
          "thoi_diem_tiep_nhan": "2026-11-30T14:05:00", "dia_diem": "xã Mường Ảng",
          "tinh_trang_tre": "Trẻ cần được hỗ trợ", "can_bo_tiep_nhan": "Cán bộ tiếp nhận A"}


@pytest.fixture
def printable(config, client):
    """The console on a free port and one Mường Ảng case with Mẫu 01 saved: ``(base url, launch url, number)``."""
    ensure_dev_office(config)
    post_report(client, "muong-ang", "print-browser-0001")
    session = Session(None, config=config)
    actor = session.identify(office_keys.unlock(read_key_file(dev_officer_key(config)), DEV_PASSPHRASE))
    [(number, tip_id)] = cases.case_numbers(session.storage).items()
    case = cases.open_case(session.storage, tip_id, actor.identity, actor.officer_id)
    cases.write_event(session.storage, case, actor.author, actor.identity, "form",
                      {"form": "mau-01", "version": 1, "answers": MAU_01}, [])
    token = "launch-" + "p" * 40
    with _server(Session(None, config=config), dev_officer_key(config), token, 0, 900) as server:
        yield server.url, f"{server.url}/bat-dau?t={token}", number


def open_console(chromium, base: str, launch: str, viewport: dict):
    # axe-core is injected as an inline script, which the console's CSP forbids: only the test bypasses it.
    context = chromium.new_context(locale="vi-VN", viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(launch)
    page.locator("#mat_khau").fill(DEV_PASSPHRASE)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")  # exactly the inbox: the unlock page's own URL ends in "tiep=/"
    return context, page


def page_boxes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in
            re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]", pdf)]


def content_margins_mm(pdf: bytes, width: float, height: float) -> dict[str, float]:
    """The first page's printable area, from the clip Chromium's PDF writer (Skia) sets around the page's
    content: ``s 0 0 -s 0 H cm`` then ``x y w h re W`` in its own units; returned as margins in mm."""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text = zlib.decompress(match.group(1)).decode("latin-1")
        except zlib.error:
            continue
        scale = re.search(r"([0-9.]+) 0 0 -([0-9.]+) 0 ([0-9.]+) cm", text)
        clip = re.search(r"([0-9.]+) ([0-9.]+) ([0-9.]+) ([0-9.]+) re\s+W", text)
        if scale and clip:
            s = float(scale.group(1))
            x, y, w, h = (float(v) * s for v in clip.groups())
            return {"left": x * MM_PER_POINT, "top": y * MM_PER_POINT,
                    "right": (width - x - w) * MM_PER_POINT, "bottom": (height - y - h) * MM_PER_POINT}
    raise AssertionError("no content clip found in the PDF: did Chromium's PDF writer change?")


def test_the_printed_form_is_a4_with_nd30_margins_and_without_the_console_chrome(chromium, printable):
    base, launch, number = printable
    context, page = open_console(chromium, base, launch, DESKTOP)
    try:
        page.goto(f"{base}/ho-so/{number}/in/mau-01")
        page.locator("#so").fill("12/BB-UBND")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("text=Số: 12/BB-UBND")
        for chrome in (".bar", "form.lock", "[data-print]", ".print-controls", ".nd30-web"):
            assert page.locator(chrome).first.is_visible(), chrome
        page.emulate_media(media="print")
        for chrome in (".bar", "form.lock", "[data-print]", ".print-controls", ".nd30-web", ".skip"):
            assert page.locator(chrome).first.is_hidden(), chrome
        assert page.locator(".nd30").is_visible() and page.locator(".nd30-number").inner_text() == "Số: 12/BB-UBND"
        font = page.locator(".nd30-fields").evaluate("e => [getComputedStyle(e).fontFamily, getComputedStyle(e).fontSize]")
        assert font[0].startswith('"Times New Roman"') and abs(float(font[1].removesuffix("px")) - 14 * 4 / 3) < 0.1
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        context.close()
    boxes = page_boxes(pdf)
    assert boxes and all(abs(w - A4_POINTS[0]) <= 1 and abs(h - A4_POINTS[1]) <= 1 for w, h in boxes), boxes
    margins = content_margins_mm(pdf, *boxes[0])
    for side, (low, high) in MARGINS.items():
        assert low <= margins[side] <= high, (side, margins)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "360x640"])
def test_the_print_page_and_the_register_have_no_axe_violations(chromium, printable, viewport):
    base, launch, number = printable
    context, page = open_console(chromium, base, launch, viewport)
    try:
        page.goto(f"{base}/ho-so/{number}/in/mau-01")
        page.wait_for_selector(".nd30")
        assert axe_violations(page) == []
        page.goto(f"{base}/so-theo-doi")
        page.wait_for_selector(f"th:text('{number}')")
        assert axe_violations(page) == []
        page.locator("#nam").fill("20x6")
        page.keyboard.press("Enter")
        page.wait_for_selector("#nam-loi")
        assert page.locator("#nam").input_value() == "20x6"
        assert axe_violations(page) == []
    finally:
        context.close()
