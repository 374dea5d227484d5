"""``POST /api/tips/messages``: the receipt holder answers the office (text and optionally one photo or PDF).

Order of the checks: Origin (403) → rate limit per client (429, before any lookup: this endpoint must not
be a way round the status lookup's limit) → receipt, message, message_id and the attachment's count, size
and type (400/413/415, each next to its field) → rate limit per receipt (keyed hash, 429) → attachment
cleaning (metadata stripped) → ``reporter_messages.send`` (sealed, create-only, exactly once per
``message_id``; 409 for another message under a used id or a closed case) → 201 with the conversation.

Unknown receipts get the same answer shape as known ones and nothing is stored. Timing: a known receipt's
message is written (an object, on S3 a round trip or two) where an unknown one's is not, so every answer
after the receipt is parsed is held to a floor (``config.tip_message_floor_seconds``, above a text message's writes on
S3 here): both paths then take the floor. A photo's upload and cleaning cost the same for both paths.
JSON when the client asks for it; otherwise the status page again, with the conversation and the form
(what was typed kept on an error; a fresh ``message_id`` once the message went).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from ..core import receipts, reporter_messages, tips
from ..core.crypto import CryptoError
from ..core.text import normalise
from ..core.tip_forms import render_status
from ..core.tip_validation import submission_id_problem
from ..notifications import outbox as notices
from ..pages import render_page
from ..storage import StorageError
from .errors import ApiError
from .http import Context, Request, Response, body_limit
from .security import BUDGET_MESSAGE, hour_window, limit_key, over_budget, over_limit, same_origin, sliding_count
from .tips import (ATTACHMENT_FIELD, RECEIPT_MESSAGES, STATUS_TITLE, _check_uploads, _cleaned, _cross_site, _keyring,
                   _Refused, form_data)

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 1
MESSAGES = {
    400: "Tin nhắn chưa gửi được: hãy sửa ô được đánh dấu. Những gì bạn đã viết vẫn còn nguyên.",
    409: ("Mã gửi của tin nhắn này đã được dùng cho một tin nhắn khác, nên tin này CHƯA được gửi. Những gì bạn "
          "đã viết vẫn còn nguyên: hãy bấm Gửi một lần nữa."),
    413: "Tệp đính kèm quá lớn. Những gì bạn đã viết vẫn còn nguyên.",
    415: "Tệp đính kèm không phải ảnh JPEG, PNG hoặc tệp PDF. Những gì bạn đã viết vẫn còn nguyên.",
    429: "Bạn đã gửi nhiều tin nhắn trong một giờ qua. Những gì bạn đã viết vẫn còn nguyên: hãy thử lại sau.",
    503: ("Hệ thống lưu trữ đang gặp sự cố nên tin nhắn CHƯA được gửi. Những gì bạn đã viết vẫn còn nguyên: "
          "hãy thử lại sau ít phút, hoặc gọi 111 (miễn phí)."),
}
EMPTY_MESSAGE = "Hãy viết tin nhắn."
STALE_FORM = "Biểu mẫu này đã cũ: hãy tải lại trang rồi gửi lại. Những gì bạn đã viết vẫn còn nguyên."
LONG_MESSAGE = "Tin nhắn dài quá: tối đa {max} ký tự (hiện có {count})."


def message_body_bytes(config) -> int:
    """A message's largest body: its one attachment twice over (so a file somewhat too large still gets a
    message next to the field) plus 256 KiB of fields."""
    return 2 * config.tip_max_attachment_bytes + 256 * 1024


def _sealing(ctx: Context) -> reporter_messages.Sealing:
    """Whom office copies are sealed to: the root and the keyring in force (read for every message, as for
    reports), and the single office key for reports stored before the keyring."""
    from ..keys import load_office_root, load_public_key

    root = ctx.cached("office-root", lambda: load_office_root(ctx.config))

    def single():
        try:
            return load_public_key(ctx.config)
        except Exception:  # noqa: BLE001 - a deployment with a root only has no single key
            return None

    return reporter_messages.Sealing(root, _keyring(ctx, root) if root is not None else None,
                                     ctx.cached("tip-public-key-optional", single))


def _over_receipt_limit(ctx: Context, receipt: str, now: float | None = None) -> bool:
    """Count this message against its receipt's hourly limit (the counter is named by a keyed hash)."""
    now = time.time() if now is None else now
    subject = hmac.new(ctx.secret(), b"message-receipt|" + receipt.encode(), hashlib.sha256).hexdigest()[:32]

    def key_of(window: str) -> str:
        return limit_key("tip-messages-receipt", subject, window)

    count = ctx.storage.increment(key_of(hour_window(now)))
    return sliding_count(ctx.storage, key_of, now, count) > ctx.config.tip_messages_per_receipt_hour


def _text(raw: str) -> tuple[str, str | None]:
    """The message as stored (normalised) and its error, if any."""
    text = normalise(raw, multiline=True)
    if not text:
        return text, EMPTY_MESSAGE
    if len(text) > reporter_messages.MESSAGE_MAX:
        return text, LONG_MESSAGE.format(max=reporter_messages.MESSAGE_MAX, count=len(text))
    return text, None


class _Answer:
    """The answers of one message request: JSON, or the status page with the conversation and the form."""

    def __init__(self, request: Request, ctx: Context, values: dict):
        self.request, self.ctx, self.values = request, ctx, values

    def error(self, status: int, errors: dict | None = None, message: str | None = None,
              receipt: str | None = None) -> Response:
        message = message or MESSAGES[status]
        if self.request.wants_json:
            return ApiError(status, message=message, fields=errors or {}).response()
        result = self._lookup(receipt)
        body = render_status(form_data(self.ctx), values=self.values, errors=errors or {}, message=message,
                             result=result)
        return Response.html(status, render_page(self.ctx, f"Lỗi: {STATUS_TITLE}", body))

    def _lookup(self, receipt: str | None) -> dict | None:
        """The conversation to show again under the form; without a receipt looked up (malformed, or refused
        before the lookup by the client's limit, or storage failing) the form alone with what was typed."""
        form_only = {"form_only": True, "found": False, "closed": False, "receipt": self.values["receipt"]}
        if not receipt:
            return form_only
        try:
            return tips.lookup(self.ctx.storage, self.ctx.secret(), receipt)
        except StorageError:
            return form_only

    def sent(self, receipt: str, sent: reporter_messages.Sent) -> Response:
        result = tips.lookup(self.ctx.storage, self.ctx.secret(), receipt)
        if self.request.wants_json:
            return Response.json(201, {**result, "sent": sent.found})
        self.values["receipt"] = receipt
        body = render_status(form_data(self.ctx), values=self.values, result=result, sent=sent.found)
        return Response.html(201, render_page(self.ctx, STATUS_TITLE, body))


class _Invalid(Exception):
    """A malformed request: its status, per-field messages and the receipt when that one parsed."""

    def __init__(self, status: int, errors: dict, receipt: str | None):
        super().__init__(status)
        self.status, self.errors, self.receipt = status, errors, receipt


def _validated(request: Request, ctx: Context, answer: _Answer):
    """(receipt, text, message_id, uploads) of a well-formed request; ``_Invalid`` naming the fields."""
    errors, status = {}, 400
    try:
        receipt = receipts.parse(answer.values["receipt"])
    except receipts.ReceiptError as exc:
        receipt, errors["receipt"] = None, RECEIPT_MESSAGES[exc.reason]
    text, problem = _text(answer.values["message"])
    if problem:
        errors["message"] = problem
    uploads = [f for f in request.files if f.field == ATTACHMENT_FIELD]
    checked = _check_uploads(uploads, MAX_ATTACHMENTS, ctx.config.tip_max_attachment_bytes)
    if checked:
        status, errors[ATTACHMENT_FIELD] = checked
    given = answer.values["message_id"]
    # At least 96 bits, like a report's submission_id: a guessable id could collide with another message.
    if given and (not receipts.valid_submission_id(given) or submission_id_problem(given)):
        errors["message"] = errors.get("message") or STALE_FORM
    if errors:
        raise _Invalid(status, errors, receipt)
    return receipt, text, given or receipts.new_submission_id(), uploads


def _pad(started: float, floor: float) -> None:
    """Hold the answer until ``floor`` seconds after ``started`` (equal timing, see the module docstring)."""
    left = started + floor - time.monotonic()
    if left > 0:
        time.sleep(left)


@body_limit(message_body_bytes, files_in_memory=True)
def send_message(request: Request, ctx: Context) -> Response:
    values = {"receipt": request.value("receipt")[:64], "message": request.value("message")[:4 * reporter_messages.MESSAGE_MAX],
              "message_id": request.value("message_id").strip()[:80]}
    answer = _Answer(request, ctx, values)
    if not same_origin(request, ctx):
        return _cross_site(request, ctx, "tra-cuu/")
    try:
        if over_limit(request, ctx, "tip-messages", ctx.config.tip_messages_per_hour):
            return answer.error(429)
        try:
            receipt, text, message_id, uploads = _validated(request, ctx, answer)
        except _Invalid as invalid:
            return answer.error(invalid.status, invalid.errors, receipt=invalid.receipt)
        values["receipt"] = receipt
        return _send(request, ctx, answer, receipt, text, message_id, uploads)
    except (StorageError, CryptoError, OSError) as exc:
        log.error("reporter message not stored: %s", type(exc).__name__)
        return answer.error(503)


def _send(request: Request, ctx: Context, answer: _Answer, receipt: str, text: str, message_id: str,
          uploads) -> Response:
    """The limits, cleaning and durable write of a well-formed message, held to the answer floor."""
    started = time.monotonic()
    floor = ctx.config.tip_message_floor_seconds
    try:
        if _over_receipt_limit(ctx, receipt):
            return answer.error(429, receipt=receipt)
        try:
            files = _cleaned(uploads, ctx.config.tip_max_attachment_bytes)
        except _Refused as refused:
            return answer.error(refused.status, refused.errors, receipt=receipt)
        if over_budget(request, ctx, sum(len(f.data) for f in files)):
            return answer.error(429, message=BUDGET_MESSAGE, receipt=receipt)
        try:
            sent = reporter_messages.send(ctx.storage, ctx.secret(), _sealing(ctx), receipt, message_id, text, files)
        except reporter_messages.CaseClosed:
            return answer.error(409, {"message": reporter_messages.CLOSED_MESSAGE}, reporter_messages.CLOSED_MESSAGE,
                                receipt=receipt)
        except reporter_messages.MessageConflict:
            answer.values["message_id"] = receipts.new_submission_id()  # sending again files it as new
            return answer.error(409, receipt=receipt)
    finally:
        _pad(started, floor)
    if sent.found and not sent.existing:
        notices.after_reporter_message(ctx, sent)  # a content-free notice; never raises
    return answer.sent(receipt, sent)


ROUTES = [
    ("POST", "/api/tips/messages", send_message),
]
