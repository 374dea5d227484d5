"""``POST /api/assessments``: a commune's self-assessment against the rubric in force.

Multipart fields: ``commune``, ``year``, ``access_code``, one ``score_<criterion id>`` per criterion
(or a filled ``template`` XLSX instead), evidence files in ``evidence`` (dossier) or
``evidence_<criterion id>``, optional ``submission_id`` (a retried send is stored once).

Order of work: fields → access code (401, failures rate-limited per client and per commune) →
scores or spreadsheet (400, cells named by address) → files by size (413) and by content (415),
all before anything is written → evidence, then the submission record (the commit point) →
201 with the receipt. A storage failure answers 503 and removes what this request wrote.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass

from ..core import access_codes, assessment_view
from ..core import assessments as core
from ..core.assessment_template import TemplateRejected, read_template
from ..core.places import load_places
from ..core.rubric import load_rubrics, rubric_in_force, rubrics_dir, score, validate_scores
from ..core.text import normalise
from ..storage import StorageUnavailable
from .errors import GENERIC_MESSAGES, json_error
from .http import Context, Request, Response, Upload
from .security import client_key, over_limit, same_origin

log = logging.getLogger(__name__)

PATH = "/api/assessments"
_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CODE_SCOPE = "assessment-code"
_COMMUNE_SCOPE = "assessment-code-commune"


# -- loaded data --------------------------------------------------------------------------------

def rubrics(ctx: Context):
    return ctx.cached("rubrics", lambda: load_rubrics(rubrics_dir(ctx.config.content_dir)))


def places(ctx: Context):
    return ctx.cached("places", lambda: load_places(ctx.config.content_dir))


def current_rubric(ctx: Context, today: dt.date | None = None):
    return rubric_in_force(rubrics(ctx), today or dt.date.today())


def year_range(rubric, today: dt.date | None = None) -> tuple[int, int]:
    """Years a submission may be for: the last two years, this one and the next, not before the rubric."""
    this_year = (today or dt.date.today()).year
    return max(this_year - 2, rubric.in_force_from.year), this_year + 1


# -- evidence (also the entry point for uploads that reach storage another way) ----------------

def store_evidence(ctx: Context, stream, filename: str, *, criterion: str | None = None,
                   role: str = "evidence", written: list[str] | None = None,
                   checked: tuple[str, int, str] | None = None) -> core.EvidenceRecord:
    """Check (size, type by content) and store one evidence file; raises ``core.EvidenceRejected``
    (413/415) or ``StorageUnavailable``. Streams: the file is read and written in 1 MiB parts."""
    return core.save_evidence(ctx.storage, stream, filename, max_bytes=ctx.config.assessment_max_file_bytes,
                              criterion=criterion, role=role, written=written, checked=checked)


# -- answers ------------------------------------------------------------------------------------

@dataclass
class Failure(Exception):
    status: int
    code: str
    message: str
    fields: dict[str, str]
    clear_code: bool = False


def _form_values(request: Request, rubric) -> dict[str, str]:
    names = ["commune", "year", "access_code", "submission_id"] + [c.field for c in rubric.criteria]
    return {name: normalise(request.value(name), multiline=False)[:200] for name in names}


def _error(request: Request, ctx: Context, rubric, values: dict[str, str], failure: Failure) -> Response:
    if request.wants_json:
        return json_error(failure.status, failure.code, failure.message, failure.fields)
    kept = dict(values)
    if failure.clear_code:
        kept["access_code"] = ""
    body = "<h1>Xã tự đánh giá</h1>" + assessment_view.render_form(
        rubric, places(ctx), base="/", values=kept, errors=failure.fields, message=failure.message,
        had_files=bool(request.files) or any(k.startswith("upload_") for k in request.form),
        max_file_bytes=ctx.config.assessment_max_file_bytes,
        max_total_bytes=ctx.config.assessment_max_total_bytes,
        upload_ahead_bytes=ctx.config.assessment_upload_ahead_bytes)
    from ..pages import render_page

    return Response.html(failure.status, render_page(ctx, "Xã tự đánh giá — cần xem lại", body))


def _receipt(request: Request, ctx: Context, rubric, record: dict, commune) -> Response:
    status = 200 if record.get("duplicate") else 201
    if request.wants_json:
        return Response.json(status, {"assessment": record})
    from ..pages import render_page

    html = assessment_view.render_receipt(record, rubric, commune)
    return Response.html(status, render_page(ctx, "Đã nhận bản tự đánh giá", html))


# -- rate limit on wrong codes ------------------------------------------------------------------

def _hour(now: float | None = None) -> str:
    return time.strftime("%Y%m%d%H", time.gmtime(now if now is not None else time.time()))


def _code_blocked(request: Request, ctx: Context, commune_id: str) -> bool:
    hour = _hour()
    per_client = ctx.storage.increment(
        f"ratelimit/{_CODE_SCOPE}/{hour}/{client_key(request, ctx, _CODE_SCOPE, hour)}", 0)
    per_commune = ctx.storage.increment(f"ratelimit/{_COMMUNE_SCOPE}/{hour}/{commune_id}", 0)
    return (per_client >= ctx.config.access_code_attempts_per_hour
            or per_commune >= ctx.config.access_code_commune_attempts_per_hour)


def _count_failure(request: Request, ctx: Context, commune_id: str) -> None:
    over_limit(request, ctx, _CODE_SCOPE, ctx.config.access_code_attempts_per_hour)
    ctx.storage.increment(f"ratelimit/{_COMMUNE_SCOPE}/{_hour()}/{commune_id}")


# -- the handler --------------------------------------------------------------------------------

def post_assessment(request: Request, ctx: Context) -> Response:
    rubric = current_rubric(ctx)
    values = _form_values(request, rubric)
    try:
        return _accept(request, ctx, rubric, values)
    except Failure as failure:
        return _error(request, ctx, rubric, values, failure)
    except StorageUnavailable:
        return _error(request, ctx, rubric, values, Failure(503, "storage_unavailable", GENERIC_MESSAGES[503], {}))


def _check_year(text: str, rubric) -> tuple[int | None, str | None]:
    low, high = year_range(rubric)
    if not text:
        return None, "Chưa nhập năm đánh giá."
    if not re.fullmatch(r"\d{4}", text):
        return None, "Năm đánh giá phải là 4 chữ số, ví dụ 2025."
    year = int(text)
    if not low <= year <= high:
        return None, f"Năm đánh giá phải từ {low} đến {high}."
    return year, None


def _accept(request: Request, ctx: Context, rubric, values: dict[str, str]) -> Response:
    if not same_origin(request, ctx):
        raise Failure(403, "cross_site", GENERIC_MESSAGES[403], {})
    all_places = places(ctx)
    errors: dict[str, str] = {}
    commune = all_places.resolve(values["commune"]) if values["commune"] else None
    if not values["commune"]:
        errors["commune"] = "Chưa chọn xã."
    elif commune is None:
        errors["commune"] = "Không tìm thấy xã này trong danh sách."
    if not values["access_code"]:
        errors["access_code"] = "Chưa nhập mã truy cập của xã."
    submission_id = values["submission_id"]
    if submission_id and not _SUBMISSION_ID.match(submission_id):
        submission_id = ""  # a malformed id only loses the double-send protection
    posted_rubric = request.value("rubric")
    if posted_rubric and posted_rubric != rubric.marker:
        errors["rubric"] = ("Trang biểu mẫu đã cũ so với bộ tiêu chí đang áp dụng: hãy tải lại trang "
                            "(điểm đã nhập cần nhập lại).")
    uploads = [u for u in request.files if u.filename or u.size()]
    try:  # large files sent ahead by presigned POST (functions/api/uploads.py), checked like the rest
        from .uploads import UploadRejected, claimed_uploads

        uploads += claimed_uploads(request, ctx)
    except UploadRejected as exc:
        raise Failure(exc.status, "bad_upload", exc.message, {exc.field: exc.message}) from None
    template = next((u for u in uploads if u.field == "template"), None)
    if not template and not values["year"]:
        errors["year"] = "Chưa nhập năm đánh giá."
    if errors:
        raise Failure(400, "invalid", GENERIC_MESSAGES[400], errors)

    # The code before anything costly; failures are counted per client and per commune.
    if _code_blocked(request, ctx, commune.id):
        raise Failure(429, "rate_limited",
                      "Đã nhập sai mã truy cập quá nhiều lần trong một giờ. Vui lòng thử lại sau.",
                      {"access_code": "Tạm khóa vì nhập sai nhiều lần; thử lại sau một giờ."})
    if not access_codes.verify(ctx.storage, ctx.secret(), commune.id, values["access_code"]):
        _count_failure(request, ctx, commune.id)
        raise Failure(401, "wrong_code", "Mã truy cập không đúng hoặc đã bị thay bằng mã mới.",
                      {"access_code": "Mã truy cập không đúng hoặc đã bị thu hồi. Hãy dùng mã mới nhất "
                                      "văn phòng đã cấp cho " + commune.label + "."},
                      clear_code=True)

    # Files: sizes first (cheap), so a 413 costs no parsing.
    max_file, max_total = ctx.config.assessment_max_file_bytes, ctx.config.assessment_max_total_bytes
    criteria_ids = {c.id for c in rubric.criteria}
    total_bytes = 0
    for u in uploads:
        if u.field not in ("template", "evidence") and not (
                u.field.startswith("evidence_") and u.field[len("evidence_"):] in criteria_ids):
            errors[u.field] = "Tệp gửi ở mục không có trong biểu mẫu."
            continue
        size = u.size()
        total_bytes += size
        if size > max_file:
            errors[u.field] = (f"Tệp “{core.clean_filename(u.filename)}” lớn hơn {max_file // (1024 * 1024)} MB "
                               "cho mỗi tệp.")
    if errors and any(f not in ("template", "evidence") and not f.startswith("evidence_") for f in errors):
        raise Failure(400, "invalid", GENERIC_MESSAGES[400], errors)
    if total_bytes > max_total:
        errors.setdefault("evidence", f"Tổng dung lượng các tệp vượt {max_total // (1024 * 1024)} MB.")
    if errors:
        raise Failure(413, "too_large", GENERIC_MESSAGES[413], errors)

    # Scores: from the spreadsheet when one is sent, otherwise from the typed fields.
    source = "form"
    if template is not None:
        source = "template"
        try:
            sheet = read_template(template.stream, rubric)
        except TemplateRejected as exc:
            raise Failure(exc.status, "bad_template", str(exc), {"template": str(exc)}) from None
        if sheet.cell_errors:
            errors["template"] = "Bảng tính có ô chưa đúng: " + "; ".join(sheet.cell_errors) + "."
        if sheet.commune:
            in_sheet = all_places.resolve(sheet.commune)
            if in_sheet is None or in_sheet.id != commune.id:
                errors["template"] = ((errors.get("template", "") + " ").lstrip() +
                                      f"Ô C3 ghi xã “{sheet.commune}”, khác với xã đã chọn ({commune.label}).")
        if sheet.year and values["year"] and sheet.year != values["year"]:
            errors["template"] = ((errors.get("template", "") + " ").lstrip() +
                                  f"Ô C4 ghi năm {sheet.year}, khác với năm đã nhập ({values['year']}).")
        if not values["year"]:
            values["year"] = sheet.year
        scores = sheet.scores
        for c in rubric.criteria:
            if c.id in scores:
                values[c.field] = str(scores[c.id])
    else:
        scores, score_errors = validate_scores(rubric, {c.id: values[c.field] for c in rubric.criteria})
        errors.update(score_errors)
    year, year_error = _check_year(values["year"], rubric)
    if year_error:
        errors["year"] = year_error if values["year"] or template is None else \
            "Chưa nhập năm đánh giá (ở trang này hoặc ô C4 của bảng tính)."
    if errors:
        raise Failure(400, "invalid", GENERIC_MESSAGES[400], errors)

    # Content of every file, all before the first write: a refused file means nothing is stored.
    checked: list[tuple[Upload, tuple[str, int, str]]] = []
    for u in uploads:
        try:
            checked.append((u, core.check_evidence(u.stream, u.filename, max_bytes=max_file)))
        except core.EvidenceRejected as exc:
            raise Failure(exc.status, "bad_file", GENERIC_MESSAGES[exc.status], {u.field: str(exc)}) from None

    result = score(rubric, scores, commune.threshold_band)
    if submission_id:
        previous = core.find_by_submission_id(ctx.storage, year, commune.id, submission_id)
        if previous is not None:
            return _receipt(request, ctx, rubric, {**previous, "duplicate": True}, commune)

    written: list[str] = []
    try:
        evidence = []
        for u, facts in checked:
            criterion = u.field[len("evidence_"):] if u.field.startswith("evidence_") else None
            role = "template" if u.field == "template" else "evidence"
            evidence.append(store_evidence(ctx, u.stream, u.filename, criterion=criterion, role=role,
                                           written=written, checked=facts).as_dict())
        record = {
            "commune": commune.id, "commune_name": commune.label, "year": year,
            "rubric": {"id": rubric.id, "version": rubric.version, "official_number": rubric.official_number,
                       "display_name": rubric.display_name},
            "threshold_band": commune.threshold_band,
            "threshold_band_confidence": commune.threshold_band_confidence,
            "source": source, "scores": {c.id: scores[c.id] for c in rubric.criteria},
            "result": result.as_dict(), "evidence": evidence, "submission_id": submission_id or None,
        }
        stored = core.commit_submission(ctx.storage, record)
    except StorageUnavailable:
        _cleanup(ctx, written)
        raise
    except core.EvidenceRejected as exc:  # the file changed between check and store: refuse it whole
        _cleanup(ctx, written)
        raise Failure(exc.status, "bad_file", GENERIC_MESSAGES[exc.status], {"evidence": str(exc)}) from None
    return _receipt(request, ctx, rubric, stored, commune)


def _cleanup(ctx: Context, keys: list[str]) -> None:
    """Remove what this request wrote (manifest first, so a half file never looks complete)."""
    for key in sorted(keys, key=lambda k: not k.endswith("manifest.json")):
        try:
            ctx.storage.delete(key)
        except StorageUnavailable:
            log.warning("assessment cleanup left %d keys", len(keys))
            return


ROUTES = [("POST", PATH, post_assessment)]
