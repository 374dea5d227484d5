"""The single error shape of every endpoint, and the typed error handlers raise to produce it.

JSON: ``{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": "..."}}}``.
A handler raises ``ApiError``; the dispatcher (``functions.api.router.dispatch``) answers it in this
shape. Areas whose callers are people on a form catch it first and render the same content as a
page (the form again, with messages next to the fields). Messages are Vietnamese, written for the
person who made the request.
"""

from __future__ import annotations

from typing import Mapping

from .http import Response

GENERIC_MESSAGES = {
    400: "Thông tin gửi lên chưa hợp lệ. Vui lòng xem lại các ô được đánh dấu.",
    401: "Mã truy cập không đúng.",
    403: "Yêu cầu bị từ chối: biểu mẫu phải được gửi từ chính trang web này.",
    404: "Không tìm thấy địa chỉ này.",
    405: "Phương thức không được hỗ trợ cho địa chỉ này.",
    409: "Mã gửi này đã được dùng cho một nội dung khác.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Loại tệp hoặc định dạng không được chấp nhận.",
    429: "Bạn đã gửi quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau.",
    500: "Đã có lỗi ở máy chủ. Thông tin của bạn chưa được lưu; vui lòng thử lại.",
    503: "Hệ thống lưu trữ tạm thời không hoạt động. Thông tin của bạn CHƯA được gửi; vui lòng thử lại sau ít phút.",
}

# The machine-readable code of each status when a handler does not name a more precise one.
DEFAULT_CODES = {
    400: "invalid", 401: "wrong_code", 403: "cross_site", 404: "not_found", 405: "method_not_allowed", 409: "submission_conflict",
    413: "too_large", 415: "unsupported_type", 429: "rate_limited", 500: "internal", 503: "storage_unavailable",
}


class ApiError(Exception):
    """An answer other than success: status, machine code, Vietnamese message, per-field messages."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 fields: Mapping[str, str] | None = None):
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.message = message or GENERIC_MESSAGES.get(status, GENERIC_MESSAGES[500])
        self.fields = dict(fields or {})
        super().__init__(f"{status} {self.code}")

    def body(self) -> dict:
        return error_body(self.status, self.code, self.message, self.fields)

    def response(self, headers: dict | None = None) -> Response:
        return Response.json(self.status, self.body(), headers)


def error_body(status: int, code: str, message: str | None = None,
               fields: Mapping[str, str] | None = None) -> dict:
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message or GENERIC_MESSAGES.get(status, GENERIC_MESSAGES[500]),
            "fields": dict(fields or {}),
        }
    }
