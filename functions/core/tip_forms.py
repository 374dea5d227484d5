"""The report form, the confirmation and the status page as HTML fragments (Jinja, autoescaped).

One set of templates (``functions/templates/tips/``) serves both the build (``theme/hooks/tip_pages.py``
puts them into ``/bao-tin/`` and ``/tra-cuu/``) and the server (answers to form posts without
JavaScript), so the static page and the re-rendered page with errors never drift apart. The form
page carries the server's rules as JSON (``tip_validation.browser_rules``) for report.js.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import jinja2

from . import hotlines
from . import tip_validation as tv
from .images import megabytes
from .places import UNKNOWN_LABEL, Places

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TIP_ACTION = "/api/tips"
STATUS_ACTION = "/api/tips/status"
MESSAGE_ACTION = "/api/tips/messages"
_FALLBACK_HOTLINE = {"number": "111", "name": "Tổng đài điện thoại quốc gia bảo vệ trẻ em"}


def vndate(value: Any) -> str:
    """ISO date or datetime → ``dd/mm/yyyy`` (the dates people read here)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value)) if "T" in str(value) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return parsed.strftime("%d/%m/%Y")


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["vndate"] = vndate


@dataclass
class FormData:
    """What every rendering of the tip pages needs from the content folder and the settings."""

    categories: list[tv.Category]
    places: Places
    hotline: Mapping[str, str]
    max_files: int
    max_bytes: int


def load_hotline(content_dir: Path | str) -> Mapping[str, str]:
    """The primary hotline, read by the loader the build uses; 111 when the file is missing or malformed
    (the build refuses such a file, so only a broken deployment shows the fallback)."""
    try:
        primary = hotlines.load_hotlines(Path(content_dir) / hotlines.DATA_FILE)["primary"]
    except (OSError, hotlines.HotlinesError):
        return _FALLBACK_HOTLINE
    return {"number": primary["number"], "name": primary["name"]}


def _common(data: FormData, base: str) -> dict:
    return {"hotline": data.hotline, "base": base}


class _Values(dict):
    """Missing values render as empty text (a field the person left out)."""

    def __missing__(self, key: str) -> str:
        return ""


def render_form(data: FormData, *, values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
                message: str = "", submission_id: str = "", files_dropped: bool = False, base: str = "/") -> str:
    return _env.get_template("tips/form.html").render(
        **_common(data, base),
        action=TIP_ACTION,
        values=_Values(values or {}),
        errors=dict(errors or {}),
        labels={},
        message=message,
        submission_id=submission_id,
        files_dropped=files_dropped,
        categories=data.categories,
        choices=data.places.all_choices(),
        unknown_label=UNKNOWN_LABEL,
        max_files=data.max_files,
        max_bytes=data.max_bytes,
        max_mb=megabytes(data.max_bytes),
        description_min=tv.DESCRIPTION_MIN,
        description_max=tv.DESCRIPTION_MAX,
        location_max=tv.LOCATION_MAX,
        name_max=tv.NAME_MAX,
        rules=tv.browser_rules(data.categories, data.places, max_files=data.max_files, max_bytes=data.max_bytes),
        receipt="",
    )


def render_receipt(data: FormData, receipt: str, base: str = "/") -> str:
    return _env.get_template("tips/receipt.html").render(**_common(data, base), receipt=receipt)


def render_status(data: FormData, *, values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
                  message: str = "", result: dict | None = None, base: str = "/", sent: bool = False) -> str:
    return _env.get_template("tips/status.html").render(
        **_common(data, base), action=STATUS_ACTION, values=_Values(values or {}), errors=dict(errors or {}),
        message=message, result=result, message_form=_message_form(data, values or {}, errors or {}, result, sent),
    )


def _message_form(data: FormData, values: Mapping[str, str], errors: Mapping[str, str], result: dict | None,
                  sent: bool) -> dict | None:
    """What the receipt holder's message form shows under a found report (``reporter_messages``): a
    server-made ``message_id`` (a new one once a message went, so the next one is new), the text kept on
    an error."""
    from . import receipts, reporter_messages

    if not result or not (result.get("found") or result.get("form_only")):
        return None
    keep = not sent and values.get("message_id")
    return {"action": MESSAGE_ACTION, "message_id": keep or receipts.new_submission_id(),
            "text": "" if sent else values.get("message", ""), "errors": {k: v for k, v in errors.items()
                                                                       if k in ("message", "attachments")},
            "sent": sent, "max_chars": reporter_messages.MESSAGE_MAX, "max_mb": megabytes(data.max_bytes),
            "closed_message": reporter_messages.CLOSED_MESSAGE}


def render_message(data: FormData, heading: str, message: str, back: str, back_label: str, base: str = "/") -> str:
    return _env.get_template("tips/message.html").render(
        **_common(data, base), heading=heading, message=message, back=back, back_label=back_label,
    )
