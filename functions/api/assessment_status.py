"""``POST /api/assessments/status``: a commune reads where its self-assessment of a year stands, with its code.

Fields ``commune``, ``access_code``, ``year``. The access code is checked exactly as on submission
(``assessments._check_access_code``: wrong codes slow down the client that sends them, 429 past its limit;
a flood for one commune is only logged, the correct code always passes),
before anything about the assessment is read. The answer: the status of the latest version (đã nhận /
đang xem xét / trả lại để bổ sung / đã đề nghị công nhận / không đủ điều kiện), each criterion's verdict,
verified score and comment, and the resubmission deadline — from the latest review of that version whose
signature verifies against the office's keyring (``review_store``). JSON when asked for, else a page with
the lookup form (works without JavaScript).
"""

from __future__ import annotations

import base64
import logging
import re

from markupsafe import Markup

from ..core import assessment_resubmission as resubmission
from ..core import assessment_view, office_keys, review_store
from ..core.assessment_template import build_template
from ..core.assessment_review import OUTCOMES, STATUSES, VERDICTS, NOT_REVIEWED
from ..core.assessment_view import environment
from ..core.text import normalise
from ..storage import StorageError
from .assessments import _check_access_code, current_rubric, places, rubrics
from .errors import ApiError
from .http import SMALL_BODY_BYTES, Context, Request, Response, body_limit
from .security import same_origin

log = logging.getLogger(__name__)

PATH = "/api/assessments/status"
TITLE = "Tra cứu kết quả xem xét bản tự đánh giá"
_YEAR = re.compile(r"\d{4}")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _values(request: Request) -> dict[str, str]:
    return {name: normalise(request.value(name), multiline=False)[:200] for name in ("commune", "access_code", "year")}


def _check_fields(values: dict[str, str], all_places):
    """The commune named, or ApiError 400 with a message next to each field to fix."""
    errors = {}
    commune = all_places.resolve(values["commune"]) if values["commune"] else None
    if not values["commune"]:
        errors["commune"] = "Chưa chọn xã."
    elif commune is None:
        errors["commune"] = "Không tìm thấy xã này trong danh sách."
    if not values["access_code"]:
        errors["access_code"] = "Chưa nhập mã truy cập của xã."
    if not _YEAR.fullmatch(values["year"]):
        errors["year"] = "Năm đánh giá phải là 4 chữ số, ví dụ 2025."
    if errors:
        raise ApiError(400, fields=errors)
    return commune


def _verifier(ctx: Context):
    """Who may sign a review (None when the office has no root key: then no review is shown)."""
    from ..keys import load_office_root

    root = ctx.cached("office-root", lambda: load_office_root(ctx.config))
    if root is None:
        return None
    return review_store.verifier(root, office_keys.keyring_versions(ctx.storage, root))


def _criteria(document: dict, rubric) -> list[dict]:
    wording = {c.id: c.wording for c in rubric.criteria} if rubric else {}
    return [{"number": c["number"], "criterion": c["criterion"], "wording": wording.get(c["criterion"], ""),
             "verdict": c.get("verdict", ""), "verdict_label": VERDICTS.get(c.get("verdict", ""), NOT_REVIEWED),
             "claimed": c.get("claimed"), "verified": c.get("verified"), "reason": c.get("reason", ""),
             "comment": c.get("comment", "")} for c in document.get("criteria", [])]


def status_of(ctx: Context, commune, year: int) -> dict:
    """What the commune may read about its latest version of ``year``."""
    found = review_store.standing(ctx.storage, year, commune.id, _verifier(ctx))
    result = {"commune": commune.id, "commune_name": commune.label, "year": year, "status": found.status,
              "status_label": STATUSES.get(found.status, "Chưa nộp"), "version": None, "submitted_at": None,
              "outcome": None, "outcome_label": None, "deadline": None, "verified_total": None, "criteria": []}
    if found.submission is None:
        return result
    result.update(version=found.submission["version"], submitted_at=found.submission.get("submitted_at"),
                  answers={"scores": dict(found.submission.get("scores", {})),
                           "files": resubmission.keepable_files(found.submission)})
    if found.review is not None:
        doc = found.review.document
        rubric = next((r for r in rubrics(ctx) if r.id == found.submission.get("rubric", {}).get("id")), None)
        result.update(outcome=doc.get("outcome") or None, outcome_label=OUTCOMES.get(doc.get("outcome") or ""),
                      deadline=doc.get("deadline"), verified_total=doc.get("verified_total"),
                      reviewed_at=doc.get("time"), criteria=_criteria(doc, rubric))
    return result


def _resubmission(ctx: Context, result: dict) -> dict:
    """The resubmission part of the answer page: the form with the latest version's answers, its files to
    keep by reference and the XLSX template pre-filled the same way (``core.assessment_resubmission``)."""
    rubric, all_places = current_rubric(ctx), places(ctx)
    previous = {"commune": result["commune"], "year": result["year"], "scores": result["answers"]["scores"]}
    commune = all_places.resolve(result["commune"])
    sheet = build_template(rubric, [c.name for c in all_places.communes],
                           filled={**previous, "commune": commune.name if commune else ""})
    config = ctx.config
    form = assessment_view.render_form(
        rubric, all_places, base="/", values=resubmission.previous_values(previous, rubric),
        max_file_bytes=config.assessment_max_file_bytes, max_total_bytes=config.assessment_max_total_bytes,
        upload_ahead_bytes=config.assessment_upload_ahead_bytes)
    kept = resubmission.render_kept(result["answers"]["files"], rubric) if result["answers"]["files"] else ""
    return {"form": Markup(form), "kept": Markup(kept), "sheet_name": f"tu-danh-gia-{result['commune']}-"
            f"{result['year']}-lan-{result['version']}.xlsx", "sheet_data": base64.b64encode(sheet).decode("ascii")}


def _page(ctx: Context, status: int, values: dict, *, errors=None, message="", result=None) -> Response:
    from ..pages import render_page

    resubmit = _resubmission(ctx, result) if result and result.get("version") else None
    body = environment().get_template("assessments/review_status.html").render(
        action=PATH, communes=places(ctx).communes, values=values, errors=errors or {}, message=message,
        result=result, resubmit=resubmit, xlsx_type=XLSX_TYPE)
    return Response.html(status, render_page(ctx, TITLE, body))


@body_limit(lambda config: SMALL_BODY_BYTES)  # three short fields
def assessment_status(request: Request, ctx: Context) -> Response:
    values = _values(request)
    try:
        if not same_origin(request, ctx):
            raise ApiError(403)
        commune = _check_fields(values, places(ctx))
        _check_access_code(request, ctx, commune, values["access_code"])
        result = status_of(ctx, commune, int(values["year"]))
    except ApiError as failure:
        if request.wants_json:
            return failure.response()
        shown = {**values, "access_code": ""} if failure.status in (401, 429) else values
        return _page(ctx, failure.status, shown, errors=failure.fields, message=failure.message)
    except StorageError as exc:
        log.error("assessment status lookup failed: %s", type(exc).__name__)
        failure = ApiError(503, message="Hệ thống lưu trữ đang gặp sự cố. Hãy thử lại sau ít phút.")
        return failure.response() if request.wants_json else _page(ctx, 503, values, message=failure.message)
    if request.wants_json:
        return Response.json(200, {"assessment_status": result})
    return _page(ctx, 200, {**values, "access_code": ""}, result=result)


ROUTES = [("POST", PATH, assessment_status)]
