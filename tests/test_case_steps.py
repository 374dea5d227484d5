"""The six steps of Nghị định 56/2017 as a state machine (functions.core.case_steps): every transition rule,
the fold over a case's signed events, and a hypothesis state machine showing that no sequence of actions
reaches a state the decree does not allow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from functions.config import REPO_ROOT
from functions.core import case_steps as cs
from functions.core import cases, forms, office_keys, receipts, tips
from functions.core.office_keys import Identity, Officer
from functions.storage.local import LocalStorage

CATALOGUE = forms.load_forms(REPO_ROOT / "content")
REASON = "Cần đánh giá lại nhu cầu của trẻ"
T0 = datetime(2026, 11, 30, 7, 5, tzinfo=timezone.utc)
SAMPLE = {"text": "12/QĐ-UBND", "textarea": "Nội dung cán bộ ghi", "date": "2026-12-01",
          "datetime": "2026-12-01T08:00", "number": 9, "bool": False}


def filled(form_id: str, **overrides) -> dict:
    """Answers giving every required field of the form a valid value."""
    form = CATALOGUE[form_id]
    answers = {spec.id: spec.choices[0] if spec.type == "choice" else SAMPLE[spec.type]
               for spec in form.fields if spec.required}
    return {**answers, **overrides}


def required_filled(form_id: str, saved) -> bool:
    """The test's own reading of "saved with every required field": no blank required answer."""
    answers = saved.get(form_id)
    return answers is not None and all(answers.get(spec.id) not in (None, "")
                                       for spec in CATALOGUE[form_id].fields if spec.required)


def at_step(step: int, separation: bool = False) -> cs.StepState:
    """A case walked properly to ``step`` (forms of the steps before it complete)."""
    state = cs.StepState()
    for current in range(1, step):
        for form_id in cs.STEP_FORMS[current]:
            extra = {"tach_tam_thoi": separation} if form_id == "mau-02" else {}
            state = cs.save_form(state, form_id, filled(form_id, **extra), CATALOGUE)
        if current == 2 and separation:
            state = cs.save_form(state, "mau-07", filled("mau-07"), CATALOGUE)
        state = cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE)
    return state


def refused(state: cs.StepState, action: dict, match: str) -> None:
    with pytest.raises(cs.StepError, match=match):
        cs.apply(state, action, CATALOGUE)
    assert not cs.allowed(state, action, CATALOGUE)


def test_the_forms_data_fits_the_rules():
    assert cs.catalogue_problems(CATALOGUE) == []
    broken = {k: v for k, v in CATALOGUE.items() if k != "mau-05"}
    assert cs.catalogue_problems(broken) == ["mau-05: thiếu (bước 4 cần)."]


# -- forward, one step at a time -------------------------------------------------------------------------

def test_an_officer_goes_from_reception_to_closing_one_step_at_a_time():
    state = at_step(6)
    assert state.step == 6 and state.open and state.label() == "Bước 6: Rà soát, đánh giá sau can thiệp; đóng hồ sơ"
    state = cs.save_form(state, "mau-06", filled("mau-06"), CATALOGUE)
    state = cs.apply(state, cs.make_action(state, cs.CLOSE), CATALOGUE, "2026-12-20T01:00:00", "can-bo-lan")
    assert state.ended == cs.CLOSED and state.label() == "Đã đóng hồ sơ"
    assert [(t.action, t.source, t.target) for t in state.history] == [
        ("advance", 1, 2), ("advance", 2, 3), ("advance", 3, 4), ("advance", 4, 5), ("advance", 5, 6),
        ("close", 6, cs.CLOSED)]
    assert state.history[-1].author == "can-bo-lan" and state.history[-1].time == "2026-12-20T01:00:00"


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_a_step_is_completed_only_when_its_forms_are_saved_with_every_required_field(step):
    state = at_step(step)
    refused(state, cs.make_action(state, cs.ADVANCE), f"Chưa hoàn thành bước {step}: Mẫu 0{min(step, 4)}")
    for form_id in cs.STEP_FORMS[step]:
        partial = filled(form_id)
        dropped = CATALOGUE[form_id].required[-1]
        del partial[dropped]
        state = cs.save_form(state, form_id, partial, CATALOGUE)
        with pytest.raises(cs.StepError) as caught:
            cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE)
        assert CATALOGUE[form_id].field(dropped).label in str(caught.value)
        assert f"Mẫu {form_id[-2:]}" in str(caught.value)
        state = cs.save_form(state, form_id, filled(form_id), CATALOGUE)
    assert cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE).step == step + 1


def test_step_five_has_no_form_and_step_six_does_not_advance():
    state = at_step(5)
    assert cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE).step == 6
    six = at_step(6)
    refused(six, {"action": "advance", "from": 6, "to": 7}, "Bước 6 kết thúc bằng đóng hồ sơ hoặc lặp lại")


def test_a_temporary_separation_makes_mau07_part_of_step_two():
    state = at_step(2)
    state = cs.save_form(state, "mau-02", filled("mau-02", tach_tam_thoi="có"), CATALOGUE)
    assert cs.forms_of_step(2, state.forms, CATALOGUE) == ("mau-02", "mau-07")
    refused(state, cs.make_action(state, cs.ADVANCE), r"Mẫu 07 \(Tách trẻ khỏi môi trường sống tạm thời\) chưa được lưu")
    state = cs.save_form(state, "mau-07", filled("mau-07"), CATALOGUE)
    assert cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE).step == 3
    no_separation = cs.save_form(at_step(2), "mau-02", filled("mau-02", tach_tam_thoi=False), CATALOGUE)
    assert cs.apply(no_separation, cs.make_action(no_separation, cs.ADVANCE), CATALOGUE).step == 3


def test_the_approval_mau05_is_saved_only_after_a_complete_plan_mau04():
    state = at_step(4)
    with pytest.raises(cs.StepError, match="Cần lưu đủ Mẫu 04"):
        cs.save_form(state, "mau-05", filled("mau-05"), CATALOGUE)
    state = cs.save_form(state, "mau-04", {"ngay_xay_dung": "2026-12-02"}, CATALOGUE)  # incomplete plan
    with pytest.raises(cs.StepError, match="Cần lưu đủ Mẫu 04"):
        cs.save_form(state, "mau-05", filled("mau-05"), CATALOGUE)
    state = cs.save_form(state, "mau-04", filled("mau-04"), CATALOGUE)
    state = cs.save_form(state, "mau-05", filled("mau-05"), CATALOGUE)
    assert cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE).step == 5


@pytest.mark.parametrize("target", [3, 1, 2, True, "3", None])
def test_advancing_goes_to_the_next_step_only(target):
    state = cs.save_form(at_step(2), "mau-02", filled("mau-02"), CATALOGUE)
    if target == 3:
        assert cs.apply(state, {"action": "advance", "from": 2, "to": 3}, CATALOGUE).step == 3
    else:
        refused(state, {"action": "advance", "from": 2, "to": target}, "Chỉ chuyển được lần lượt từng bước")
    refused(state, {"action": "advance", "from": 2, "to": 4}, "Chỉ chuyển được lần lượt")


def test_a_stale_or_unknown_move_is_refused():
    state = cs.save_form(at_step(2), "mau-02", filled("mau-02"), CATALOGUE)
    refused(state, {"action": "advance", "from": 1, "to": 3}, "có thể vừa có người chuyển bước")
    refused(state, {"action": "advance", "to": 3}, "có thể vừa có người chuyển bước")
    refused(state, {"action": "advance", "from": True, "to": 3}, "có thể vừa có người chuyển bước")
    refused(state, {"action": "jump", "from": 2, "to": 6}, "Thao tác không hợp lệ")
    refused(state, {"action": "advance", "from": 2, "to": 3, "step": 4}, "không khớp")
    with pytest.raises(cs.StepError, match="không hợp lệ"):
        cs.apply(state, ["advance"], CATALOGUE)


# -- 6 → close, 6 → 3 ------------------------------------------------------------------------------------

def test_a_case_is_closed_only_at_step_six_with_a_complete_review():
    for step in range(1, 6):
        state = at_step(step)
        refused(state, {"action": "close", "from": step, "to": cs.CLOSED}, "Chỉ đóng hồ sơ ở bước 6")
    six = at_step(6)
    refused(six, cs.make_action(six, cs.CLOSE), r"Mẫu 06 \(Rà soát, đánh giá sau can thiệp\) chưa được lưu")
    partial = cs.save_form(six, "mau-06", {**filled("mau-06"), "moi_truong_cham_soc": ""}, CATALOGUE)
    refused(partial, cs.make_action(partial, cs.CLOSE), "Môi trường chăm sóc trẻ")
    done = cs.save_form(six, "mau-06", filled("mau-06"), CATALOGUE)
    assert cs.apply(done, cs.make_action(done, cs.CLOSE), CATALOGUE).ended == cs.CLOSED
    refused(done, {"action": "close", "from": 6, "to": "khong-xac-minh"}, "Chỉ đóng hồ sơ ở bước 6")


def test_repeating_from_step_three_needs_the_review_and_a_reason_and_starts_a_new_cycle():
    six = at_step(6, separation=True)
    refused(six, cs.make_action(six, cs.REPEAT, reason=REASON), "Mẫu 06")
    reviewed = cs.save_form(six, "mau-06", filled("mau-06"), CATALOGUE)
    refused(reviewed, cs.make_action(reviewed, cs.REPEAT), "Hãy ghi lý do")
    refused(reviewed, cs.make_action(reviewed, cs.REPEAT, reason="   "), "Hãy ghi lý do")
    refused(reviewed, {"action": "repeat", "from": 6, "to": 2, "reason": REASON}, "Chỉ lặp lại từ bước 3")
    refused(at_step(5), {"action": "repeat", "from": 5, "to": 3, "reason": REASON}, "Chỉ lặp lại từ bước 3")
    again = cs.apply(reviewed, cs.make_action(reviewed, cs.REPEAT, reason=REASON), CATALOGUE)
    assert (again.step, again.cycle, again.history[-1].reason) == (3, 2, REASON)
    assert sorted(again.forms) == ["mau-01", "mau-02", "mau-07"]  # steps 3–6 are done again
    refused(again, cs.make_action(again, cs.ADVANCE), "Mẫu 03")
    with pytest.raises(cs.StepError, match="chưa ghi được Mẫu 06"):
        cs.save_form(again, "mau-06", filled("mau-06"), CATALOGUE)


# -- going back, side exits, reopening --------------------------------------------------------------------

def test_going_back_needs_a_reason_and_an_earlier_step_and_keeps_the_saved_forms():
    state = at_step(5)
    refused(state, cs.make_action(state, cs.BACK, 4), "Hãy ghi lý do")
    refused(state, cs.make_action(state, cs.BACK, 4, reason=""), "Hãy ghi lý do")
    refused(state, cs.make_action(state, cs.BACK, 4, reason="x" * 2001), "Lý do quá dài: tối đa 2.000 ký tự")
    for target in (5, 6, 0, True, "4"):
        refused(state, {"action": "back", "from": 5, "to": target, "reason": REASON}, "Chỉ quay lại được")
    back = cs.apply(state, cs.make_action(state, cs.BACK, 4, reason=REASON), CATALOGUE)
    assert back.step == 4 and back.history[-1].reason == REASON and back.forms == state.forms
    assert cs.apply(back, cs.make_action(back, cs.ADVANCE), CATALOGUE).step == 5
    first = cs.apply(state, cs.make_action(state, cs.BACK, 1, reason=REASON), CATALOGUE)
    assert first.step == 1
    refused(cs.StepState(), {"action": "back", "from": 1, "to": 1, "reason": REASON}, "Chỉ quay lại được")


@pytest.mark.parametrize("exit_id", sorted(cs.EXITS))
@pytest.mark.parametrize("step", [1, 2, 4, 6])
def test_a_side_exit_needs_a_reason_and_a_duplicate_names_the_other_case(exit_id, step):
    state = at_step(step)
    extra = {"duplicate_of": "2026-0007"} if exit_id == cs.DUPLICATE else {}
    refused(state, cs.make_action(state, cs.EXIT, exit_id, **extra), "Hãy ghi lý do")
    ended = cs.apply(state, cs.make_action(state, cs.EXIT, exit_id, reason="Đã xác minh tại nhà", **extra), CATALOGUE)
    assert ended.ended == exit_id and ended.reason == "Đã xác minh tại nhà" and ended.step == step
    assert ended.history[-1].reason == "Đã xác minh tại nhà"
    if exit_id == cs.DUPLICATE:
        assert ended.duplicate_of == "2026-0007" and ended.label() == "Kết thúc: Trùng với hồ sơ khác 2026-0007"
        for wrong in ("", "7", "2026-7a", None):
            refused(state, cs.make_action(state, cs.EXIT, exit_id, reason=REASON) | {"duplicate_of": wrong},
                    "Hãy ghi số hồ sơ bị trùng")
    else:
        assert ended.label() == f"Kết thúc: {cs.EXITS[exit_id]}"
        refused(state, cs.make_action(state, cs.EXIT, exit_id, reason=REASON, duplicate_of="2026-0007"),
                "Chỉ ghi số hồ sơ bị trùng")
    refused(state, {"action": "exit", "from": step, "to": "het-han", "reason": REASON}, "Hãy chọn cách kết thúc")


def test_an_ended_case_takes_only_a_reopen_with_a_reason_back_to_where_it_stopped():
    state = at_step(3)
    ended = cs.apply(state, cs.make_action(state, cs.EXIT, "chuyen-co-quan-khac", reason="Công an huyện thụ lý"),
                     CATALOGUE)
    for action in (cs.make_action(state, cs.ADVANCE), cs.make_action(state, cs.BACK, 2, reason=REASON),
                   cs.make_action(state, cs.EXIT, "khong-xac-minh", reason=REASON)):
        refused(ended, action, "Hồ sơ đã kết thúc")
    with pytest.raises(cs.StepError, match="không ghi biểu mẫu được nữa"):
        cs.save_form(ended, "mau-03", filled("mau-03"), CATALOGUE)
    refused(ended, cs.make_action(ended, cs.REOPEN), "Hãy ghi lý do")
    refused(ended, {"action": "reopen", "from": "chuyen-co-quan-khac", "to": 1, "reason": REASON}, "bước đã dừng")
    refused(ended, {"action": "reopen", "from": 3, "to": 3, "reason": REASON}, "có thể vừa có người")
    reopened = cs.apply(ended, cs.make_action(ended, cs.REOPEN, reason=REASON), CATALOGUE)
    assert reopened.open and reopened.step == 3 and reopened.reason == "" and reopened.forms == state.forms
    refused(state, {"action": "reopen", "from": 3, "to": 3, "reason": REASON}, "Hồ sơ đang mở")


def test_possible_actions_are_exactly_the_allowed_ones():
    def kinds(state):
        return sorted((a["action"], a["to"]) for a in cs.possible_actions(state, CATALOGUE))
    exits = [("exit", exit_id) for exit_id in cs.EXITS]
    assert kinds(cs.StepState()) == sorted(exits)
    three = at_step(3)
    assert kinds(three) == sorted([("back", 1), ("back", 2), *exits])
    reviewed = cs.save_form(at_step(6), "mau-06", filled("mau-06"), CATALOGUE)
    assert kinds(reviewed) == sorted([("close", cs.CLOSED), ("repeat", 3), *(("back", k) for k in range(1, 6)),
                                      *exits])
    closed = cs.apply(reviewed, cs.make_action(reviewed, cs.CLOSE), CATALOGUE)
    assert kinds(closed) == [("reopen", 6)]
    needs = {(a["action"], a["to"]): a["needs"] for a in cs.possible_actions(reviewed, CATALOGUE)}
    assert needs[("close", cs.CLOSED)] == () and needs[("repeat", 3)] == ("reason",)
    assert needs[("exit", cs.DUPLICATE)] == ("reason", "duplicate_of")
    duplicate = next(a for a in cs.possible_actions(reviewed, CATALOGUE) if a["to"] == cs.DUPLICATE)
    assert "reason" not in duplicate and "duplicate_of" not in duplicate  # no placeholder is ever written


# -- saving forms -------------------------------------------------------------------------------------------

def test_forms_are_saved_for_the_current_or_an_earlier_step_only_and_an_earlier_step_stays_complete():
    state = at_step(3)
    with pytest.raises(cs.StepError, match="Hồ sơ đang ở bước 3: chưa ghi được Mẫu 04 của bước 4"):
        cs.save_form(state, "mau-04", filled("mau-04"), CATALOGUE)
    with pytest.raises(cs.StepError, match="Không có biểu mẫu"):
        cs.save_form(state, "mau-99", {}, CATALOGUE)
    with pytest.raises(cs.StepError, match="nội dung không hợp lệ"):
        cs.save_form(state, "mau-03", None, CATALOGUE)
    corrected = cs.save_form(state, "mau-01", filled("mau-01", dia_diem="Xã Búng Lao, bản Co"), CATALOGUE)
    assert corrected.forms["mau-01"]["dia_diem"] == "Xã Búng Lao, bản Co"
    with pytest.raises(cs.StepError, match="Bước 1 đã hoàn thành"):
        cs.save_form(state, "mau-01", {"dia_diem": "x"}, CATALOGUE)
    with pytest.raises(cs.StepError, match="Mẫu 07"):  # a separation recorded late still needs its Mẫu 07
        cs.save_form(state, "mau-02", filled("mau-02", tach_tam_thoi=True), CATALOGUE)
    draft = cs.save_form(state, "mau-03", {"ngay": "2026-12-01"}, CATALOGUE)  # the current step: drafts are fine
    assert draft.forms["mau-03"] == {"ngay": "2026-12-01"}


# -- the case's events ----------------------------------------------------------------------------------------

_clock = count()


def event(kind: str, payload: dict, verified: bool = True, author: str = "can-bo-lan") -> cases.Event:
    moment = (T0 + timedelta(minutes=next(_clock))).isoformat()
    return cases.Event(f"k{moment}", f"h{moment}", author, moment, kind, "", payload, verified)


def test_the_fold_applies_verified_events_and_lists_the_refused_ones():
    saved = [event("form", {"form": form_id, "version": 1, "answers": filled(form_id)})
             for form_id in ("mau-01",)]
    forged = event("step", {"action": "advance", "from": 1, "to": 2, "step": 2}, verified=False)
    early = event("step", {"action": "advance", "from": 1, "to": 2, "step": 2})
    skipped = event("form", {"form": "mau-04", "answers": filled("mau-04")})  # step 4's form at step 1
    advance = event("step", {"action": "advance", "from": 1, "to": 2, "step": 2})
    twice = event("step", {"action": "advance", "from": 1, "to": 2, "step": 2})  # a concurrent duplicate
    note = event("note", {"text": "gọi điện cho trưởng bản"})
    progress = cs.replay_steps([forged, early, *saved, skipped, advance, twice, note], CATALOGUE)
    assert progress.state.step == 2 and len(progress.state.history) == 1
    assert [(e, message.split(":")[0]) for e, message in progress.refused] == [
        (early, "Chưa hoàn thành bước 1"), (skipped, "Hồ sơ đang ở bước 1"),
        (twice, "Hồ sơ hiện ở “Bước 2")]
    assert progress.state.history[0].time == advance.time and progress.state.history[0].author == "can-bo-lan"
    assert progress.state.completed_at == {"mau-01": saved[0].time}


def test_the_time_a_form_was_first_completed_is_kept_for_the_clocks_until_it_is_undone():
    state = at_step(4)
    state = cs.save_form(state, "mau-04", {"ngay_xay_dung": "2026-12-02"}, CATALOGUE, "t1")  # a draft
    assert "mau-04" not in state.completed_at
    state = cs.save_form(state, "mau-04", filled("mau-04"), CATALOGUE, "t2")
    state = cs.save_form(state, "mau-04", filled("mau-04", tom_tat="Bản sửa"), CATALOGUE, "t3")
    assert state.completed_at["mau-04"] == "t2"  # an edit of a complete plan does not move the clock
    undone = cs.save_form(state, "mau-04", {"ngay_xay_dung": "2026-12-02"}, CATALOGUE, "t4")
    assert "mau-04" not in undone.completed_at
    state = cs.save_form(state, "mau-05", filled("mau-05"), CATALOGUE, "t5")
    state = cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE)
    state = cs.apply(state, cs.make_action(state, cs.ADVANCE), CATALOGUE)
    state = cs.save_form(state, "mau-06", filled("mau-06"), CATALOGUE, "t6")
    again = cs.apply(state, cs.make_action(state, cs.REPEAT, reason=REASON), CATALOGUE)
    assert sorted(again.completed_at) == ["mau-01", "mau-02"]  # a new cycle's plan has its own clock


def test_a_case_walked_through_signed_events_in_storage_ends_closed(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    root, officer = Identity.generate(), Identity.generate()
    keyring = office_keys.EMPTY_KEYRING.with_officer(Officer("can-bo-lan", "Cán bộ Lan", ("muong-ang",),
                                                             officer.verify_key), T0 - timedelta(days=1))
    office_keys.publish_keyring(storage, keyring, root)
    lock = cases.CaseLock(root.verify_key, office_keys.current_keyring(storage, root.verify_key), "muong-ang")
    report = {"description": "Em bé bị bỏ đói nhiều ngày", "category": "bo-roi-bo-mac", "commune": "muong-ang",
              "urgent": True, "child_age": 6}
    stored = tips.store(storage, b"k" * 32, lock, receipts.new_submission_id(), report, [], now=T0)
    case = cases.open_case(storage, stored.tip_id, officer, "can-bo-lan")
    versions = office_keys.keyring_versions(storage, root.verify_key)

    def read() -> list[cases.Event]:
        return cases.read_events(storage, case, root.verify_key, versions)

    moment = count(1)

    def write(kind: str, payload: dict) -> None:
        cases.write_event(storage, case, "can-bo-lan", officer, kind, payload, read(),
                          T0 + timedelta(hours=next(moment)))

    mau01 = forms.prefill_mau01(CATALOGUE["mau-01"], case.fields, received=case.received)
    write("form", {"form": "mau-01", "version": 1, "answers": {**mau01, "can_bo_tiep_nhan": "Cán bộ Lan"}})
    for step in range(1, 7):
        state = cs.replay_steps(read(), CATALOGUE).state
        assert state.step == step
        for form_id in cs.STEP_FORMS[step] if step > 1 else ():
            write("form", {"form": form_id, "version": CATALOGUE[form_id].version, "answers": filled(form_id)})
        state = cs.replay_steps(read(), CATALOGUE).state
        write("step", cs.make_action(state, cs.CLOSE if step == 6 else cs.ADVANCE))
    progress = cs.replay_steps(read(), CATALOGUE)
    assert progress.refused == [] and progress.state.ended == cs.CLOSED and len(progress.state.history) == 6
    assert progress.state.forms["mau-01"]["tinh_trang_tre"] == "Em bé bị bỏ đói nhiều ngày"


# -- no sequence of actions reaches a state the decree does not allow ----------------------------------

FORM_IDS = sorted(CATALOGUE)
TARGETS = [0, 1, 2, 3, 4, 5, 6, 7, cs.CLOSED, *cs.EXITS, "3", True, None]
REASONS = ["", "   ", REASON, None, 5]
DUPLICATES = [None, "", "2026-0007", "abc"]


class StepsMachine(RuleBasedStateMachine):
    """Random saves and moves — proper ones, arbitrary ones and forged events — through the pure API and,
    as events, through the fold; the decree's rules are checked on every accepted move."""

    def __init__(self):
        super().__init__()
        self.state = cs.StepState()
        self.events: list[cases.Event] = []
        self.moves = 0

    def _save(self, form_id: str, answers: dict) -> None:
        item = event("form", {"form": form_id, "version": 1, "answers": answers})
        self.events.append(item)
        try:
            new = cs.save_form(self.state, form_id, answers, CATALOGUE, item.time)
        except cs.StepError:
            return
        assert new.open and CATALOGUE[form_id].step <= new.step == self.state.step
        self.state = new

    def _move(self, action: dict) -> None:
        item = event("step", action)
        self.events.append(item)
        old = self.state
        try:
            new = cs.apply(old, action, CATALOGUE, item.time, item.author)
        except cs.StepError:
            return
        check_move(old, new)
        self.state = new
        self.moves += 1

    @rule(form_id=st.sampled_from(FORM_IDS), drop=st.integers(0, 6), separation=st.booleans())
    def save_some_form(self, form_id, drop, separation):
        answers = filled(form_id, **({"tach_tam_thoi": separation} if form_id == "mau-02" else {}))
        required = CATALOGUE[form_id].required
        if drop < len(required):
            del answers[required[drop]]
        self._save(form_id, answers)

    @precondition(lambda self: self.state.open)
    @rule(separation=st.booleans(), with_mau07=st.booleans())
    def complete_the_current_step(self, separation, with_mau07=True):
        for form_id in cs.STEP_FORMS[self.state.step]:
            self._save(form_id, filled(form_id, **({"tach_tam_thoi": separation} if form_id == "mau-02" else {})))
        if self.state.step == 2 and with_mau07:
            self._save("mau-07", filled("mau-07"))

    @precondition(lambda self: self.state.open)
    @rule(separation=st.booleans(), with_mau07=st.booleans())
    def complete_the_current_step_and_advance(self, separation, with_mau07):  # runs get to steps 4–6 and on
        self.complete_the_current_step(separation, with_mau07)
        if self.state.step == 6:
            self._move(cs.make_action(self.state, cs.REPEAT if separation else cs.CLOSE, reason=REASON))
        else:
            self._move(cs.make_action(self.state, cs.ADVANCE))

    @rule(data=st.data())
    def a_proper_move(self, data):
        choices = cs.possible_actions(self.state, CATALOGUE)
        if choices:
            action = dict(data.draw(st.sampled_from(choices)))
            needs = action.pop("needs")
            self._move({**action, **({"reason": REASON} if "reason" in needs else {}),
                        **({"duplicate_of": "2026-0007"} if "duplicate_of" in needs else {})})

    @rule(kind=st.sampled_from([*cs.ACTIONS, "jump"]), source=st.sampled_from(["now", 1, 3, 6, cs.CLOSED]),
          goal=st.sampled_from(TARGETS), reason=st.sampled_from(REASONS),
          duplicate_of=st.sampled_from(DUPLICATES), step=st.sampled_from([None, "same", 2, 5]))
    def an_arbitrary_move(self, kind, source, goal, reason, duplicate_of, step):
        action = {"action": kind, "to": goal,
                  "from": (self.state.ended or self.state.step) if source == "now" else source}
        if reason is not None:
            action["reason"] = reason
        if duplicate_of is not None:
            action["duplicate_of"] = duplicate_of
        if step is not None:
            action["step"] = goal if step == "same" else step
        self._move(action)

    @rule(kind=st.sampled_from(["step", "form"]))
    def a_forged_event(self, kind):
        payload = cs.make_action(self.state, cs.ADVANCE) if kind == "step" else \
            {"form": "mau-06", "answers": filled("mau-06")}
        self.events.append(event(kind, payload, verified=False))  # must change nothing

    @invariant()
    def the_state_is_one_the_decree_allows(self):
        assert 1 <= self.state.step <= 6 and self.state.ended in ("", cs.CLOSED, *cs.EXITS)
        assert all(required_filled(form_id, self.state.forms) for form_id in self.state.completed_at)
        if self.state.step >= 5 and self.state.open:
            assert required_filled("mau-04", self.state.forms) and required_filled("mau-05", self.state.forms)

    @invariant()
    def the_events_fold_to_the_same_state(self):
        progress = cs.replay_steps(self.events, CATALOGUE)
        assert progress.state == self.state


def check_move(old: cs.StepState, new: cs.StepState) -> None:
    """The decree's rules, read independently of the module: what one accepted move may do."""
    last = new.history[-1]
    assert new.history[:-1] == old.history
    if old.ended:
        assert last.action == cs.REOPEN and new.open and new.step == old.step and last.reason.strip()
        return
    if new.ended == cs.CLOSED:
        assert old.step == 6 and required_filled("mau-06", old.forms)
    elif new.ended:
        assert new.step == old.step and last.reason.strip() and new.reason == last.reason
        assert (new.duplicate_of != "") == (new.ended == cs.DUPLICATE)
        assert new.ended != cs.DUPLICATE or cs.CASE_NUMBER.fullmatch(new.duplicate_of)
    elif new.step > old.step:
        assert new.step == old.step + 1 and last.action == cs.ADVANCE
        assert all(required_filled(form_id, old.forms) for form_id in cs.STEP_FORMS[old.step])
        if old.step == 2 and old.forms["mau-02"].get("tach_tam_thoi") in (True, "có"):
            assert required_filled("mau-07", old.forms)
        if new.step == 5:  # never step 5 without an approved plan
            assert required_filled("mau-04", old.forms) and required_filled("mau-05", old.forms)
    else:
        assert new.step < old.step and last.reason.strip()  # every move back carries a reason
        if last.action == cs.REPEAT:
            assert old.step == 6 and new.step == 3 and new.cycle == old.cycle + 1
            assert required_filled("mau-06", old.forms)
            assert all(CATALOGUE[form_id].step < 3 for form_id in new.forms)


StepsMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_no_sequence_of_actions_reaches_a_state_the_decree_does_not_allow = StepsMachine.TestCase


def test_the_state_machine_reaches_every_ending():
    """The generated runs are only worth something if they get far: a proper run reaches each ending."""
    for ending in (cs.CLOSED, *cs.EXITS):
        machine = StepsMachine()
        while machine.state.step < 6:
            machine.complete_the_current_step(separation=True)
            machine._move(cs.make_action(machine.state, cs.ADVANCE))
        machine.complete_the_current_step(separation=False)
        extra = {"duplicate_of": "2026-0007"} if ending == cs.DUPLICATE else {}
        machine._move(cs.make_action(machine.state, cs.CLOSE) if ending == cs.CLOSED else
                      cs.make_action(machine.state, cs.EXIT, ending, reason=REASON, **extra))
        assert machine.state.ended == ending and machine.moves == 6
        machine.the_events_fold_to_the_same_state()
