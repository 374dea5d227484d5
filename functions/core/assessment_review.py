"""The office's review of one version of a commune's self-assessment, as pure functions of plain values.

Per criterion: a verdict (đạt / cần bổ sung / không đạt, or not yet reviewed), a verified score (the
commune's own unless the reviewer types another, which then needs a reason) and a comment. Overall: an
outcome — returned for completion (with a resubmission deadline), proposed for recognition, or not
eligible — or none yet (the review is under way). The verdict computed from the verified scores comes
from ``rubric.score`` (thresholds, the commune's band, the no-zero rule): nothing here re-scores.
Messages are the Vietnamese the reviewer reads next to each field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from .rubric import Result, Rubric, parse_score, score
from .text import normalise

VERDICTS = {"dat": "Đạt", "can-bo-sung": "Cần bổ sung", "khong-dat": "Không đạt"}
NOT_REVIEWED = "Chưa xét"
OUTCOMES = {
    "tra-lai": "Trả lại để bổ sung",
    "de-nghi-cong-nhan": "Đề nghị công nhận",
    "khong-du-dieu-kien": "Không đủ điều kiện",
}
UNDER_REVIEW = ""  # a review saved without an outcome: the commune reads "đang xem xét"
# What the commune reads as the status of its latest version.
STATUSES = {
    "da-nhan": "Đã nhận",
    "dang-xem-xet": "Đang xem xét",
    "tra-lai": "Trả lại để bổ sung",
    "de-nghi-cong-nhan": "Đã đề nghị công nhận",
    "khong-du-dieu-kien": "Không đủ điều kiện",
}
RETURNED = "tra-lai"
PROPOSED = "de-nghi-cong-nhan"
MAX_COMMENT = 2000
MAX_REASON = 500


class ReviewRejected(ValueError):
    """The review as typed cannot be saved; ``fields`` maps each form field to its Vietnamese message."""

    def __init__(self, fields: Mapping[str, str]):
        super().__init__(", ".join(fields))
        self.fields = dict(fields)


@dataclass(frozen=True)
class CriterionReview:
    criterion: str
    number: int
    claimed: int
    verified: int
    verdict: str  # a key of VERDICTS, or "" when not reviewed yet
    reason: str
    comment: str

    @property
    def verdict_label(self) -> str:
        return VERDICTS.get(self.verdict, NOT_REVIEWED)

    def as_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "number": self.number, "claimed": self.claimed,
                "verified": self.verified, "verdict": self.verdict, "reason": self.reason,
                "comment": self.comment}


@dataclass(frozen=True)
class ReviewDecision:
    """A checked review: what gets signed and stored, pinned to a version elsewhere (``review_store``)."""

    outcome: str
    deadline: dt.date | None
    criteria: tuple[CriterionReview, ...]
    computed: Result

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, STATUSES["dang-xem-xet"])

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "deadline": self.deadline.isoformat() if self.deadline else None,
                "criteria": [c.as_dict() for c in self.criteria], "computed": self.computed.as_dict(),
                "verified_total": self.computed.total}


def field_names(criterion_id: str) -> dict[str, str]:
    """The form fields of one criterion's review (the console form and the error keys share them)."""
    return {"verdict": f"verdict_{criterion_id}", "score": f"verified_{criterion_id}",
            "reason": f"reason_{criterion_id}", "comment": f"comment_{criterion_id}"}


def computed_result(rubric: Rubric, submission: Mapping[str, Any], verified: Mapping[str, int]) -> Result:
    """The rubric's verdict on ``verified`` scores for the band the submission was judged by."""
    return score(rubric, verified, submission["threshold_band"])


def _text(value: Any, limit: int, multiline: bool) -> tuple[str, str | None]:
    text = normalise(str(value or ""), multiline=multiline)
    if len(text) > limit:
        return text, f"Tối đa {limit} ký tự (đang có {len(text)})."
    return text, None


def _criterion(rubric: Rubric, submission: Mapping[str, Any], cid: str,
               values: Mapping[str, Any]) -> tuple[CriterionReview | None, dict[str, str]]:
    """One criterion's review from the typed values, or the messages of its fields."""
    c = rubric.criterion(cid)
    names = field_names(cid)
    errors: dict[str, str] = {}
    claimed = int(submission["scores"][cid])
    verdict = str(values.get(names["verdict"]) or "")
    if verdict and verdict not in VERDICTS:
        errors[names["verdict"]] = "Chọn Đạt, Cần bổ sung hoặc Không đạt."
    raw_score = values.get(names["score"])
    verified, message = (claimed, None) if raw_score is None or str(raw_score).strip() == "" \
        else parse_score(raw_score, c)
    if message:
        errors[names["score"]] = message
    reason, message = _text(values.get(names["reason"]), MAX_REASON, multiline=False)
    if message:
        errors[names["reason"]] = message
    elif verified is not None and verified != claimed and not reason:
        errors[names["reason"]] = (f"Điểm xác minh ({verified}) khác điểm xã tự chấm ({claimed}): "
                                   "cần ghi lý do.")
    comment, message = _text(values.get(names["comment"]), MAX_COMMENT, multiline=True)
    if message:
        errors[names["comment"]] = message
    if errors:
        return None, errors
    return CriterionReview(cid, c.number, claimed, verified, verdict, reason, comment), {}


def _deadline(outcome: str, text: str, today: dt.date) -> tuple[dt.date | None, str | None]:
    """The resubmission deadline: required after today when returning, refused otherwise."""
    text = (text or "").strip()
    if outcome != RETURNED:
        return None, ("Hạn nộp bổ sung chỉ dùng khi trả lại để bổ sung." if text else None)
    if not text:
        return None, "Trả lại để bổ sung cần hạn nộp lại (ngày/tháng/năm)."
    try:
        deadline = dt.date.fromisoformat(text)
    except ValueError:
        return None, "Ngày không hợp lệ: viết theo dạng năm-tháng-ngày, ví dụ 2026-12-15."
    if deadline <= today:
        return None, "Hạn nộp lại phải sau hôm nay."
    return deadline, None


def _recognition_blockers(criteria: tuple[CriterionReview, ...], computed: Result) -> list[str]:
    """Why recognition cannot be proposed: every criterion must be Đạt and the rubric's verdict a pass."""
    problems = [f"Tiêu chí {c.number} chưa được đánh giá Đạt ({c.verdict_label})."
                for c in criteria if c.verdict != "dat"]
    if not computed.passed:
        problems.extend(computed.reasons)
    return problems


def decide(rubric: Rubric, submission: Mapping[str, Any], values: Mapping[str, Any], *,
           today: dt.date) -> ReviewDecision:
    """The checked review of ``submission`` from the typed ``values`` (form field → text), or
    ``ReviewRejected`` naming every field to fix. ``values["outcome"]`` empty saves a review under way."""
    errors: dict[str, str] = {}
    reviewed: list[CriterionReview] = []
    for c in rubric.criteria:
        found, problems = _criterion(rubric, submission, c.id, values)
        errors.update(problems)
        if found:
            reviewed.append(found)
    outcome = str(values.get("outcome") or "")
    if outcome and outcome not in OUTCOMES:
        errors["outcome"] = "Chọn một kết luận trong danh sách."
    deadline, message = _deadline(outcome, str(values.get("deadline") or ""), today)
    if message:
        errors["deadline"] = message
    if errors:
        raise ReviewRejected(errors)
    criteria = tuple(reviewed)
    computed = computed_result(rubric, submission, {c.criterion: c.verified for c in criteria})
    if outcome == PROPOSED:
        blockers = _recognition_blockers(criteria, computed)
        if blockers:
            raise ReviewRejected({"outcome": "Chưa thể đề nghị công nhận: " + " ".join(blockers)})
    return ReviewDecision(outcome, deadline, criteria, computed)


def preview(rubric: Rubric, submission: Mapping[str, Any], values: Mapping[str, Any]) -> Result:
    """The rubric's verdict on the scores as typed so far (a typed score that is not valid counts as
    the commune's own), shown beside the outcome before anything is saved."""
    verified = {}
    for c in rubric.criteria:
        claimed = int(submission["scores"][c.id])
        raw = values.get(field_names(c.id)["score"])
        value, message = (claimed, None) if raw is None or str(raw).strip() == "" else parse_score(raw, c)
        verified[c.id] = claimed if message else value
    return computed_result(rubric, submission, verified)


def status_key(review: Mapping[str, Any] | None) -> str:
    """The commune's status for its latest version, given that version's latest verified review."""
    if review is None:
        return "da-nhan"
    return review.get("outcome") or "dang-xem-xet"


def differences(rubric: Rubric, current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, int]:
    """Per criterion whose score changed since the previous version: that previous score."""
    if not previous:
        return {}
    before, now = previous.get("scores", {}), current.get("scores", {})
    return {c.id: before[c.id] for c in rubric.criteria
            if c.id in before and c.id in now and before[c.id] != now[c.id]}


def file_differences(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str | None, dict]:
    """Per criterion (None: the general dossier) whose files changed since the previous version: the file
    names ``added`` and ``removed`` (files compared by SHA-256; the spreadsheet itself is not evidence)."""
    if not previous:
        return {}

    def by_criterion(record: Mapping[str, Any]) -> dict[str | None, dict[str, str]]:
        found: dict[str | None, dict[str, str]] = {}
        for f in record.get("evidence", []):
            if f.get("role") != "template":
                found.setdefault(f.get("criterion"), {})[f["sha256"]] = f.get("filename", "")
        return found

    now, before = by_criterion(current), by_criterion(previous)
    changes = {}
    for criterion in set(now) | set(before):
        new, old = now.get(criterion, {}), before.get(criterion, {})
        added = sorted(name for sha, name in new.items() if sha not in old)
        removed = sorted(name for sha, name in old.items() if sha not in new)
        if added or removed:
            changes[criterion] = {"added": added, "removed": removed}
    return changes
