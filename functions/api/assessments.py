"""``POST /api/assessments``: a commune's self-assessment against the rubric in force.

Multipart fields: ``commune``, ``year``, ``access_code``, one ``score_<criterion id>`` per criterion
(or a filled ``template`` XLSX instead), evidence files in ``evidence`` (dossier) or
``evidence_<criterion id>``, optional ``submission_id`` (a retried send is stored once).

Order of work: fields → access code (401; wrong codes slow down the client that sends them, 429, never the
commune; failures per commune only alert the office in the log) →
files by size (413) → scores or spreadsheet (400, cells named by address) → files by content
(415), all before anything is written → evidence, then the submission record (the commit point) →
201 with the receipt. A storage failure answers 503 and removes what this request wrote.

The rules themselves live in ``functions.core.assessment_intake``; this module reads the request,
checks the code against storage, stores, and answers (JSON, or the form again as a page).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time

from ..core import access_codes, assessment_view
from ..core import assessment_intake as intake
from ..core import assessment_resubmission as resubmission
from ..core import assessments as core
from ..core.assessment_template import TemplateRejected, read_template
from ..core.places import load_places
from ..core.rubric import load_rubrics, rubric_in_force, rubrics_dir, score
from ..core.text import normalise
from ..storage import StorageUnavailable
from .errors import ApiError
from .http import Context, Request, Response, Upload, body_limit
from .security import BUDGET_MESSAGE, client_limit_key, hour_window, limit_key, over_budget, same_origin, sliding_count

log = logging.getLogger(__name__)

PATH = "/api/assessments"
_CODE_SCOPE = "assessment-code"
_COMMUNE_SCOPE = "assessment-code-commune"


# -- loaded data --------------------------------------------------------------------------------

def rubrics(ctx: Context):
    return ctx.cached("rubrics", lambda: load_rubrics(rubrics_dir(ctx.config.content_dir)))


def places(ctx: Context):
    return ctx.cached("places", lambda: load_places(ctx.config.content_dir))


def current_rubric(ctx: Context, today: dt.date | None = None):
    return rubric_in_force(rubrics(ctx), today or dt.date.today())


# -- evidence (also the entry point for uploads that reach storage another way) ----------------

def evidence_lock(ctx: Context, commune_id: str):
    """Who this commune's evidence is encrypted to: the root and the officers of the keyring in force
    covering the commune (read for every submission, like reports), else the single office key; None only
    when the server has no office key at all (the evidence is then stored in the clear first format)."""
    from ..core import crypto, evidence_seal, office_keys
    from ..keys import load_office_root, load_public_key

    root = ctx.cached("office-root", lambda: load_office_root(ctx.config))
    if root is not None:
        return evidence_seal.lock_for_keyring(root, office_keys.current_keyring(ctx.storage, root), commune_id)
    try:
        return evidence_seal.lock_for_office_key(ctx.cached("tip-public-key", lambda: load_public_key(ctx.config)))
    except crypto.CryptoError:
        log.warning("no office key configured: self-assessment evidence stored unencrypted")
        return None


def store_evidence(ctx: Context, stream, filename: str, *, criterion: str | None = None,
                   role: str = "evidence", written: list[str] | None = None,
                   checked: tuple[str, int, str] | None = None, commune_id: str = "",
                   lock=None) -> core.EvidenceRecord:
    """Check (size, type by content) and store one evidence file, encrypted with ``lock`` when given;
    raises ``core.EvidenceRejected`` (413/415) or ``StorageUnavailable``. Streams: the file is read and
    written in 1 MiB parts."""
    return core.save_evidence(ctx.storage, stream, filename, max_bytes=ctx.config.assessment_max_file_bytes,
                              criterion=criterion, role=role, written=written, checked=checked,
                              lock=lock, commune_id=commune_id)


# -- answers ------------------------------------------------------------------------------------

class WrongAccessCode(ApiError):
    """401: the code is wrong or was replaced; the form comes back with the code field emptied."""

    def __init__(self, commune_label: str):
        super().__init__(401, "wrong_code", "Mã truy cập không đúng hoặc đã bị thay bằng mã mới.",
                         {"access_code": "Mã truy cập không đúng hoặc đã bị thu hồi. Hãy dùng mã mới nhất "
                                         "văn phòng đã cấp cho " + commune_label + "."})


def _form_values(request: Request, rubric) -> dict[str, str]:
    names = ["commune", "year", "access_code", "submission_id"] + [c.field for c in rubric.criteria]
    return {name: normalise(request.value(name), multiline=False)[:200] for name in names}


def _error(request: Request, ctx: Context, rubric, values: dict[str, str], failure: ApiError) -> Response:
    if request.wants_json:
        return failure.response()
    kept = dict(values)
    if isinstance(failure, WrongAccessCode):
        kept["access_code"] = ""
    body = "<h1>Xã tự đánh giá</h1>" + assessment_view.render_form(
        rubric, places(ctx), base="/", values=kept, errors=failure.fields, message=failure.message,
        had_files=bool(request.files) or any(k.startswith("upload_") for k in request.form),
        max_file_bytes=ctx.config.assessment_max_file_bytes,
        max_total_bytes=ctx.config.assessment_max_total_bytes,
        upload_ahead_bytes=ctx.config.assessment_upload_ahead_bytes)
    body += resubmission.render_kept_again(request.form.get(resubmission.KEEP_FIELD, []))
    from ..pages import render_page

    return Response.html(failure.status, render_page(ctx, "Xã tự đánh giá — cần xem lại", body))


def _receipt(request: Request, ctx: Context, rubric, record: dict, commune) -> Response:
    status = 200 if record.get("duplicate") else 201
    if request.wants_json:
        return Response.json(status, {"assessment": record})
    from ..pages import render_page

    html = assessment_view.render_receipt(record, rubric, commune)
    return Response.html(status, render_page(ctx, "Đã nhận bản tự đánh giá", html))


# -- the access code: wrong ones slow down the client that sends them, never the commune --------

def _check_access_code(request: Request, ctx: Context, commune, code: str) -> None:
    """Raise 429 while this client sent too many wrong codes in the last hour (a sliding window), 401 for a
    wrong code; both are counted against the client, so a client that keeps trying while held back stays
    held back (it must stop to be let in again). Nothing is ever locked for the commune: a flood of wrong
    codes from other addresses must not stop the holder of the right one. A guess has 1 chance in 2^80
    (``access_codes``): even a million addresses at the per-client limit would need ~10^13 years, so a
    commune-wide lockout would protect nothing and lock out the innocent. Failures are still counted per
    commune, and each ``access_code_commune_attempts_per_hour`` of them in an hour log a warning for the
    office (the commune's id and the count; never the code, never an address)."""
    now = time.time()
    per_client = functools.partial(client_limit_key, request, ctx, _CODE_SCOPE)
    if sliding_count(ctx.storage, per_client, now) >= ctx.config.access_code_attempts_per_hour:
        ctx.storage.increment(per_client(hour_window(now)))
        raise ApiError(429, "rate_limited",
                       "Đã nhập sai mã truy cập quá nhiều lần trong một giờ. Vui lòng thử lại sau.",
                       {"access_code": "Tạm khóa vì nhập sai nhiều lần; thử lại sau một giờ."})
    if not access_codes.verify(ctx.storage, ctx.secret(), commune.id, code):
        ctx.storage.increment(per_client(hour_window(now)))
        _count_commune_failure(ctx, commune.id, now)
        raise WrongAccessCode(commune.label)


def _count_commune_failure(ctx: Context, commune_id: str, now: float) -> None:
    """Count a wrong code against the commune (this hour) and log a warning at every multiple of the
    alert threshold: someone may be guessing that commune's code."""
    failures = ctx.storage.increment(limit_key(_COMMUNE_SCOPE, commune_id, hour_window(now)))
    threshold = max(1, ctx.config.access_code_commune_attempts_per_hour)
    if failures % threshold == 0:
        log.warning("access code: %d wrong codes for commune %s this hour (UTC); its code still works",
                    failures, commune_id)


# -- the handler --------------------------------------------------------------------------------

@body_limit(lambda config: config.assessment_max_total_bytes + 1024 * 1024)  # every file, plus the fields
def post_assessment(request: Request, ctx: Context) -> Response:
    rubric = current_rubric(ctx)
    values = _form_values(request, rubric)
    try:
        return _accept(request, ctx, rubric, values)
    except ApiError as failure:
        return _error(request, ctx, rubric, values, failure)
    except StorageUnavailable:
        return _error(request, ctx, rubric, values, ApiError(503))


def _accept(request: Request, ctx: Context, rubric, values: dict[str, str]) -> Response:
    """Check everything, in the order of the module docstring, then store and answer; ``values`` is
    completed from the spreadsheet on the way, so an error page shows what the sheet said."""
    if not same_origin(request, ctx):
        raise ApiError(403)
    all_places = places(ctx)
    uploads = _uploads(request, ctx)
    template = next((u for u in uploads if u.field == intake.TEMPLATE_FIELD), None)
    commune, errors = intake.check_form(values, all_places, rubric, posted_rubric=request.value("rubric"),
                                        template_sent=template is not None)
    if errors:
        raise ApiError(400, fields=errors)
    _check_access_code(request, ctx, commune, values["access_code"])
    _check_sizes(ctx, uploads, rubric)
    if over_budget(request, ctx, sum(u.size() for u in request.files)):  # files sent ahead were counted then
        raise ApiError(429, message=BUDGET_MESSAGE)
    choice = _scores(template, rubric, values, commune, all_places)
    values.update(choice.values)
    year, year_error = intake.check_year(values["year"], rubric, dt.date.today(),
                                         template_sent=template is not None)
    errors = {**choice.errors, **({"year": year_error} if year_error else {})}
    if errors:
        raise ApiError(400, fields=errors)
    checked = _check_contents(uploads, ctx.config.assessment_max_file_bytes)
    kept = _kept(request, ctx, year, commune)

    result = score(rubric, choice.scores, commune.threshold_band)
    submission_id = intake.clean_submission_id(values["submission_id"])
    previous = core.find_by_submission_id(ctx.storage, year, commune.id, submission_id)
    if previous is not None:
        return _receipt(request, ctx, rubric, {**previous, "duplicate": True}, commune)
    stored = _store(ctx, checked, commune.id, lambda evidence: intake.build_record(
        commune=commune, year=year, rubric=rubric, choice=choice, result=result, evidence=kept + evidence,
        submission_id=submission_id))
    return _receipt(request, ctx, rubric, stored, commune)


def _kept(request: Request, ctx: Context, year: int, commune) -> list[dict]:
    """Files of the commune's earlier versions this one keeps by reference (after a status lookup);
    400 when one is not the commune's own (``core.assessment_resubmission``)."""
    try:
        return resubmission.kept_evidence(ctx.storage, year, commune.id, request.form.get(resubmission.KEEP_FIELD, []))
    except resubmission.KeepRejected as exc:
        raise ApiError(400, fields={resubmission.KEEP_FIELD: str(exc)}) from None


def _uploads(request: Request, ctx: Context) -> list[Upload]:
    """The files sent with the form, then those sent ahead by presigned POST (functions/api/uploads.py)."""
    uploads = [u for u in request.files if u.filename or u.size()]
    from .uploads import claimed_uploads  # raises UploadRejected, an ApiError naming the field

    return uploads + claimed_uploads(request, ctx)


def _check_sizes(ctx: Context, uploads: list[Upload], rubric) -> None:
    """Sizes before content (cheap), so a 413 costs no parsing; a file under a field the form lacks is a 400."""
    try:
        intake.check_file_sizes([intake.FileFacts(u.field, u.filename, u.size()) for u in uploads], rubric,
                                max_file_bytes=ctx.config.assessment_max_file_bytes,
                                max_total_bytes=ctx.config.assessment_max_total_bytes)
    except intake.IntakeRejected as exc:
        raise ApiError(exc.status, fields=exc.fields) from None


def _scores(template: Upload | None, rubric, values: dict[str, str], commune, all_places) -> intake.ScoreChoice:
    """Scores from the spreadsheet when one is sent (415/413/400 when it is not the template), else
    from the typed fields."""
    if template is None:
        return intake.scores_from_form(rubric, values)
    try:
        sheet = read_template(template.stream, rubric)
    except TemplateRejected as exc:
        raise ApiError(exc.status, "bad_template", str(exc), {"template": str(exc)}) from None
    return intake.scores_from_sheet(sheet, rubric, values, commune, all_places)


def _check_contents(uploads: list[Upload], max_file: int) -> list[tuple[Upload, tuple[str, int, str]]]:
    """Every file checked by content before the first write: a refused file means nothing is stored."""
    checked = []
    for u in uploads:
        try:
            checked.append((u, core.check_evidence(u.stream, u.filename, max_bytes=max_file)))
        except core.EvidenceRejected as exc:
            raise ApiError(exc.status, "bad_file", fields={u.field: str(exc)}) from None
    return checked


def _store(ctx: Context, checked: list[tuple[Upload, tuple[str, int, str]]], commune_id: str, make_record) -> dict:
    """Store the evidence (encrypted to the commune's reviewers), then the record ``make_record(evidence)``
    (the commit point); on failure remove what this request wrote."""
    written: list[str] = []
    try:
        evidence = []
        lock = evidence_lock(ctx, commune_id) if checked else None
        for u, facts in checked:
            criterion, role = intake.evidence_target(u.field)
            evidence.append(store_evidence(ctx, u.stream, u.filename, criterion=criterion, role=role,
                                           written=written, checked=facts, commune_id=commune_id,
                                           lock=lock).as_dict())
        return core.commit_submission(ctx.storage, make_record(evidence))
    except StorageUnavailable:
        _cleanup(ctx, written)
        raise
    except core.EvidenceRejected as exc:  # the file changed between check and store: refuse it whole
        _cleanup(ctx, written)
        raise ApiError(exc.status, "bad_file", fields={"evidence": str(exc)}) from None


def _cleanup(ctx: Context, keys: list[str]) -> None:
    """Remove what this request wrote (manifest first, so a half file never looks complete)."""
    for key in sorted(keys, key=lambda k: not k.endswith(".json")):
        try:
            ctx.storage.delete(key)
        except StorageUnavailable:
            log.warning("assessment cleanup left %d keys", len(keys))
            return


ROUTES = [("POST", PATH, post_assessment)]
