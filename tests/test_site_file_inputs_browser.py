"""File inputs labelled in Vietnamese whatever the browser's language (issue 14), in real Chromium.

The browser is set to English (en-US), where Chromium draws "Choose File(s)" and "No file chosen" inside
<input type="file">. On the report form and the self-assessment form every file input is hidden visually
(but reached by Tab, its label showing the focus), a Vietnamese "Chọn tệp…" label opens the chooser, and the chosen
files are named in Vietnamese. Without JavaScript the browser's own input is shown: it alone can tell which
files were chosen.
"""

from __future__ import annotations

import pytest

from test_site_browser import Guard

pytestmark = pytest.mark.browser

ENGLISH = {"locale": "en-US", "viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}
FORMS = {"report form": ("/bao-tin/", 1), "self-assessment": ("/tu-danh-gia/", 3)}


@pytest.fixture
def english_page(chromium):
    context = chromium.new_context(**ENGLISH)
    guard = Guard(context)
    page = context.new_page()
    yield page
    context.close()
    assert not guard.foreign, f"requests to other hosts: {guard.foreign}"


BOXES = """() => [...document.querySelectorAll('.bvte-file')].map(box => {
    const input = box.querySelector('input[type=file]'), label = box.querySelector('.bvte-file__button');
    const r = input.getBoundingClientRect(), l = label.getBoundingClientRect();
    return {id: input.id, ready: box.classList.contains('bvte-file--ready'), inputWidth: r.width,
            inputHeight: r.height, labelFor: label.htmlFor, labelText: label.innerText,
            labelWidth: l.width, labelHeight: l.height,
            names: box.querySelector('.bvte-file__names').innerText,
            describedBy: input.getAttribute('aria-describedby') || ''};
})"""


@pytest.mark.parametrize("form", FORMS)
def test_file_inputs_read_in_vietnamese_in_an_english_browser(english_page, live_server, form):
    path, minimum = FORMS[form]
    page = english_page
    page.goto(live_server.url + path)
    assert page.evaluate("navigator.language") == "en-US"
    page.wait_for_selector(".bvte-file--ready")
    boxes = page.evaluate(BOXES)
    assert len(boxes) >= minimum
    for box in boxes:
        assert box["ready"], box
        assert box["inputWidth"] <= 1 and box["inputHeight"] <= 1, box  # the browser's English drawn nowhere
        assert box["labelFor"] == box["id"] and box["labelText"] == "Chọn tệp…", box
        assert box["labelWidth"] > 0 and box["labelHeight"] >= 44, box
        assert box["names"] == "Chưa chọn tệp" and f"{box['id']}-names" in box["describedBy"].split(), box
    text = page.inner_text("body")
    for english in ("Choose File", "No file chosen", "Browse"):
        assert english not in text


@pytest.mark.parametrize("form", FORMS)
def test_the_vietnamese_label_opens_the_chooser_and_names_the_files(english_page, live_server, form):
    page = english_page
    page.goto(live_server.url + FORMS[form][0])
    page.wait_for_selector(".bvte-file--ready")
    box = page.locator(".bvte-file").first
    input_id = box.locator("input[type=file]").get_attribute("id")
    with page.expect_file_chooser() as chooser:
        box.locator(".bvte-file__button").click()  # a real click at the label's place on screen
    assert chooser.value.element.get_attribute("id") == input_id
    files = [{"name": "ảnh-1.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really"},
             {"name": "giay-to.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 not really"}]
    if chooser.value.is_multiple():
        chooser.value.set_files(files)
        assert box.locator(".bvte-file__names").inner_text() == "Đã chọn 2 tệp: ảnh-1.jpg, giay-to.pdf"
    else:
        chooser.value.set_files(files[1:])
        assert box.locator(".bvte-file__names").inner_text() == "Đã chọn: giay-to.pdf"


def test_the_hidden_input_is_reached_by_keyboard_and_its_label_shows_the_focus(english_page, live_server):
    page = english_page
    page.goto(live_server.url + "/bao-tin/")
    page.wait_for_selector(".bvte-file--ready")
    page.focus("#description")
    for _ in range(40):  # Tab through the form until the file input has focus
        if page.evaluate("document.activeElement && document.activeElement.id") == "attachments":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "attachments"
    outline = page.eval_on_selector("label[for=attachments].bvte-file__button",
                                    "l => [getComputedStyle(l).outlineStyle, parseFloat(getComputedStyle(l).outlineWidth)]")
    assert outline[0] == "solid" and outline[1] >= 3
    # Space or Enter then opens the chooser natively (the input itself has focus). Not asserted here: under
    # load Chromium did not always open it from a synthetic Space within 30 s (2 runs in ~20).


def test_without_javascript_the_browser_input_is_shown_and_no_false_names(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, **ENGLISH)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/bao-tin/")
        assert page.locator("#attachments").is_visible()
        assert page.locator("#attachments").bounding_box()["width"] > 1
        assert not page.locator(".bvte-file__names").first.is_visible()  # "Chưa chọn tệp" would not follow a choice
    finally:
        context.close()
