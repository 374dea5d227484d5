"""The six steps of Nghị định 56/2017/NĐ-CP (Điều 25–30) as a state machine over a case's signed events.

A case is at one of steps 1–6 until it ends: closed after step 6's review (``CLOSED``), or through a side
exit that needs a reason (``EXITS``: not verified / no child at risk, referred to another body, duplicate of
another case — the last also names that case's number). The moves the decree allows (§4 of the domain
facts): forward one step at a time 1 → 2 → … → 6; from 6, close or repeat from step 3. Going back to an
earlier step needs a reason. A step is completed only when its forms are saved with every required field
(``STEP_FORMS``; step 2 also needs Mẫu 07 when Mẫu 02 records a temporary separation; step 5 has no form).
Reopening an ended case (with a reason, back to the step it ended at) is the office's correction of a
mistaken ending, not a step of the decree.

Everything lives in the case's signed events (``functions.core.cases``), written by the console with
``cases.write_event(storage, case, author, identity, kind, payload, seen)``. Payload shapes:

- kind ``"form"``: ``{"form": "mau-02", "version": 1, "answers": {"<field id>": value, …}}`` — a form saved
  (possibly incomplete); the newest save of a form counts;
- kind ``"step"``: ``{"action": A, "from": F, "to": T, "step": S, "reason": "…", "duplicate_of": "…"}``:

  ==========  ==========================  ================================  ======  =============================
  action      from                        to                                step    also
  ==========  ==========================  ================================  ======  =============================
  advance     the current step n (1–5)    n + 1                             n + 1   the step's forms complete
  back        the current step n          an earlier step k (1 ≤ k < n)     k       reason
  repeat      6                           3                                 3       reason; Mẫu 06 complete
  close       6                           ``"dong-ho-so"``                  6       Mẫu 06 complete
  exit        the current step n          an id of ``EXITS``                n       reason (+ duplicate_of)
  reopen      the ending (``to`` above)   the step it ended at              that    reason
  ==========  ==========================  ================================  ======  =============================

  ``from`` must be the state the writer saw (a stale or concurrent move is refused, not applied); ``step``
  is the step after the move, so ``cases.replay``'s ``CaseState.step`` follows the same events. ``reason``
  and ``duplicate_of`` are left out when not used. ``make_action`` builds these payloads;
  ``possible_actions`` lists the moves allowed now (what each still needs: a reason, a case number).

A repeat starts a new cycle: the forms of steps 3–6 must be saved again. A form can be saved for the
current step or an earlier one, never a later one; re-saving an earlier step's form must leave that step
complete; Mẫu 05 (the approval) only after Mẫu 04 (the plan) is complete. ``replay_steps`` folds a case's
verified events in time order through these rules: events the rules refuse are listed, never applied.
Events of kinds ``close``/``reopen`` (``cases.KINDS``) are not read here; ``cases.replay`` reads the
``step`` number of every verified step event, refused ones included, so the step shown comes from here.

Pure: no storage, no framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from .forms import Form, is_complete, validate_answers

STEPS = {
    1: "Tiếp nhận thông tin",
    2: "Đánh giá ban đầu mức độ tổn hại",
    3: "Xác định nhu cầu hỗ trợ, can thiệp",
    4: "Xây dựng, phê duyệt kế hoạch hỗ trợ, can thiệp",
    5: "Thực hiện kế hoạch hỗ trợ, can thiệp",
    6: "Rà soát, đánh giá sau can thiệp; đóng hồ sơ",
}
FIRST_STEP, LAST_STEP, REPEAT_STEP = 1, 6, 3
STEP_FORMS = {1: ("mau-01",), 2: ("mau-02",), 3: ("mau-03",), 4: ("mau-04", "mau-05"), 5: (), 6: ("mau-06",)}
ASSESSMENT_FORM, SEPARATION_FORM, SEPARATION_FIELD = "mau-02", "mau-07", "tach_tam_thoi"
PLAN_FORM, APPROVAL_FORM, REVIEW_FORM = "mau-04", "mau-05", "mau-06"
CLOSED = "dong-ho-so"
EXITS = {
    "khong-xac-minh": "Không xác minh được hoặc không có trẻ em cần bảo vệ",
    "chuyen-co-quan-khac": "Chuyển cho cơ quan khác",
    "trung-lap": "Trùng với hồ sơ khác",
}
DUPLICATE = "trung-lap"
ADVANCE, BACK, REPEAT, CLOSE, EXIT, REOPEN = "advance", "back", "repeat", "close", "exit", "reopen"
ACTIONS = {
    ADVANCE: "Hoàn thành bước, chuyển bước tiếp theo",
    BACK: "Quay lại bước trước",
    REPEAT: "Lặp lại từ bước 3",
    CLOSE: "Đóng hồ sơ",
    EXIT: "Kết thúc hồ sơ",
    REOPEN: "Mở lại hồ sơ",
}
REASON_MAX = 2000
CASE_NUMBER = re.compile(r"[0-9]{4}-[0-9]{4,6}")  # as cases.case_numbers writes them: 2026-0007


class StepError(ValueError):
    """A move or a form save the rules refuse; the message is Vietnamese, for the officer."""


@dataclass(frozen=True)
class Transition:
    """One accepted move, as the history shows it."""

    action: str
    source: int | str  # the step it was made from, or the ending it reopened
    target: int | str  # the step it led to, CLOSED or an exit id
    reason: str = ""
    duplicate_of: str = ""
    time: str = ""
    author: str = ""


@dataclass(frozen=True)
class StepState:
    step: int = FIRST_STEP  # the current step; once ended, the step it ended at
    ended: str = ""  # "" while open; CLOSED or an exit id
    reason: str = ""  # why it ended (a side exit)
    duplicate_of: str = ""  # the other case's number (DUPLICATE)
    cycle: int = 1  # +1 at each repeat from step 3
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # newest answers, this cycle
    # When each form of this cycle was first saved complete (kept while it stays complete): what the legal
    # clocks count to (a plan drafted, a plan approved, a separation recorded).
    completed_at: Mapping[str, str] = field(default_factory=dict)
    history: tuple[Transition, ...] = ()

    @property
    def open(self) -> bool:
        return not self.ended

    def label(self) -> str:
        """Where the case stands, in Vietnamese."""
        if self.ended == CLOSED:
            return "Đã đóng hồ sơ"
        if self.ended == DUPLICATE:
            return f"Kết thúc: {EXITS[DUPLICATE]} {self.duplicate_of}"
        if self.ended:
            return f"Kết thúc: {EXITS[self.ended]}"
        return f"Bước {self.step}: {STEPS[self.step]}"


def _form_name(form_id: str) -> str:
    return "Mẫu " + form_id.removeprefix("mau-")


def separation_recorded(forms: Mapping[str, Mapping[str, Any]], catalogue: Mapping[str, Form]) -> bool:
    """True when the saved Mẫu 02 records a temporary separation (then Mẫu 07 is due in step 2)."""
    answers = forms.get(ASSESSMENT_FORM)
    if answers is None or ASSESSMENT_FORM not in catalogue:
        return False
    return validate_answers(catalogue[ASSESSMENT_FORM], answers)[0].get(SEPARATION_FIELD) is True


def forms_of_step(step: int, forms: Mapping[str, Mapping[str, Any]], catalogue: Mapping[str, Form]) -> tuple[str, ...]:
    """The forms step ``step`` needs, given what is saved (Mẫu 07 joins step 2 with a separation)."""
    needed = STEP_FORMS[step]
    if step == 2 and separation_recorded(forms, catalogue):
        needed = (*needed, SEPARATION_FORM)
    return needed


def missing_forms(step: int, forms: Mapping[str, Mapping[str, Any]], catalogue: Mapping[str, Form]) -> list[str]:
    """Vietnamese lines naming each form of ``step`` not saved with every required field; [] when complete."""
    missing = []
    for form_id in forms_of_step(step, forms, catalogue):
        form = catalogue.get(form_id)
        if form is None:
            missing.append(f"{_form_name(form_id)}: không có trong danh mục biểu mẫu.")
        elif form_id not in forms:
            missing.append(f"{_form_name(form_id)} ({form.title}) chưa được lưu.")
        elif not is_complete(form, forms[form_id]):
            errors = validate_answers(form, forms[form_id])[1]
            labels = [spec.label for spec in form.fields if spec.id in errors]
            missing.append(f"{_form_name(form_id)} ({form.title}) chưa điền đủ: " + "; ".join(labels) + ".")
    return missing


def catalogue_problems(catalogue: Mapping[str, Form]) -> list[str]:
    """What the rules need of the forms data and it lacks: each step's forms, at that step, and Mẫu 02's
    yes/no separation field. [] when the data fits the rules (checked by the tests on the real files)."""
    problems = []
    for step, form_ids in STEP_FORMS.items():
        for form_id in (*form_ids, *((SEPARATION_FORM,) if step == 2 else ())):
            if form_id not in catalogue:
                problems.append(f"{form_id}: thiếu (bước {step} cần).")
            elif catalogue[form_id].step != step:
                problems.append(f"{form_id}: ghi bước {catalogue[form_id].step}, quy trình cần bước {step}.")
    separation = catalogue[ASSESSMENT_FORM].field(SEPARATION_FIELD) if ASSESSMENT_FORM in catalogue else None
    if separation is None or separation.type != "bool":
        problems.append(f"{ASSESSMENT_FORM}: cần trường {SEPARATION_FIELD} kiểu bool (tách trẻ tạm thời).")
    return problems


# -- moves ----------------------------------------------------------------------------------------------

def make_action(state: StepState, action: str, to: int | str | None = None, reason: str = "",
                duplicate_of: str = "") -> dict[str, Any]:
    """The payload of a ``step`` event for ``action`` from ``state`` (``to`` only where there is a choice:
    the earlier step of ``back``, the exit id of ``exit``). Not checked: ``apply`` does that."""
    targets = {ADVANCE: state.step + 1, REPEAT: REPEAT_STEP, CLOSE: CLOSED, REOPEN: state.step}
    target = targets.get(action, to) if to is None else to
    payload: dict[str, Any] = {"action": action, "from": state.ended if action == REOPEN else state.step,
                               "to": target, "step": target if isinstance(target, int) else state.step}
    if reason:
        payload["reason"] = reason
    if duplicate_of:
        payload["duplicate_of"] = duplicate_of
    return payload


def allowed(state: StepState, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> bool:
    try:
        apply(state, action, catalogue)
    except StepError:
        return False
    return True


_PLACEHOLDERS = {"reason": "?", "duplicate_of": "0000-0000"}


def possible_actions(state: StepState, catalogue: Mapping[str, Form]) -> list[dict[str, Any]]:
    """The moves the rules allow now, as payloads, each with ``needs``: what the officer must add before it
    is written (``"reason"``, and ``"duplicate_of"`` for a duplicate). Remove ``needs`` from the payload."""
    reason = _PLACEHOLDERS["reason"]
    candidates = [make_action(state, REOPEN, reason=reason)] if state.ended else [
        make_action(state, ADVANCE), make_action(state, CLOSE), make_action(state, REPEAT, reason=reason),
        *(make_action(state, BACK, step, reason=reason) for step in range(FIRST_STEP, state.step)),
        *(make_action(state, EXIT, exit_id, reason=reason,
                      duplicate_of=_PLACEHOLDERS["duplicate_of"] if exit_id == DUPLICATE else "") for exit_id in EXITS),
    ]
    possible = []
    for candidate in candidates:
        if allowed(state, candidate, catalogue):
            needs = tuple(name for name in _PLACEHOLDERS if name in candidate)
            possible.append({**{k: v for k, v in candidate.items() if k not in needs}, "needs": needs})
    return possible


def _reason(action: Mapping[str, Any]) -> str:
    reason = action.get("reason", "")
    if not isinstance(reason, str) or not reason.strip():
        raise StepError("Hãy ghi lý do.")
    if len(reason.strip()) > REASON_MAX:
        raise StepError(f"Lý do quá dài: tối đa {REASON_MAX:,} ký tự.".replace(",", "."))
    return reason.strip()


def _require_complete(step: int, state: StepState, catalogue: Mapping[str, Form]) -> None:
    missing = missing_forms(step, state.forms, catalogue)
    if missing:
        raise StepError(f"Chưa hoàn thành bước {step}: " + " ".join(missing))


def apply(state: StepState, action: Mapping[str, Any], catalogue: Mapping[str, Form],
          time: str = "", author: str = "") -> StepState:
    """The state after ``action`` (a ``step`` event's payload), or ``StepError`` saying why not."""
    if not isinstance(action, Mapping):
        raise StepError("Thao tác chuyển bước không hợp lệ.")
    kind, source, target = action.get("action"), action.get("from"), action.get("to")
    if kind not in ACTIONS:
        raise StepError(f"Thao tác không hợp lệ: {kind!r}.")
    expected_source = state.ended if kind == REOPEN else state.step
    if state.ended and kind != REOPEN:
        raise StepError(f"Hồ sơ đã kết thúc ({state.label()}): chỉ có thể mở lại, kèm lý do.")
    if not state.ended and kind == REOPEN:
        raise StepError("Hồ sơ đang mở: không cần mở lại.")
    if source != expected_source or isinstance(source, bool):
        raise StepError(f"Hồ sơ hiện ở “{state.label()}”, không phải ở “{source}”: có thể vừa có người chuyển "
                        "bước. Hãy tải lại hồ sơ.")
    new = _MOVES[kind](state, target, action, catalogue)
    if "step" in action and (action["step"] != new.step or isinstance(action["step"], bool)):
        raise StepError(f"Bước ghi kèm ({action['step']!r}) không khớp với bước sau khi chuyển ({new.step}).")
    return replace(new, history=(*state.history, _transition(kind, source, target, action, new, time, author)))


def _transition(kind: str, source: Any, target: Any, action: Mapping[str, Any], new: StepState, time: str,
                author: str) -> Transition:
    if kind == EXIT:
        return Transition(kind, source, target, new.reason, new.duplicate_of, time, author)
    return Transition(kind, source, target, _reason(action) if kind in (BACK, REPEAT, REOPEN) else "", "", time, author)


def _advance(state: StepState, target: Any, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> StepState:
    if state.step == LAST_STEP:
        raise StepError("Bước 6 kết thúc bằng đóng hồ sơ hoặc lặp lại từ bước 3.")
    if target != state.step + 1 or isinstance(target, bool):
        raise StepError(f"Chỉ chuyển được lần lượt từng bước: từ bước {state.step} sang bước {state.step + 1}.")
    _require_complete(state.step, state, catalogue)
    return replace(state, step=target)


def _back(state: StepState, target: Any, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> StepState:
    if not isinstance(target, int) or isinstance(target, bool) or not FIRST_STEP <= target < state.step:
        raise StepError(f"Chỉ quay lại được một bước trước bước {state.step}.")
    _reason(action)
    return replace(state, step=target)


def _repeat(state: StepState, target: Any, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> StepState:
    if state.step != LAST_STEP or target != REPEAT_STEP or isinstance(target, bool):
        raise StepError("Chỉ lặp lại từ bước 3 sau khi rà soát ở bước 6.")
    _reason(action)
    _require_complete(LAST_STEP, state, catalogue)
    kept = {form_id for form_id in state.forms if form_id not in catalogue or catalogue[form_id].step < REPEAT_STEP}
    return replace(state, step=REPEAT_STEP, cycle=state.cycle + 1,
                   forms={k: v for k, v in state.forms.items() if k in kept},
                   completed_at={k: v for k, v in state.completed_at.items() if k in kept})


def _close(state: StepState, target: Any, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> StepState:
    if state.step != LAST_STEP or target != CLOSED:
        raise StepError("Chỉ đóng hồ sơ ở bước 6, sau khi rà soát, đánh giá (Mẫu 06).")
    _require_complete(LAST_STEP, state, catalogue)
    return replace(state, ended=CLOSED, reason="", duplicate_of="")


def _exit(state: StepState, target: Any, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> StepState:
    if target not in EXITS:
        raise StepError("Hãy chọn cách kết thúc: " + "; ".join(EXITS.values()) + ".")
    reason = _reason(action)
    duplicate_of = action.get("duplicate_of", "")
    if target == DUPLICATE:
        if not isinstance(duplicate_of, str) or not CASE_NUMBER.fullmatch(duplicate_of.strip()):
            raise StepError("Hãy ghi số hồ sơ bị trùng, ví dụ 2026-0007.")
        duplicate_of = duplicate_of.strip()
    elif duplicate_of:
        raise StepError("Chỉ ghi số hồ sơ bị trùng khi kết thúc vì trùng với hồ sơ khác.")
    return replace(state, ended=target, reason=reason, duplicate_of=duplicate_of)


def _reopen(state: StepState, target: Any, action: Mapping[str, Any], catalogue: Mapping[str, Form]) -> StepState:
    if target != state.step or isinstance(target, bool):
        raise StepError(f"Hồ sơ mở lại ở bước đã dừng: bước {state.step}.")
    _reason(action)
    return replace(state, ended="", reason="", duplicate_of="")


_MOVES = {ADVANCE: _advance, BACK: _back, REPEAT: _repeat, CLOSE: _close, EXIT: _exit, REOPEN: _reopen}


# -- forms -----------------------------------------------------------------------------------------------

def save_form(state: StepState, form_id: str, answers: Mapping[str, Any], catalogue: Mapping[str, Form],
              time: str = "") -> StepState:
    """The state with ``answers`` saved as form ``form_id`` (a ``form`` event at ``time``), or ``StepError``."""
    if state.ended:
        raise StepError(f"Hồ sơ đã kết thúc ({state.label()}): không ghi biểu mẫu được nữa.")
    form = catalogue.get(form_id)
    if form is None:
        raise StepError(f"Không có biểu mẫu {form_id!r}.")
    if not isinstance(answers, Mapping):
        raise StepError(f"{_form_name(form_id)}: nội dung không hợp lệ.")
    if form.step > state.step:
        raise StepError(f"Hồ sơ đang ở bước {state.step}: chưa ghi được {_form_name(form_id)} của bước {form.step}.")
    forms = {**state.forms, form_id: dict(answers)}
    plan = catalogue.get(PLAN_FORM)
    if form_id == APPROVAL_FORM and (plan is None or not is_complete(plan, forms.get(PLAN_FORM))):
        raise StepError("Cần lưu đủ Mẫu 04 (kế hoạch) trước khi ghi Mẫu 05 (phê duyệt kế hoạch).")
    if form.step < state.step and missing_forms(form.step, forms, catalogue):
        raise StepError(f"Bước {form.step} đã hoàn thành: {_form_name(form_id)} sửa lại phải điền đủ. "
                        + " ".join(missing_forms(form.step, forms, catalogue)))
    completed_at = {k: v for k, v in state.completed_at.items() if k != form_id}
    if is_complete(form, answers):
        completed_at[form_id] = state.completed_at.get(form_id, time)
    return replace(state, forms=forms, completed_at=completed_at)


# -- the case's events ------------------------------------------------------------------------------------

@dataclass
class StepProgress:
    """The step state the verified events lead to, and the events the rules refused (with why)."""

    state: StepState
    refused: list[tuple[Any, str]] = field(default_factory=list)


def replay_steps(events: Iterable[Any], catalogue: Mapping[str, Form]) -> StepProgress:
    """Fold a case's events (``cases.read_events``, in time order) through the rules: ``step`` and ``form``
    events that verify are applied when allowed, listed in ``refused`` when not; others are skipped."""
    progress = StepProgress(StepState())
    for event in events:
        if not event.verified or event.kind not in ("step", "form"):
            continue
        try:
            if event.kind == "step":
                progress.state = apply(progress.state, event.payload, catalogue, event.time, event.author)
            else:
                payload = event.payload
                progress.state = save_form(progress.state, str(payload.get("form", "")), payload.get("answers"),
                                           catalogue, event.time)
        except StepError as exc:
            progress.refused.append((event, str(exc)))
    return progress
