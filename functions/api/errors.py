"""The single error shape of every endpoint.

JSON: ``{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": "..."}}}``.
HTML callers get the same content rendered by the area (form page with messages next to fields).
Messages are Vietnamese, written for the person who made the request.
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
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Loại tệp hoặc định dạng không được chấp nhận.",
    429: "Bạn đã gửi quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau.",
    500: "Đã có lỗi ở máy chủ. Thông tin của bạn chưa được lưu; vui lòng thử lại.",
    503: "Hệ thống lưu trữ tạm thời không hoạt động. Thông tin của bạn CHƯA được gửi; vui lòng thử lại sau ít phút.",
}


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


def json_error(status: int, code: str, message: str | None = None,
               fields: Mapping[str, str] | None = None, headers: dict | None = None) -> Response:
    return Response.json(status, error_body(status, code, message, fields), headers)
