"""What the case page works out without HTTP: labels and times for the reading view, the history lines,
the answers of a posted form, the step move a posted button asks for, what the officer saw (``seen``),
the warnings and the preview of a reply to the reporter, and which attachments may be shown inline.

The preview is rendered with the public status page's own template (``tips/_status_result.html``) from
the entries the receipt holder reads and the same conversation code, so the officer sees the whole
conversation (the holder's own messages too) exactly as ``/tra-cuu/`` will show it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any, Mapping

import jinja2
from markupsafe import Markup
from PIL import Image, UnidentifiedImageError

from ..core import case_clocks, case_steps, cases, clocks
from ..core.forms import Form, FormField
from ..core.text import fold, normalise
from ..core.tip_forms import TEMPLATES, vndate
from ..core.tip_validation import normalise_phone
from ..core.workdays import VIETNAM

REPORT_LABELS = (  # the report's fields, in the order an officer reads them
    ("description", "Mô tả của người báo tin"),
    ("category", "Loại việc"),
    ("urgent", "Người báo tin đánh dấu gấp"),
    ("commune", "Xã"),
    ("location_detail", "Nơi cụ thể"),
    ("child_age", "Tuổi của trẻ"),
    ("reporter_name", "Tên người báo tin"),
    ("reporter_phone", "Điện thoại người báo tin"),
)
KIND_LABELS = {"legal": "Thời hạn pháp lý", "internal": "Mục tiêu nội bộ của văn phòng"}
INLINE_IMAGES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
PDF = "application/pdf"
# A run of digits, with the separators people type, long enough to be a phone number.
_PHONE_RUN = re.compile(r"\+?\d[\d\s.\-()/]{7,}\d")

_public = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
_public.filters["vndate"] = vndate


class MoveError(ValueError):
    """A posted step move that cannot even be read (before the decree's rules judge it)."""


# -- times -------------------------------------------------------------------------------------------------

def time_label(text: str) -> str:
    """A stored ISO time as "14:05 thứ Hai 30/11/2026" (Vietnam time); "" when it is not a time."""
    moment = case_clocks.utc(text) if text else None
    return clocks.vietnam_time_label(moment) if moment else ""


def span_text(delta: dt.timedelta) -> str:
    """A duration in days, hours and minutes, as an officer says it: "2 ngày 3 giờ", "45 phút"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} ngày" if days else "", f"{hours} giờ" if hours else "",
             f"{minutes} phút" if minutes and not days else ""]
    return " ".join(p for p in parts if p) or "dưới 1 phút"


def deadline_rows(deadlines: list[clocks.Deadline]) -> list[dict]:
    """Each clock as the page shows it: label, kind, start, due, status word and colour, time left, source."""
    rows = []
    for d in deadlines:
        left = ""
        if d.time_left is not None:
            left = f"còn {span_text(d.time_left)}" if d.time_left >= dt.timedelta(0) else \
                f"quá {span_text(d.time_left)}"
        rows.append({"label": d.label, "kind": KIND_LABELS.get(d.kind, d.kind), "step": d.step,
                     "started": clocks.vietnam_time_label(d.started), "due": clocks.vietnam_time_label(d.due),
                     "status": d.status, "status_label": d.status_label, "left": left,
                     "finished": clocks.vietnam_time_label(d.finished) if d.finished else "",
                     "citation": d.source.citation, "reading": d.start_reading.text if d.start_reading else ""})
    return rows


# -- the report -------------------------------------------------------------------------------------------

def report_rows(fields: Mapping[str, Any], categories: Mapping[str, str], commune: str) -> list[tuple[str, str]]:
    """``(label, value)`` for each field of the report; the commune as ``commands.cases.commune_text`` says."""
    shown = {
        "category": categories.get(str(fields.get("category", "")), str(fields.get("category", ""))),
        "urgent": "Có" if fields.get("urgent") else "Không",
        "commune": commune,
        "child_age": "" if fields.get("child_age") is None else str(fields.get("child_age")),
    }
    rows = []
    for name, label in REPORT_LABELS:
        value = shown.get(name, fields.get(name))
        rows.append((label, str(value) if value not in (None, "") else "—"))
    return rows


# -- what the officer saw ------------------------------------------------------------------------------------

def newest_seen(events: list[cases.Event]) -> str:
    """The hash of the newest verified event: the page carries it, so a write follows what was read."""
    verified = [e for e in events if e.verified]
    return verified[-1].hash if verified else ""


def seen_events(events: list[cases.Event], newest: str) -> list[cases.Event]:
    """The events the officer had read when the page was drawn (up to ``newest``); a write after them
    that races another one is then kept as a visible conflict rather than silently ordered."""
    if not newest:
        return []
    for index, event in enumerate(events):
        if event.hash == newest:
            return events[:index + 1]
    raise cases.CaseError("Trang này đã cũ: hồ sơ không còn sự kiện mà trang đã đọc. Hãy tải lại hồ sơ.")


# -- the history -----------------------------------------------------------------------------------------------

def _step_place(value: Any) -> str:
    if value == case_steps.CLOSED:
        return "đóng hồ sơ"
    if value in case_steps.EXITS:
        return case_steps.EXITS[value]
    return f"bước {value}"


def _step_text(payload: Mapping[str, Any]) -> str:
    action = case_steps.ACTIONS.get(payload.get("action"), str(payload.get("action", "")))
    text = f"{action}: {_step_place(payload.get('from'))} → {_step_place(payload.get('to'))}"
    if payload.get("duplicate_of"):
        text += f" (trùng hồ sơ {payload['duplicate_of']})"
    return text + (f". Lý do: {payload['reason']}" if payload.get("reason") else "")


def _form_text(payload: Mapping[str, Any], catalogue: Mapping[str, Form]) -> str:
    form = catalogue.get(str(payload.get("form", "")))
    return f"Mẫu {form.number}: {form.title}" if form else f"Biểu mẫu {payload.get('form', '?')}"


def event_text(event: cases.Event, catalogue: Mapping[str, Form], officers: Mapping[str, str]) -> str:
    """What one event did, in Vietnamese (notes and messages in full: this is the office's record)."""
    payload, kind = event.payload, event.kind
    who = officers.get(str(payload.get("officer", "")), str(payload.get("officer", "")))
    texts = {
        "note": lambda: str(payload.get("text", "")),
        "reply": lambda: str(payload.get("text", "")),
        "withdraw": lambda: f"Lý do: {payload.get('reason', '')}",
        "status": lambda: cases.PUBLIC_STATES.get(payload.get("state"), str(payload.get("state", ""))),
        "assign": lambda: f"Giao cho {who}",
        "grant": lambda: f"Chia sẻ cho {who}",
        "step": lambda: _step_text(payload),
        "form": lambda: _form_text(payload, catalogue),
    }
    return texts[kind]() if kind in texts else ""


def author_label(author: str, officers: Mapping[str, str]) -> str:
    if author == cases.ROOT:
        return "khóa gốc"
    return f"{officers[author]} ({author})" if author in officers else author


def history(events: list[cases.Event], refused: list[tuple[Any, str]], catalogue: Mapping[str, Form],
            officers: Mapping[str, str]) -> list[dict]:
    """Every event, newest last: who, when (Vietnam time), what; unverified and refused ones say so."""
    refusals = {event.key: message for event, message in refused}
    return [{"time": time_label(e.time) or "?", "author": author_label(e.author, officers),
             "label": cases.KINDS.get(e.kind, e.kind), "text": event_text(e, catalogue, officers) if e.verified else "",
             "verified": e.verified, "problem": e.problem, "refused": refusals.get(e.key, ""), "key": e.key}
            for e in events]


# -- forms -------------------------------------------------------------------------------------------------

def input_value(spec: FormField, value: Any) -> str:
    """A saved or prefilled answer as the form's input shows it (a time in Vietnam time, for
    ``datetime-local``; yes/no as the radio value)."""
    if value is None:
        return ""
    if spec.type == "bool":
        return {True: "co", False: "khong"}.get(value, str(value))
    if spec.type == "datetime" and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(VIETNAM).replace(tzinfo=None)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return str(value)


def posted_answers(form: Form, posted: Mapping[str, str]) -> dict[str, str]:
    """The form's fields as posted (text normalised, nothing else of the request)."""
    return {spec.id: normalise(str(posted.get(spec.id, "")), multiline=spec.type == "textarea")
            for spec in form.fields}


def form_status(form: Form, answers: Mapping[str, Any] | None) -> str:
    from ..core.forms import is_complete

    if answers is None:
        return "Chưa lưu"
    return "Đã điền đủ" if is_complete(form, answers) else "Đã lưu tạm, chưa đủ"


# -- step moves ------------------------------------------------------------------------------------------------

def _place(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isdigit() else text


def posted_move(state: case_steps.StepState, posted: Mapping[str, str]) -> dict[str, Any]:
    """The ``step`` event payload a posted move button asks for, from the state the officer saw
    (``from``); the decree's rules (``case_steps.apply``) judge it afterwards."""
    action = posted.get("thao_tac", "")
    if action not in case_steps.ACTIONS:
        raise MoveError("Thao tác chuyển bước không hợp lệ.")
    target = _place(posted.get("den", "")) if action in (case_steps.BACK, case_steps.EXIT) else None
    if action in (case_steps.BACK, case_steps.EXIT) and target == "":
        raise MoveError("Hãy chọn bước muốn quay lại." if action == case_steps.BACK else
                        "Hãy chọn cách kết thúc hồ sơ.")
    reason = normalise(posted.get("ly_do", ""))
    duplicate = posted.get("trung_voi", "").strip() if target == case_steps.DUPLICATE else ""
    payload = case_steps.make_action(state, action, target, reason=reason, duplicate_of=duplicate)
    payload["from"] = _place(posted.get("tu", ""))
    return payload


def move_buttons(state: case_steps.StepState, catalogue: Mapping[str, Form]) -> dict[str, Any]:
    """Which move forms the page offers: those ``possible_actions`` allows, and always the way forward
    (advance, or close at step 6) so that trying it shows what the rules still need."""
    possible = case_steps.possible_actions(state, catalogue)
    actions = {p["action"] for p in possible}
    forward = set()
    if state.open:
        forward = {case_steps.CLOSE} if state.step == case_steps.LAST_STEP else {case_steps.ADVANCE}
    return {
        "actions": actions | forward,
        "back_to": [p["to"] for p in possible if p["action"] == case_steps.BACK],
        "exits": [(p["to"], case_steps.EXITS[p["to"]]) for p in possible if p["action"] == case_steps.EXIT],
        "missing": case_steps.missing_forms(state.step, state.forms, catalogue) if state.open else [],
    }


# -- replies to the reporter -----------------------------------------------------------------------------------

def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def reply_warnings(text: str, fields: Mapping[str, Any]) -> list[str]:
    """Warnings before a message goes to whoever holds the receipt (who may not be the reporter): a phone
    number in the text, or the reporter's name or phone from the report."""
    warnings = []
    runs = [run for run in _PHONE_RUN.findall(text) if len(_digits(run)) >= 9]
    if runs:
        warnings.append("Tin nhắn có một số điện thoại. Người cầm mã tin báo có thể không phải người báo tin: "
                        "đừng gửi số điện thoại của ai nếu không chắc.")
    phone = normalise_phone(str(fields.get("reporter_phone") or ""))
    if phone and any(normalise_phone(run) == phone for run in runs):
        warnings.append("Tin nhắn có số điện thoại người báo tin đã ghi trong tin báo.")
    name = fold(str(fields.get("reporter_name") or "")).strip()
    if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", fold(text)):
        warnings.append("Tin nhắn có tên người báo tin đã ghi trong tin báo. Người cầm mã tin báo có thể "
                        "không phải người báo tin.")
    return warnings


def preview_digest(text: str, status: str) -> str:
    """Ties a send to the preview the officer saw: a changed text or status needs a new preview."""
    return hashlib.sha256(f"{status}\n{text}".encode("utf-8")).hexdigest()


@dataclass
class ReplyDraft:
    text: str
    status: str


def preview_result(case: cases.Case, state: cases.CaseState, draft: ReplyDraft, now: dt.datetime,
                   storage=None) -> dict:
    """What ``tips.lookup`` will answer the receipt holder once ``draft`` is sent: the entries they read now
    (opened with the receipt's key, as the status page opens them), then the draft's status and message as
    the send writes them, and the conversation made by the status page's own code (office messages and the
    holder's own, oldest first). ``storage``: the console session's when not given."""
    from ..core import reporter_messages, tips

    if storage is None:
        from .office import session

        storage = session().storage
    stamp = now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    events = tips._events(storage, case.tip_id, case.reporter_key)
    if draft.status != state.public_status:
        events.append({"time": stamp, "state": draft.status, "message": ""})
    if draft.text:
        events.append({"time": stamp, "state": None, "message": draft.text, "message_id": "xem-truoc"})
    status = tips.current_state(events)
    withdrawn = {e["withdraw"] for e in events if e.get("withdraw")}
    return {"found": True, "status": status, "status_label": tips.STATES[status], "received": case.received,
            "updated": next((e["time"] for e in reversed(events) if e.get("time")), case.received),
            "messages": [{"time": e.get("time"), "text": e["message"]} for e in events
                         if e.get("message") and e.get("message_id") not in withdrawn],
            "conversation": reporter_messages.conversation(storage, case.tip_id, case.reporter_key, events),
            "closed": status == "closed"}


def render_public_status(result: dict) -> Markup:
    """The status page's answer, rendered by the public site's own template (autoescaped there); a closed
    case's notice as the page shows it under the conversation (the holder's answer form is not repeated)."""
    from ..core.reporter_messages import CLOSED_MESSAGE

    message_form = {"closed_message": CLOSED_MESSAGE} if result.get("closed") else None
    return Markup(_public.get_template("tips/_status_result.html").render(result=result, message_form=message_form))


# -- the receipt holder's messages (issue 16) -------------------------------------------------------------------

def reporter_message_rows(messages: list, until: str) -> list[dict]:
    """The receipt holder's messages as the case page lists them (oldest first): Vietnam time, text, whether
    it arrived after this officer's last read marker, and its attachments."""
    from ..core.reporter_messages import moment_of

    return [{"index": n, "time_label": time_label(m.time), "text": m.text, "readable": m.readable,
             "new": moment_of(m.time) > moment_of(until), "attachments": m.attachments}
            for n, m in enumerate(messages)]


# -- attachments ----------------------------------------------------------------------------------------------

def inline_type(data: bytes) -> str:
    """The type an attachment is shown inline as, judged from its bytes (never from its name or the
    type the sender claimed): a raster image or a PDF; "" for anything else, which is never inline."""
    if data.startswith(b"%PDF-"):
        return PDF
    try:
        with Image.open(io.BytesIO(data)) as image:
            return INLINE_IMAGES.get(image.format or "", "")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return ""


def download_name(number: str, attachment: Mapping[str, Any], index: int) -> str:
    """A file name for "Lưu về máy": the case number and the stored name's last part, ASCII only."""
    name = str(attachment.get("name", "")).replace("\\", "/").rsplit("/", 1)[-1]
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", fold(name)).strip("._") or f"tep-{index + 1}"
    return f"{number}-{safe}"
