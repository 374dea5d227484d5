"""The browser's form checks and the server's validation agree, input by input, in real Chromium.

One table of inputs per form goes to both sides: the page's own script on the real built page (values
set in the form, the script's event handlers run, its messages read from the page) and the Python
validation called directly. They must give the same verdict and the same Vietnamese message for
every field. The same for tone folding: the search worker's ``fold`` against ``text.fold`` on every
Vietnamese letter with every tone, in both cases and both normal forms, and whole Unicode blocks.
A last test tampers with the rules the page receives and checks that the comparison notices.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata

import pytest

from functions.config import Config
from functions.core import text
from functions.core.places import load_places
from functions.core.rubric import load_rubrics, rubric_in_force, rubrics_dir, score, validate_scores
from functions.core.tip_validation import load_categories, validate

pytestmark = pytest.mark.browser

CONTENT = Config().content_dir
PLACES = load_places(CONTENT)
CATEGORIES = load_categories(CONTENT)

# -- the report form ----------------------------------------------------------------------------

VALID_TIP = {
    "description": "Em bé nhà bên bị đánh nhiều lần trong tuần này.",
    "category": "bao-luc",
    "commune": "Búng Lao",
    "child_age": "",
    "location_detail": "",
    "reporter_name": "",
    "reporter_phone": "",
}
TIP_FIELDS = list(VALID_TIP)
NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731 — some phone keyboards type this way

TIP_ROWS = [
    {},
    # description: empty, short, the limits, counted as Python counts (NFC code points)
    {"description": ""}, {"description": "   \n\t "}, {"description": "Ngắn quá"},
    {"description": "123456789"}, {"description": "1234567890"}, {"description": "  1234567890  "},
    {"description": NFD("Trẻ bị đói")}, {"description": NFD("Trẻ bị đánh")},
    {"description": "😢😢😢😢😢😢😢😢😢"}, {"description": "😢😢😢😢😢😢😢😢😢😢"},
    {"description": "\u200b" * 5 + "chín ký tự"[:9]}, {"description": "ab\x00cdefgh"},
    {"description": "x" * 5000}, {"description": "x" * 5001}, {"description": "ư" * 12345},
    {"description": NFD("ệ") * 4000}, {"description": "a\r\nb\rc\nd e f g h"},
    # category
    {"category": ""}, {"category": "khac"}, {"category": "xam-hai-tren-mang"},
    # commune: today's names, former names, ids, no tones, capitals, NFD, "xã"/"thị trấn" in front,
    # punctuation, "don't know", and names that are not here
    {"commune": ""}, {"commune": "   "}, {"commune": "Búng Lao"}, {"commune": "bung lao"},
    {"commune": "BÚNG LAO"}, {"commune": NFD("Búng Lao")}, {"commune": "bung-lao"}, {"commune": "bung_lao"},
    {"commune": "xã Búng Lao"}, {"commune": "Xã Búng Lao"}, {"commune": "Ẳng Tở"}, {"commune": "ang to"},
    {"commune": "thị trấn Mường Ảng"}, {"commune": "TT. Mường Ảng"}, {"commune": "tt Muong Ang"},
    {"commune": "Mường  Ảng"}, {"commune": "Mường, Ảng."}, {"commune": "Ngối Cáy"}, {"commune": "NGOI CAY"},
    {"commune": "Nặm Lịch"}, {"commune": "Ẳng Nưa"}, {"commune": "Ẳng Cang"}, {"commune": "Xuân Lao"},
    {"commune": "khong-ro"}, {"commune": "Không rõ xã nào"}, {"commune": "không rõ"}, {"commune": "KHONG RO"},
    {"commune": "Hà Nội"}, {"commune": "Búng"}, {"commune": "xã"}, {"commune": "Bung Lao 2"},
    {"commune": "Búng\u00a0Lao"}, {"commune": "Búng\u3000Lao"}, {"commune": "Đông"},
    # child's age
    {"child_age": "0"}, {"child_age": "17"}, {"child_age": "18"}, {"child_age": "5 tuổi"},
    {"child_age": "5tuổi"}, {"child_age": "5 TUỔI"}, {"child_age": NFD("5 tuổi")}, {"child_age": "05"},
    {"child_age": "-1"}, {"child_age": "3.5"}, {"child_age": "mười"}, {"child_age": "１２"},
    {"child_age": "٣"}, {"child_age": " 7 "}, {"child_age": "tuổi"}, {"child_age": "99999999999999999999"},
    # lengths of the optional texts
    {"location_detail": "y" * 500}, {"location_detail": "y" * 501}, {"location_detail": "ơ" * 1234},
    {"location_detail": NFD("ở") * 500}, {"reporter_name": "N" * 100}, {"reporter_name": "N" * 101},
    {"reporter_name": NFD("Nguyễn") * 20},
    # phones: mobile and landline, spaces and dots, +84/84/0084, too short or long, other digits
    {"reporter_phone": "0912345678"}, {"reporter_phone": "091 234 5678"}, {"reporter_phone": "091.234.5678"},
    {"reporter_phone": "091-234-5678"}, {"reporter_phone": "(091) 234 5678"}, {"reporter_phone": "+84912345678"},
    {"reporter_phone": "+84 912 345 678"}, {"reporter_phone": "84912345678"}, {"reporter_phone": "0084 912 345 678"},
    {"reporter_phone": "0327.123.456"}, {"reporter_phone": "0562 000 111"}, {"reporter_phone": "0215 3822 000"},
    {"reporter_phone": "02153822000"}, {"reporter_phone": "0112345678"}, {"reporter_phone": "0312345678"},
    {"reporter_phone": "091234567"}, {"reporter_phone": "09123456789"}, {"reporter_phone": "０９１２３４５６７８"},
    {"reporter_phone": "1900 1234"}, {"reporter_phone": "abc"}, {"reporter_phone": "111"},
    {"reporter_phone": "0912\u00a0345\u00a0678"}, {"reporter_phone": "0912 345 678" + " " * 30},
    {"reporter_phone": "0 9 1 2 3 4 5 6 7 8 0 9 1 2 3 4 5 6"}, {"reporter_phone": "849123456789"},
    {"reporter_phone": "+84 0912345678"}, {"reporter_phone": "0912345678/"},
    # several wrong at once
    {"description": "", "commune": "Hà Nội", "child_age": "20", "reporter_phone": "12"},
]

# Runs the page's own handlers: a value set, then `focusout` on the field (what leaving it does),
# then the message the script wrote next to it. Returns what the form now holds (what it would
# post) and the messages.
BROWSER_TIP_CHECK = """(rows) => {
  const form = document.querySelector("form[data-tip-form]");
  const read = (name) => {
    const holder = form.querySelector('[data-error-for="' + name + '"]');
    if (!holder || holder.hidden) return null;
    return holder.lastChild ? holder.lastChild.textContent : "";
  };
  return rows.map((row) => {
    const sent = {}, messages = {};
    for (const [name, value] of Object.entries(row)) {
      if (name === "category") {
        for (const radio of form.querySelectorAll('input[name="category"]')) radio.checked = radio.value === value;
      } else {
        form.elements[name].value = value;
      }
    }
    for (const name of Object.keys(row)) {
      const el = name === "category" ? form.querySelector('input[name="category"]') : form.elements[name];
      el.dispatchEvent(new FocusEvent("focusout", {bubbles: true}));
      const checked = form.querySelector('input[name="category"]:checked');
      sent[name] = name === "category" ? (checked ? checked.value : "") : form.elements[name].value;
      const message = read(name);
      if (message !== null) messages[name] = message;
    }
    return {sent, messages};
  });
}"""


def tip_disagreements(page, rows) -> list[dict]:
    full = [{**VALID_TIP, **row} for row in rows]
    found = []
    for row, answer in zip(full, page.evaluate(BROWSER_TIP_CHECK, full)):
        _, errors = validate(answer["sent"], CATEGORIES, PLACES)
        server = {k: v for k, v in errors.items() if k in TIP_FIELDS}
        if answer["messages"] != server:
            found.append({"row": {k: v[:40] for k, v in row.items()}, "browser": answer["messages"], "server": server})
    return found


def open_report_form(page, live_server):
    page.goto(f"{live_server.url}/bao-tin/")
    page.wait_for_selector("form[data-tip-form] input[name=submission_id][value]:not([value=''])", state="attached")


def test_report_form_browser_and_server_agree_on_every_input(page, live_server):
    open_report_form(page, live_server)
    assert tip_disagreements(page, TIP_ROWS) == []
    # The table exercises every rule: each field is wrong somewhere and right somewhere.
    _, errors = zip(*(validate({**VALID_TIP, **row}, CATEGORIES, PLACES) for row in TIP_ROWS))
    wrong = {name for e in errors for name in e}
    assert wrong >= set(TIP_FIELDS) and {} in errors


ATTACHMENT_ROWS = [
    [("anh.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + b"0" * 100)],
    [("giay-to.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")],
    [("a.pdf", "application/pdf", b"%PDF-1.4\n")] * 4,
    [("lon.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024))],
    [("trong.pdf", "application/pdf", b"")],
    [("ghi-chu.txt", "text/plain", b"chi la chu")],
    [("mot-ten-tep-rat-dai-khong-ai-doc-het-duoc-dau-nhe.txt", "text/plain", b"chu")],
    [("anh.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 50), ("bang.xlsx", "application/zip", b"PK\x03\x04xx")],
]


def test_attachment_checks_agree_with_the_endpoint(page, live_server):
    from functions.api.http import Upload
    from functions.api.tips import ATTACHMENT_FIELD, _check_uploads

    config = Config()
    open_report_form(page, live_server)
    for files in ATTACHMENT_ROWS:
        page.set_input_files("#attachments", files=[{"name": n, "mimeType": t, "buffer": b} for n, t, b in files])
        page.dispatch_event("#attachments", "change")
        holder = page.locator('[data-error-for="attachments"]')
        browser = holder.evaluate("h => h.hidden ? null : h.lastChild.textContent")
        uploads = [Upload(ATTACHMENT_FIELD, n, t, io.BytesIO(b)) for n, t, b in files]
        problem = _check_uploads(uploads, config.tip_max_attachments, config.tip_max_attachment_bytes)
        assert browser == (problem[1] if problem else None), [f[0] for f in files]


# -- the self-assessment ------------------------------------------------------------------------

RUBRIC = rubric_in_force(load_rubrics(rubrics_dir(CONTENT)), __import__("datetime").date.today())
KNOWN = next(c for c in RUBRIC.criteria if c.max_points)            # a criterion with a known maximum
UNKNOWN = next(c for c in RUBRIC.criteria if c.max_points is None)  # and one without
SCORE_VALUES = [
    "", "   ", "0", "00", "1", "50", "51", str(KNOWN.max_points), str(KNOWN.max_points + 1), "100", "125",
    "-1", "- 3", "−3", "3,0", "3.0", "3.", "3,", "3.5", "3,25", "0,0", "abc", "mười", "1e3", "+5", "5 điểm",
    " 7 ", "\t8", "007", "９", "٣", "１２", "𝟓", "999999", "9999999", "0000012", "0000001234567",
    "1 000", "1.000", "\u200b12", "12\u200b", "½", "²",
]

BROWSER_SCORE_CHECK = """([fields, values]) => {
  const form = document.getElementById("tu-danh-gia");
  return values.map((value) => {
    const out = {};
    for (const name of fields) {
      const input = form.elements[name];
      input.value = value;
      input.dispatchEvent(new Event("change", {bubbles: true}));
      const error = document.getElementById(name + "-error");
      out[name] = {sent: input.value, message: error ? error.textContent : null};
    }
    return out;
  });
}"""


def test_scores_browser_and_server_agree_message_for_message(page, live_server):
    page.goto(f"{live_server.url}/tu-danh-gia/")
    page.wait_for_selector("#tong-ket:not([hidden])")
    fields = [KNOWN.field, UNKNOWN.field]
    answers = page.evaluate(BROWSER_SCORE_CHECK, [fields, SCORE_VALUES])
    found = []
    for value, answer in zip(SCORE_VALUES, answers):
        for c in (KNOWN, UNKNOWN):
            sent = answer[c.field]["sent"]
            # What the endpoint does: text.normalise on one line, then the rubric's validation.
            _, errors = validate_scores(RUBRIC, {x.id: text.normalise(sent, multiline=False) if x is c else "1"
                                                 for x in RUBRIC.criteria})
            if answer[c.field]["message"] != errors.get(c.field):
                found.append((value, c.id, answer[c.field]["message"], errors.get(c.field)))
    assert found == []
    messages = {a[c.field]["message"] for a in answers for c in (KNOWN, UNKNOWN)}
    assert None in messages and len(messages) >= 6  # accepted values and every kind of message


def _scores(total: int, zero: str | None = None) -> dict[str, int]:
    """Scores adding up to ``total``: a point each while they last, then known maxima first and the
    rest spread; ``zero`` keeps 0."""
    out = {c.id: 0 for c in RUBRIC.criteria}
    left = total
    for c in RUBRIC.criteria:
        if c.id != zero and left:
            out[c.id], left = 1, left - 1
    for c in RUBRIC.criteria:
        if c.id != zero:
            more = min((c.max_points or 200) - out[c.id], left)
            out[c.id], left = out[c.id] + more, left - more
    assert left == 0
    return out


def total_rows() -> list[tuple[str, dict[str, int]]]:
    communes = [c.id for c in PLACES.communes]
    rows = []
    for i, commune in enumerate(communes[:3]):
        threshold = RUBRIC.threshold_for(PLACES.get(commune).threshold_band).points
        for total in (0, 1, threshold - 1, threshold, threshold + 1, threshold + 37):
            rows.append((commune, _scores(total)))
        rows.append((commune, _scores(threshold + 5, zero=RUBRIC.criteria[i + 2].id)))
        rows.append((commune, _scores(threshold - 1, zero=RUBRIC.criteria[i].id)))
    return rows


BROWSER_TOTAL_CHECK = """(rows) => {
  const form = document.getElementById("tu-danh-gia");
  form.elements.year.value = "2026";
  form.elements.access_code.value = "ABCD-EFGH-JKLM-NPQR";
  return rows.map(([commune, scores]) => {
    form.elements.commune.value = commune;
    for (const [field, value] of Object.entries(scores)) form.elements[field].value = String(value);
    form.dispatchEvent(new Event("input", {bubbles: true}));
    return {
      total: document.querySelector("[data-total]").textContent,
      threshold: document.querySelector("[data-threshold-text]").textContent,
      lines: [...document.querySelectorAll("[data-missing] li")].map((li) => li.textContent),
    };
  });
}"""


def test_totals_threshold_and_verdict_agree_near_the_threshold(page, live_server):
    page.goto(f"{live_server.url}/tu-danh-gia/")
    page.wait_for_selector("#tong-ket:not([hidden])")
    rows = total_rows()
    answers = page.evaluate(BROWSER_TOTAL_CHECK, [[c, {f"score_{k}": v for k, v in s.items()}] for c, s in rows])
    verdicts = set()
    for (commune, scores), answer in zip(rows, answers):
        result = score(RUBRIC, scores, PLACES.get(commune).threshold_band)
        verdicts.add((result.passed, result.points_short > 0, bool(result.zero_criteria)))
        lines = answer["lines"]
        short = [int(m.group(1)) for line in lines for m in [re.match(r"Còn thiếu (\d+) điểm so với ngưỡng", line)] if m]
        zeros = [int(m.group(1)) for line in lines for m in [re.match(r"Tiêu chí (\d+) đang 0 điểm", line)] if m]
        passed = "Đã đủ điểm các tiêu chí và đạt ngưỡng (theo điểm tự chấm)." in lines
        assert (int(answer["total"]), answer["threshold"], short, zeros, passed) == (
            result.total, f" / ngưỡng {result.threshold} điểm.", [result.points_short] if result.points_short else [],
            list(result.zero_criteria), result.passed), (commune, scores, answer)
    assert verdicts >= {(True, False, False), (False, True, False), (False, False, True)}


# -- tone folding -------------------------------------------------------------------------------

TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]  # none, huyền, sắc, hỏi, ngã, nặng
VOWELS = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]
BLOCKS = [(0x20, 0x2FF), (0x300, 0x36F), (0x370, 0x52F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1EFF), (0x2000, 0x206F),
          (0x20A0, 0x20FF), (0x2100, 0x218F), (0x3000, 0x303F), (0xFE20, 0xFE2F), (0xFF00, 0xFFEF)]


def fold_table() -> list[str]:
    letters = []
    for vowel in VOWELS:
        for tone in TONES:
            for case in (str.lower, str.upper):
                letters.append(unicodedata.normalize("NFC", case(vowel) + tone))
    letters += ["đ", "Đ", "d", "D"]
    table = letters + [unicodedata.normalize("NFD", s) for s in letters]
    table += [chr(cp) for lo, hi in BLOCKS for cp in range(lo, hi + 1)
              if unicodedata.category(chr(cp)) not in ("Cs", "Cn")]
    table += ["a" + chr(cp) for cp in range(0x300, 0x370)] + ["ê" + chr(cp) for cp in range(0x300, 0x370)]
    words = ["Ẳng Tở", "Xâm hại trẻ em", "ĐÁNH GIÁ", "Tổng đài 111", "Nghị định 56/2017/NĐ-CP", "“Việc khác”",
             "thị trấn Mường Ảng", "Bảo vệ trẻ em — trang thông tin; tiếp nhận tin báo!", "Ông Ưng Ượng",
             "ǅemal İstanbul ΣΊΣΥΦΟΣ", "ﬁ ß ẞ", "한국어", "Ａ１", "ﾊﾟ", "e\u0301\u0323\u0302", "\u0323\u0301"]
    table += words + [unicodedata.normalize("NFD", w) for w in words] + [w.upper() for w in words]
    return table


# The worker's own file, loaded into a worker that answers with its `fold`: the file stops after
# defining `fold` (no material worker named), which is caught.
FOLD_WORKER = """async ([url, inputs]) => {
  const source = `try { importScripts(${JSON.stringify(url)}); } catch (e) {}
    self.onmessage = (e) => self.postMessage(typeof fold === "function" ? e.data.map(fold) : null);`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], {type: "text/javascript"})));
  const answer = await new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(inputs); });
  worker.terminate();
  return answer;
}"""


@pytest.fixture
def blob_page(chromium):
    """A page allowed to start a worker from a blob (the site's CSP rightly forbids it)."""
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_search_worker_folds_exactly_like_text_fold(blob_page, live_server, built_site):
    assert (built_site / "assets" / "javascripts" / "workers" / "search-fold.js").is_file()
    url = f"{live_server.url}/assets/javascripts/workers/search-fold.js"
    blob_page.goto(f"{live_server.url}/")
    table = fold_table()
    assert len(table) > 2500
    folded = blob_page.evaluate(FOLD_WORKER, [url, table])
    assert folded is not None, "the worker file defines no fold()"
    different = [(s, f, text.fold(s)) for s, f in zip(table, folded) if f != text.fold(s)]
    assert different == []


# -- the comparison can fail -------------------------------------------------------------------

def test_a_page_whose_rules_differ_from_the_server_is_caught(page, live_server):
    """The rules block of the page is changed on its way (one limit, one pattern, one message):
    the same table then shows disagreements on exactly those fields."""
    def tamper(route):
        html = route.fetch().text()
        block = re.search(r'(<script type="application/json" id="tip-form-rules">)(.*?)(</script>)', html, re.S)
        rules = json.loads(block.group(2))
        rules["limits"]["description_min"] = 11
        rules["patterns"]["mobile"]["source"] = "^09\\d{8}$"
        rules["messages"]["name_long"] = "Tên dài quá."
        body = html[:block.start(2)] + json.dumps(rules).replace("<", "\\u003c") + html[block.end(2):]
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    page.route(f"{live_server.url}/bao-tin/", tamper)
    open_report_form(page, live_server)
    found = tip_disagreements(page, TIP_ROWS)
    fields = {name for f in found for name in set(f["browser"]) ^ set(f["server"]) |
              {n for n in f["browser"] if f["browser"][n] != f["server"].get(n)}}
    assert fields == {"description", "reporter_phone", "reporter_name"}, found
