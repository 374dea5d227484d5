"""``POST /api/tips`` (report a concern) and ``POST /api/tips/status`` (look up a receipt).

Framework-neutral: the Flask adapter and the Lambda adapter route here. Order of the checks on a
report: Origin (403) → fields and attachment count, size and type (400/413/415) → honeypot (the
receipt the real path would give, nothing stored) → an already stored retry answers its receipt →
rate limit (429) → image cleaning → encryption and durable writes (503 on any failure, nothing partial) → 201.
JSON when the client asks for it; otherwise a full page in the site's look: the receipt, or the
same form again with everything the person typed and a message next to each field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from ..core import cases, office_keys, receipts, tips
from ..core.crypto import CryptoError
from ..core.images import AttachmentError, clean_attachment, megabytes, sniff
from ..core.places import load_places
from ..core.text import normalise
from ..core.tip_forms import FormData, load_hotline, render_form, render_message, render_receipt, render_status
from ..core.tip_validation import FIELDS, load_categories, message, shown_filename, submission_id_problem, validate
from ..notifications import outbox as notices
from ..pages import render_page
from ..storage import StorageError
from .errors import GENERIC_MESSAGES, ApiError
from .http import SMALL_BODY_BYTES, Context, Request, Response, body_limit
from .security import BUDGET_MESSAGE, over_budget, over_limit, same_origin

log = logging.getLogger(__name__)

ATTACHMENT_FIELD = "attachments"
HONEYPOT_FIELD = "website"
HONEYPOT_RECEIPT_SALT = "honeypot|"
FORM_TITLE = "Báo tin về trẻ em"
STATUS_TITLE = "Tra cứu tin báo"

MESSAGES = {
    400: "Một vài ô cần sửa. Những gì bạn đã nhập vẫn còn nguyên.",
    403: GENERIC_MESSAGES[403],
    413: "Tệp đính kèm quá lớn hoặc quá nhiều. Những gì bạn đã nhập vẫn còn nguyên.",
    415: "Có tệp không phải ảnh JPEG, PNG hoặc tệp PDF. Những gì bạn đã nhập vẫn còn nguyên.",
    429: ("Bạn đã gửi nhiều tin báo trong một giờ qua, nên hệ thống tạm dừng nhận thêm từ máy này. "
          "Những gì bạn đã nhập vẫn còn nguyên: hãy thử lại sau, hoặc gọi 111 (miễn phí) để báo ngay."),
    409: ("Mã gửi của biểu mẫu này đã được dùng cho một tin báo khác đã nhận trước đó, nên tin này CHƯA được "
          "gửi. Những gì bạn đã nhập vẫn còn nguyên: hãy bấm Gửi một lần nữa để gửi thành tin báo mới."),
    503: ("Hệ thống lưu trữ đang gặp sự cố nên tin báo CHƯA được gửi. Những gì bạn đã nhập vẫn còn nguyên: "
          "hãy thử lại sau ít phút, hoặc gọi 111 (miễn phí) để báo ngay."),
}
RECEIPT_MESSAGES = {
    "empty": "Hãy nhập mã tin báo.",
    "length": "Mã tin báo gồm 20 ký tự (chữ và số), thường viết thành 5 nhóm 4 ký tự. Hãy kiểm tra lại.",
    "symbol": "Mã có ký tự không hợp lệ: mã chỉ gồm chữ in hoa và số. Hãy kiểm tra lại.",
    "check": "Mã có vẻ bị gõ nhầm một ký tự. Hãy kiểm tra lại từng nhóm.",
}


def form_data(ctx: Context) -> FormData:
    def load() -> FormData:
        content = ctx.config.content_dir
        return FormData(load_categories(content), load_places(content), load_hotline(content),
                        ctx.config.tip_max_attachments, ctx.config.tip_max_attachment_bytes)

    return ctx.cached("tip-form-data", load)


def _lock(ctx: Context, commune: str):
    """How this report is encrypted: for the root and the officers of the keyring when the office has a
    root key, else sealed to the single office key (the first format)."""
    from ..keys import load_office_root, load_public_key

    root = ctx.cached("office-root", lambda: load_office_root(ctx.config))
    if root is None:
        return tips.SingleKeyLock(ctx.cached("tip-public-key", lambda: load_public_key(ctx.config)))
    return cases.CaseLock(root, _keyring(ctx, root), commune)


def _keyring(ctx: Context, root):
    """The newest keyring that verifies, read for every report: an officer removed a moment ago must not
    receive the next report (one list and one read, newest first)."""
    def ignored(version: int) -> None:
        log.warning("keyring version %d does not verify against the office root key: ignored", version)

    return office_keys.current_keyring(ctx.storage, root, on_invalid=ignored)


# -- answers ------------------------------------------------------------------------------

def _created(request: Request, ctx: Context, receipt: str) -> Response:
    if request.wants_json:
        return Response.json(201, {"receipt": receipt})
    body = render_receipt(form_data(ctx), receipt)
    return Response.html(201, render_page(ctx, "Đã gửi tin báo", body))


def _form_error(request: Request, ctx: Context, status: int, raw: dict, errors: dict, submission_id: str,
                message: str | None = None) -> Response:
    message = message or MESSAGES[status]
    if request.wants_json:
        return ApiError(status, message=message, fields=errors).response()
    body = render_form(form_data(ctx), values=raw, errors=errors, message=message, submission_id=submission_id,
                       files_dropped=any(f.field == ATTACHMENT_FIELD for f in request.files))
    return Response.html(status, render_page(ctx, f"Lỗi: {FORM_TITLE}", body))


def _weak_id_error(request: Request, ctx: Context, raw: dict, errors: dict, problem: str) -> Response:
    """400 for a submission id too weak to key a report (``tip_validation.submission_id_problem``): an API
    client reads why under ``fields.submission_id``; a page gets the form back with a new id and any other
    field's message, so sending again just works."""
    if request.wants_json:
        return ApiError(400, message=problem, fields={**errors, "submission_id": problem}).response()
    return _form_error(request, ctx, 400, raw, errors, receipts.new_submission_id(),
                       problem + " Biểu mẫu đã có mã mới: bấm “Gửi tin báo” để gửi lại. "
                       "Những gì bạn đã nhập vẫn còn nguyên.")


def _cross_site(request: Request, ctx: Context, back: str) -> Response:
    if request.wants_json:
        return ApiError(403, message=MESSAGES[403]).response()
    body = render_message(form_data(ctx), "Chưa gửi được", MESSAGES[403], back, "Mở lại trang của văn phòng")
    return Response.html(403, render_page(ctx, "Lỗi: yêu cầu bị từ chối", body))


# -- POST /api/tips -------------------------------------------------------------------------

def _check_uploads(uploads, max_files: int, max_bytes: int) -> tuple[int, str] | None:
    """Cheap checks before anything is decoded: count, size, kind by content (the browser's messages)."""
    if len(uploads) > max_files:
        return 413, message("attachments_too_many", max=max_files, count=len(uploads))
    for upload in uploads:
        name = shown_filename(upload.filename)
        if upload.size() > max_bytes:
            return 413, message("attachment_too_large", mb=megabytes(max_bytes), name=name)
        if upload.size() == 0:
            return 415, message("attachment_empty", name=name)
        if sniff(upload.read(1024)) is None:
            return 415, message("attachment_kind", name=name)
    return None


# What of a field is read at most: far above any field's own limit (so "too long" is still said), far below
# what would make validation itself fail (a 12,000-digit age once raised ValueError from int()).
RAW_FIELD_CHARS = {"description": 4 * 5000}
RAW_FIELD_DEFAULT_CHARS = 1000


def raw_fields(request: Request) -> dict[str, str]:
    """The report's fields as typed, each cut to ``RAW_FIELD_CHARS`` (the form shows them back)."""
    return {name: request.value(name)[:RAW_FIELD_CHARS.get(name, RAW_FIELD_DEFAULT_CHARS)] for name in FIELDS}


NO_JS_WINDOW_SECONDS = 10 * 60


def no_js_submission_id(request: Request, ctx: Context, raw: dict[str, str], uploads, now: float | None = None) -> str:
    """The submission id of a report sent without one — the form without JavaScript, where nothing in the
    browser can make an id — so that reloading the receipt page (the browser sends the form again) files
    nothing new: a keyed hash of the client, what was typed, the attachments' bytes and the 10-minute
    window it arrived in; the previous window's id is used when that one is already stored, so a reload
    just after a window's end is still the same report. Identical content from the same client within
    10 to 20 minutes is one report; a changed word is another.

    Why this and not "POST answers 303 to a page that shows the receipt": that page would need the
    receipt behind a URL (or kept by the server to show once), and a receipt must never appear in a URL
    or be kept in plaintext. A derived id keeps nothing at all: the same form sent again simply arrives
    at the same id, and ``tips.store`` answers it with the same receipt, storing nothing new."""
    now = time.time() if now is None else now
    digest = hmac.new(ctx.secret(), b"no-js-submission|", hashlib.sha256)
    digest.update(hashlib.sha256(request.client_address.encode("utf-8", "replace")).digest())
    digest.update(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode("utf-8", "replace"))
    for upload in uploads:
        digest.update(hashlib.sha256(upload.read()).digest())

    def id_of(window: int) -> str:
        windowed = digest.copy()
        windowed.update(str(window).encode())
        return "nojs-" + windowed.hexdigest()[:40]

    window = int(now // NO_JS_WINDOW_SECONDS)
    previous = id_of(window - 1)
    # Storage errors propagate: when storage is down the person gets the form back (503) after this one
    # bounded wait, not after a second one for a write that would fail too.
    return previous if tips.exists(ctx.storage, ctx.secret(), previous) else id_of(window)


def _final_submission_id(request: Request, ctx: Context, given: str, chosen: str, raw: dict[str, str], uploads) -> str:
    """The id a valid report is stored under: the one sent, or when none was sent ``no_js_submission_id``
    (``chosen`` — a random id — when the one sent is malformed, as before)."""
    return no_js_submission_id(request, ctx, raw, uploads) if not given else chosen


def tip_body_bytes(config) -> int:
    """A report's largest body: twice its attachments at their limit (so photos somewhat too large still
    reach the handler, which answers with the form and a message next to the field), plus 1 MiB of fields."""
    return 2 * config.tip_max_attachments * config.tip_max_attachment_bytes + 1024 * 1024


class _Refused(Exception):
    """A report refused after validation: its status, per-field messages and message (None: the usual)."""

    def __init__(self, status: int, errors: dict | None = None, message: str | None = None):
        super().__init__(status)
        self.status, self.errors, self.message = status, errors or {}, message


def _cleaned(uploads, max_bytes: int) -> list:
    """Each attachment cleaned (images without metadata); ``_Refused`` naming the file that is not."""
    files = []
    for upload in uploads:
        try:
            files.append(clean_attachment(upload.read(), max_bytes))
        except AttachmentError as exc:
            raise _Refused(exc.status, {ATTACHMENT_FIELD: f"“{shown_filename(upload.filename)}”: {exc.message}"}) from None
    return files


def _store_report(request: Request, ctx: Context, submission_id: str, fields: dict, raw: dict, uploads):
    """Limits, attachment cleaning, encryption and the durable writes of a valid report: (stored, lock,
    fields as stored). Raises ``_Refused``, ``tips.SubmissionConflict`` or the storage's errors."""
    secret = ctx.secret()
    retry = tips.exists(ctx.storage, secret, submission_id)
    # A retry of a stored report is not a new report: it counts against no limit.
    if not retry and over_limit(request, ctx, "tips", ctx.config.tips_per_hour):
        raise _Refused(429)  # before any photo is decoded
    files = _cleaned(uploads, ctx.config.tip_max_attachment_bytes)
    if not retry and over_budget(request, ctx, sum(len(f.data) for f in files)):
        raise _Refused(429, message=BUDGET_MESSAGE)
    # What the reporter typed for the place (a former name, say) stays beside the resolved commune.
    fields = {**fields, "commune_as_typed": normalise(raw["commune"], multiline=False)[:200]}
    lock = _lock(ctx, fields["commune"])
    return tips.store(ctx.storage, secret, lock, submission_id, fields, files), lock, fields


@body_limit(tip_body_bytes, files_in_memory=True)
def submit_tip(request: Request, ctx: Context) -> Response:
    raw = raw_fields(request)
    given_id = request.value("submission_id").strip()
    submission_id = given_id if receipts.valid_submission_id(given_id) else receipts.new_submission_id()

    if not same_origin(request, ctx):
        return _cross_site(request, ctx, "bao-tin/")
    data = form_data(ctx)
    fields, errors = validate(raw, data.categories, data.places)
    uploads = [f for f in request.files if f.field == ATTACHMENT_FIELD]
    status = 400
    problem = _check_uploads(uploads, ctx.config.tip_max_attachments, ctx.config.tip_max_attachment_bytes)
    if problem:
        status, errors[ATTACHMENT_FIELD] = problem
    weak_id = submission_id_problem(given_id) if given_id else None
    if weak_id:
        return _weak_id_error(request, ctx, raw, errors, weak_id)
    if errors:
        return _form_error(request, ctx, status, raw, errors, submission_id)
    try:
        submission_id = _final_submission_id(request, ctx, given_id, submission_id, raw, uploads)
        if request.value(HONEYPOT_FIELD).strip():
            # A bot filled the hidden field: answer like the real path (validation above, a receipt of the
            # same shape, the same one for each retry), store nothing. Never the real path's receipt of this
            # id: the id may be a stored report's, and its receipt opens that report's status and messages.
            return _created(request, ctx, receipts.derive(ctx.secret(), HONEYPOT_RECEIPT_SALT + submission_id))
        stored, lock, fields = _store_report(request, ctx, submission_id, fields, raw, uploads)
    except _Refused as refused:
        return _form_error(request, ctx, refused.status, raw, refused.errors, submission_id, refused.message)
    except tips.SubmissionConflict:
        # Another report holds this id: the form comes back with a fresh one, so sending again files it.
        return _form_error(request, ctx, 409, raw, {}, receipts.new_submission_id())
    except (StorageError, CryptoError, OSError) as exc:
        log.error("tip not stored: %s", type(exc).__name__)
        return _form_error(request, ctx, 503, raw, {}, submission_id)
    except Exception as exc:  # noqa: BLE001 - whatever failed, nothing was acknowledged: the person must retry
        log.error("tip not stored: unexpected %s", type(exc).__name__)
        return _form_error(request, ctx, 503, raw, {}, submission_id)
    notices.after_commit(ctx, stored, lock, fields)  # queues a content-free notice; never raises
    return _created(request, ctx, stored.receipt)


# -- POST /api/tips/status -----------------------------------------------------------------------

@body_limit(lambda config: SMALL_BODY_BYTES)
def tip_status(request: Request, ctx: Context) -> Response:
    text = request.value("receipt")
    values = {"receipt": text}
    if not same_origin(request, ctx):
        return _cross_site(request, ctx, "tra-cuu/")

    def error(status: int, errors: dict, message: str) -> Response:
        if request.wants_json:
            return ApiError(status, message=message, fields=errors).response()
        body = render_status(form_data(ctx), values=values, errors=errors, message=message)
        return Response.html(status, render_page(ctx, f"Lỗi: {STATUS_TITLE}", body))

    try:
        if over_limit(request, ctx, "tip-status", ctx.config.status_lookups_per_hour):
            return error(429, {}, "Bạn đã tra cứu nhiều lần trong một giờ qua. Hãy thử lại sau.")
        try:
            receipt = receipts.parse(text)
        except receipts.ReceiptError as exc:
            return error(400, {"receipt": RECEIPT_MESSAGES[exc.reason]}, "Mã tin báo chưa đúng.")
        result = tips.lookup(ctx.storage, ctx.secret(), receipt)
    except StorageError as exc:
        log.error("status lookup failed: %s", type(exc).__name__)
        return error(503, {}, "Hệ thống lưu trữ đang gặp sự cố. Hãy thử lại sau ít phút.")
    if request.wants_json:
        return Response.json(200, result)
    values["receipt"] = receipt
    body = render_status(form_data(ctx), values=values, result=result)
    return Response.html(200, render_page(ctx, STATUS_TITLE, body))


ROUTES = [
    ("POST", "/api/tips", submit_tip),
    ("POST", "/api/tips/status", tip_status),
]
