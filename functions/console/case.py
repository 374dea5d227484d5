"""The case page: everything an officer does with one case, under ``/ho-so/<number>``.

Reading (the report, its attachments shown from memory, the clocks with their sources, the signed
history), the six steps (each form of a step, the moves the decree allows), internal notes, replies to
the reporter (previewed as ``/tra-cuu/`` shows them, then sent, or withdrawn), assignment and handover.
Every open, attachment view or save and write is audited with the case number as subject; every write is
a signed event that follows the events the page showed (``da_xem``), so a concurrent write is a visible
conflict. Decisions that need no HTTP live in ``case_actions``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import Blueprint, Response, abort, redirect, render_template, request
from werkzeug.datastructures import Headers

from ..commands.cases import commune_text
from ..core import case_steps, cases, reporter_messages
from ..core.forms import prefill_mau01, validate_answers
from ..core.text import normalise
from ..notifications import mark_opened
from ..storage import NotFound, StorageError
from . import case_actions as act
from .casefile import CaseFile, assemble, read_case, references
from .office import ConsoleError, actor, audit, refused, session, unlocked_only
from .office import handled as office_handled

log = logging.getLogger(__name__)
blueprint = Blueprint("case", __name__)

CASE_NUMBER = re.compile(r"([0-9]{4})-([0-9]{1,6})")
DONE = {
    "ghi-chu": "Đã ghi chú nội bộ.",
    "nhan-tin": "Đã gửi cho người báo tin.",
    "rut-tin": "Đã rút lại tin nhắn: người báo tin không còn thấy.",
    "phan-cong": "Đã phân công.",
    "chia-se": "Đã chia sẻ hồ sơ.",
    "chuyen-buoc": "Đã chuyển bước.",
    "bieu-mau": "Đã lưu biểu mẫu.",
}


def handled(view):
    """Locked → the unlock page; refusals as the console's calm page (``office.handled``)."""
    return unlocked_only(office_handled(view))


def canonical(number: str) -> str:
    found = CASE_NUMBER.fullmatch(number.strip())
    if not found:
        raise cases.CaseError(f"Không có hồ sơ số {number}.")
    return f"{int(found.group(1))}-{int(found.group(2)):04d}"


def load(number: str, action: str) -> CaseFile:
    """Find, audit (before anything is decrypted: an access is never unlogged), then open the case."""
    number = canonical(number)
    office = session()
    tip_id = cases.find_case(office.storage, number)
    audit(action, number)
    return read_case(office, actor(), tip_id, references())


def _mark_opened(tip_id: str) -> None:
    """Tell the notifications that an officer opened the case (no reminder then); a failure only logs."""
    try:
        mark_opened(session().storage, tip_id)
    except StorageError as exc:
        log.warning("opened marker not written: %s", type(exc).__name__)


def _officers() -> dict[str, str]:
    return {o.id: o.name for o in session().keyring.officers}


def _can_open(cf: CaseFile) -> set[str]:
    holders = {h.split("/", 1)[1] for h in cf.case.holders if h.startswith("officer/")}
    return holders | set(cf.state.granted)


# -- the page --------------------------------------------------------------------------------------------------

def _step_forms(cf: CaseFile) -> list[dict]:
    """Every form of the steps reached, with its state and whether it can still be written."""
    refs, state = references(), cf.step_state
    rows = []
    for step in range(case_steps.FIRST_STEP, state.step + 1):
        for form_id in case_steps.forms_of_step(step, state.forms, refs.forms):
            form = refs.forms.get(form_id)
            if form is not None:
                rows.append({"form": form, "step": step, "saved": form_id in state.forms,
                             "status": act.form_status(form, state.forms.get(form_id)), "current": step == state.step})
    return rows


def _reporter_messages(cf: CaseFile) -> list:
    """The receipt holder's messages of this case, opened with the unlocked key."""
    who = actor()
    return reporter_messages.read_messages(session().storage, cf.case, who.identity, who.officer_id)


def render_case(cf: CaseFile, status: int = 200, errors: dict | None = None, values: dict | None = None,
                preview: dict | None = None, until: str | None = None):
    refs = references()
    # New: after this officer's read marker (``until``: the one before this visit, when it just moved).
    until = reporter_messages.last_read(cf.events, actor().author) if until is None else until
    officers = _officers()
    can_open = _can_open(cf)
    page = render_template(
        "console/case.html", cf=cf, number=cf.number, state=cf.state, steps=cf.step_state,
        received=act.time_label(cf.case.received),
        report=act.report_rows(cf.case.fields, refs.categories, commune_text(refs.places, cf.case.fields)),
        attachments=cf.case.attachments, deadlines=act.deadline_rows(cf.deadlines),
        working_days_reading=refs.clocks.working_days_reading.text,
        history=act.history(cf.events, cf.steps.refused, refs.forms, officers),
        notes=[{"time": act.time_label(e.time), "author": act.author_label(e.author, officers),
                "text": e.payload.get("text", "")} for e in cf.state.notes],
        replies=[{**r, "time_label": act.time_label(r["time"]),
                  "withdrawn_label": act.time_label(r["withdrawn"]["time"]) if r["withdrawn"] else ""}
                 for r in cf.state.replies],
        conflicts=[(act.author_label(a.author, officers), act.time_label(a.time),
                    act.author_label(b.author, officers), act.time_label(b.time)) for a, b in cf.state.conflicts],
        forms=_step_forms(cf), moves=act.move_buttons(cf.step_state, refs.forms), steps_names=case_steps.STEPS,
        public_states=cases.PUBLIC_STATES, officers=officers, can_open=can_open,
        assigned=act.author_label(cf.state.assigned, officers) if cf.state.assigned else "",
        grantable=[(oid, name) for oid, name in officers.items() if oid not in can_open],
        from_reporter=act.reporter_message_rows(_reporter_messages(cf), until),
        seen=act.newest_seen(cf.events), errors=errors or {}, values=values or {}, preview=preview,
        done=DONE.get(request.args.get("xong", ""), ""))
    return page, status


@blueprint.get("/ho-so/<number>")
@handled
def show(number: str):
    cf = load(number, "open_case")
    _mark_opened(cf.case.tip_id)
    return _shown_and_read(cf)


def _shown_and_read(cf: CaseFile):
    """The page, and the receipt holder's messages on it marked read by a signed event written before the
    page is made (so the page's "da_xem" names it and the next write follows it, no fork)."""
    who = actor()
    until = reporter_messages.last_read(cf.events, who.author)
    times = reporter_messages.message_times(session().storage, cf.case.tip_id)
    if times and max(times) > until:
        audit("write_event", cf.number)
        marker = reporter_messages.mark_read(session().storage, cf.case, who.author, who.identity, times, cf.events)
        if marker is not None:
            cf = assemble(cf.case, cf.events + [marker], references())
    return render_case(cf, until=until)


@blueprint.get("/ho-so/<number>/tin-nhan/<int:message>/tep/<int:index>")
@handled
def message_attachment(number: str, message: int, index: int):
    """One attachment of a receipt holder's message, decrypted in memory and shown inline when it is an
    image or a PDF (sandboxed like the report's own)."""
    cf = load(number, "view_attachment")
    messages = _reporter_messages(cf)
    if not 0 <= message < len(messages) or not 0 <= index < len(messages[message].attachments):
        abort(404)
    try:
        data = reporter_messages.read_attachment(session().storage, messages[message],
                                                 messages[message].attachments[index])
    except NotFound:
        raise ConsoleError("Không tìm thấy tệp này trong nơi lưu trữ.") from None
    return _inline(data, "Tệp này không xem trực tiếp được.")


# -- attachments ------------------------------------------------------------------------------------------------

def _attachment(cf: CaseFile, index: int) -> tuple[dict, bytes]:
    if not 0 <= index < len(cf.case.attachments):
        abort(404)
    attachment = cf.case.attachments[index]
    try:
        return attachment, cases.read_attachment(session().storage, cf.case, attachment)
    except NotFound:
        raise ConsoleError("Không tìm thấy tệp này trong nơi lưu trữ.") from None


def _inline(data: bytes, refusal: str):
    """A decrypted file shown in the page: an image or PDF judged by its bytes, under ``sandbox``; anything
    else refused with ``refusal``."""
    kind = act.inline_type(data)
    if not kind:
        return refused(refusal, 415)
    response = Response(data, mimetype=kind)
    response.headers = SandboxedHeaders(response.headers)
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response


class SandboxedHeaders(Headers):
    """An attachment's headers: whatever policy the console sets afterwards, ``sandbox`` stays in it (a
    decrypted file runs nothing and reaches nothing of the console)."""

    def __setitem__(self, key, value):
        if str(key).lower() == "content-security-policy" and "sandbox" not in str(value):
            value = f"{value}; sandbox"
        super().__setitem__(key, value)


@blueprint.get("/ho-so/<number>/tep/<int:index>")
@handled
def attachment_inline(number: str, index: int):
    cf = load(number, "view_attachment")
    _, data = _attachment(cf, index)
    return _inline(data, "Tệp này không xem trực tiếp được. Dùng nút “Lưu về máy” nếu cần mở nó.")


@blueprint.post("/ho-so/<number>/tep/<int:index>/luu")
@handled
def attachment_save(number: str, index: int):
    cf = load(number, "save_attachment")
    attachment, data = _attachment(cf, index)
    response = Response(data, mimetype="application/octet-stream")
    response.headers = SandboxedHeaders(response.headers)
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{act.download_name(cf.number, attachment, index)}"'
    return response


# -- writes ------------------------------------------------------------------------------------------------------

def _write(cf: CaseFile, kind: str, payload: dict) -> cases.Event:
    who = actor()
    return cases.write_event(session().storage, cf.case, who.author, who.identity, kind, payload,
                             act.seen_events(cf.events, request.form.get("da_xem", "")))


def _done(cf: CaseFile, code: str, anchor: str):
    return redirect(f"/ho-so/{cf.number}?xong={code}#{anchor}", code=303)


@blueprint.post("/ho-so/<number>/ghi-chu")
@handled
def note(number: str):
    cf = load(number, "write_event")
    text = normalise(request.form.get("ghi_chu", ""))
    if not text:
        return render_case(cf, 400, {"ghi_chu": "Hãy viết nội dung ghi chú."}, {"ghi_chu": text})
    _write(cf, "note", {"text": text})
    return _done(cf, "ghi-chu", "ghi-chu")


@blueprint.post("/ho-so/<number>/chuyen-buoc")
@handled
def move(number: str):
    cf = load(number, "write_event")
    posted = request.form
    values = {"thao_tac": posted.get("thao_tac", ""), "ly_do": posted.get("ly_do", ""),
              "den": posted.get("den", ""), "trung_voi": posted.get("trung_voi", "")}
    try:
        payload = act.posted_move(cf.step_state, posted)
        case_steps.apply(cf.step_state, payload, references().forms)
    except (act.MoveError, case_steps.StepError) as exc:
        return render_case(cf, 400, {"buoc": str(exc), "buoc_thao_tac": values["thao_tac"]}, values)
    _write(cf, "step", payload)
    return _done(cf, "chuyen-buoc", "buoc")


@blueprint.post("/ho-so/<number>/nhan-tin")
@handled
def reply(number: str):
    cf = load(number, "write_event")
    draft = act.ReplyDraft(normalise(request.form.get("tin_nhan", "")), request.form.get("trang_thai", ""))
    values = {"tin_nhan": draft.text, "trang_thai": draft.status}
    errors = {}
    if draft.status not in cases.PUBLIC_STATES:
        errors["trang_thai"] = "Hãy chọn trạng thái người báo tin sẽ thấy."
    elif not draft.text and draft.status == cf.state.public_status:
        errors["tin_nhan"] = "Hãy viết tin nhắn, hoặc chọn một trạng thái khác trạng thái hiện tại."
    if errors:
        return render_case(cf, 400, errors, values)
    digest = act.preview_digest(draft.text, draft.status)
    if request.form.get("gui") != "1" or request.form.get("ban_xem_truoc") != digest:
        preview = {"html": act.render_public_status(act.preview_result(cf.case, cf.state, draft,
                                                                       dt.datetime.now(dt.timezone.utc))),
                   "warnings": act.reply_warnings(draft.text, cf.case.fields), "digest": digest}
        return render_case(cf, 200, {}, values, preview)
    who, storage = actor(), session().storage
    seen = act.seen_events(cf.events, request.form.get("da_xem", ""))
    if draft.status != cf.state.public_status:
        seen = [*seen, cases.set_public_status(storage, cf.case, who.author, who.identity, draft.status, seen)]
    if draft.text:
        cases.reply(storage, cf.case, who.author, who.identity, draft.text, seen)
    return _done(cf, "nhan-tin", "nhan-tin")


@blueprint.post("/ho-so/<number>/rut-tin")
@handled
def withdraw(number: str):
    cf = load(number, "write_event")
    message_id, reason = request.form.get("tin", ""), normalise(request.form.get("ly_do_rut", ""))
    if not reason:
        return render_case(cf, 400, {f"rut-{message_id}": "Hãy ghi lý do rút lại tin nhắn."}, {})
    who = actor()
    cases.withdraw(session().storage, cf.case, who.author, who.identity, message_id, reason,
                   act.seen_events(cf.events, request.form.get("da_xem", "")))
    return _done(cf, "rut-tin", "nhan-tin")


@blueprint.post("/ho-so/<number>/phan-cong")
@handled
def assign(number: str):
    cf = load(number, "write_event")
    officer_id = request.form.get("can_bo", "")
    officers = _officers()
    if officer_id not in officers:
        return render_case(cf, 400, {"can_bo": "Hãy chọn một cán bộ trong danh sách của văn phòng."}, {})
    if officer_id not in _can_open(cf):
        return render_case(cf, 400, {"can_bo": f"{officers[officer_id]} chưa mở được hồ sơ này: hãy chia sẻ hồ sơ "
                                               "cho cán bộ đó trước."}, {"can_bo": officer_id})
    _write(cf, "assign", {"officer": officer_id})
    return _done(cf, "phan-cong", "phan-cong")


@blueprint.post("/ho-so/<number>/chia-se")
@handled
def grant(number: str):
    cf = load(number, "grant")
    officer_id = request.form.get("dong_nghiep", "")
    colleague = session().keyring.officer(officer_id)
    if colleague is None:
        return render_case(cf, 400, {"dong_nghiep": "Hãy chọn một cán bộ trong danh sách của văn phòng."}, {})
    if officer_id in _can_open(cf):
        return render_case(cf, 400, {"dong_nghiep": f"{colleague.name} đã mở được hồ sơ này."}, {})
    who = actor()
    cases.grant(session().storage, cf.case, who.author, who.identity, colleague,
                act.seen_events(cf.events, request.form.get("da_xem", "")))
    return _done(cf, "chia-se", "phan-cong")


# -- forms of the steps -------------------------------------------------------------------------------------------

def _form_of(form_id: str):
    form = references().forms.get(form_id)
    if form is None:
        abort(404)
    return form


def _form_answers(cf: CaseFile, form) -> dict:
    """What the form shows before anything is typed: the saved answers, or Mẫu 01 filled from the report."""
    saved = cf.step_state.forms.get(form.id)
    if saved is not None:
        return dict(saved)
    if form.id != "mau-01":
        return {}
    refs = references()
    commune = str(cf.case.fields.get("commune", ""))
    return prefill_mau01(form, cf.case.fields, received=cf.case.received,
                         commune_names={commune: commune_text(refs.places, {"commune": commune})},
                         category_labels=refs.categories)


def render_form(cf: CaseFile, form, values: dict, errors: dict, status: int = 200, message: str = ""):
    shown = {spec.id: act.input_value(spec, values.get(spec.id)) for spec in form.fields}
    writable = cf.step_state.open and form.step <= cf.step_state.step
    page = render_template("console/case_form.html", cf=cf, number=cf.number, form=form, values=shown,
                           errors=errors, message=message, writable=writable, seen=act.newest_seen(cf.events),
                           steps=cf.step_state, saved=form.id in cf.step_state.forms,
                           done=request.args.get("xong") == "bieu-mau")
    return page, status


@blueprint.get("/ho-so/<number>/mau/<form_id>")
@handled
def form_page(number: str, form_id: str):
    cf = load(number, "open_case")
    form = _form_of(form_id)
    values = _form_answers(cf, form)
    saved = cf.step_state.forms.get(form.id)
    errors = validate_answers(form, saved)[1] if saved is not None else {}
    return render_form(cf, form, values, errors)


@blueprint.post("/ho-so/<number>/mau/<form_id>")
@handled
def form_save(number: str, form_id: str):
    cf = load(number, "write_event")
    form = _form_of(form_id)
    typed = act.posted_answers(form, request.form)
    clean, errors = validate_answers(form, typed)
    wrong = {name: message for name, message in errors.items() if typed.get(name)}
    if wrong:  # a value that is not what the field takes is never saved; blanks may wait
        return render_form(cf, form, typed, errors, 400, "Chưa lưu: có ô ghi chưa đúng (xem bên dưới).")
    answers = {name: value for name, value in clean.items() if value is not None}
    try:
        case_steps.save_form(cf.step_state, form.id, answers, references().forms)
    except case_steps.StepError as exc:
        return render_form(cf, form, typed, errors, 400, f"Chưa lưu: {exc}")
    _write(cf, "form", {"form": form.id, "version": form.version, "answers": answers})
    if errors:
        return redirect(f"/ho-so/{cf.number}/mau/{form.id}?xong=bieu-mau", code=303)
    return _done(cf, "bieu-mau", "buoc")
