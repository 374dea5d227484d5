"""The inbox: one row per case this officer can open, the most pressing first, with filters and a search.

Order: overdue first, then the nearest deadline, then urgent, then newest. The filters (step, commune,
category, officer, overdue, open/ended) and the search are one GET form, so they work without JavaScript
and a filtered list can be reloaded. The search folds tones (``xa bung lao`` finds "xã Búng Lao") over the
case number, the commune's names (today's, former, and what the reporter typed), the category, the step
and the assigned officer — never over the description: the search words go into the URL, and so into
the browser's history on this computer, where a name taken from a report must not be left behind.

Opening the inbox decrypts every case this key opens: that is audited once per unlock, before anything is
decrypted (not once per row, not at every reload).
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from urllib.parse import urlencode

import click
from flask import Blueprint, current_app, render_template, request

from ..core import case_clocks, clocks
from ..core.case_steps import STEPS
from ..core.text import fold, normalise
from ..notifications import delivery_failures as recent_failures
from ..storage import StorageError
from .case_index import NEVER, InboxRow, case_index
from .casefile import references
from .office import ConsoleError, actor, audit, now, session, unlocked_only

blueprint = Blueprint("inbox", __name__)

PAGE_SIZE = 200
QUERY_MAX = 100
UNASSIGNED = "chua-phan-cong"
STATES = {"mo": "Đang mở", "ket-thuc": "Đã kết thúc", "tat-ca": "Tất cả"}
# Opening the list shows every openable case's summary: audited once per unlock, under a fixed subject.
AUDIT_ACTION, AUDIT_SUBJECT = "open_inbox", "hop-thu"
READ_FAILED = "Không đọc được kho lưu trữ: danh sách hồ sơ chưa hiện được. Hãy thử tải lại trang sau ít phút."


@dataclass(frozen=True)
class Filters:
    """The inbox's GET form, read leniently: a value that is not one of the choices is ignored."""

    step: int | None = None
    commune: str = ""
    category: str = ""
    officer: str = ""
    overdue: bool = False
    state: str = "mo"
    query: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        step = args.get("buoc", "")
        page = args.get("trang", "1")
        state = args.get("tinh_trang", "mo")
        return cls(
            step=int(step) if step.isascii() and step.isdigit() and int(step) in STEPS else None,
            commune=args.get("xa", "")[:QUERY_MAX], category=args.get("loai", "")[:QUERY_MAX],
            officer=args.get("can_bo", "")[:QUERY_MAX], overdue=args.get("qua_han") == "1",
            state=state if state in STATES else "mo",
            query=normalise(args.get("q", ""), multiline=False)[:QUERY_MAX],
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1,
        )

    def keep(self, row: InboxRow) -> bool:
        """True when ``row`` passes every filter and holds every word of the search."""
        checks = (
            self.state == "tat-ca" or row.ended == (self.state == "ket-thuc"),
            self.step is None or (row.step == self.step and not row.ended),
            not self.commune or row.commune == self.commune,
            not self.category or row.category == self.category,
            not self.officer or row.assigned == ("" if self.officer == UNASSIGNED else self.officer),
            not self.overdue or row.status == clocks.OVERDUE,
        )
        return all(checks) and all(word in row.search_text for word in fold(self.query).split())

    def link(self, page: int) -> str:
        """This form's URL at another page."""
        values = {"buoc": self.step or "", "xa": self.commune, "loai": self.category, "can_bo": self.officer,
                  "qua_han": "1" if self.overdue else "", "tinh_trang": self.state, "q": self.query,
                  "trang": page}
        return "/?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


def order_key(row: InboxRow) -> tuple:
    """Overdue first, then the nearest deadline, then urgent, then newest."""
    due = row.deadline.due if row.deadline else NEVER
    return row.status != clocks.OVERDUE, row.deadline is None, due, not row.urgent, -row.received.timestamp()


def duration_text(delta: dt.timedelta) -> str:
    """A span in words, to the minute below a day and to the hour beyond: "2 ngày 3 giờ", "45 phút"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, hours, minutes = minutes // (24 * 60), minutes // 60 % 24, minutes % 60
    parts = [f"{days} ngày"] if days else []
    parts += [f"{hours} giờ"] if hours else []
    parts += [f"{minutes} phút"] if minutes and not days else []
    return " ".join(parts) or "dưới 1 phút"


def time_left_text(deadline: clocks.Deadline) -> str:
    left = deadline.time_left or dt.timedelta(0)
    return f"quá hạn {duration_text(left)}" if left < dt.timedelta(0) else f"còn {duration_text(left)}"


def choices(rows: list[InboxRow]) -> dict[str, list[tuple[str, str]]]:
    """The filter lists, from the cases this key opens (a commune or officer with no case is not offered)."""
    communes = {row.commune: row.commune_name for row in rows}
    categories = {row.category: row.category_label for row in rows}
    officers = sorted({row.assigned for row in rows if row.assigned})
    return {
        "steps": [(str(number), f"Bước {number}: {label}") for number, label in STEPS.items()],
        "communes": sorted(communes.items(), key=lambda item: fold(item[1])),
        "categories": sorted(categories.items(), key=lambda item: fold(item[1])),
        "officers": [(UNASSIGNED, "Chưa phân công")] + [(o, o) for o in officers],
        "states": list(STATES.items()),
    }


def audit_once_per_unlock(officer) -> None:
    """Audit the inbox the first time this unlock opens it (the officer object lives as long as the unlock)."""
    seen = current_app.extensions.get("console-inbox-audited")
    if seen is not None and seen() is officer:
        return
    audit(AUDIT_ACTION, AUDIT_SUBJECT)
    current_app.extensions["console-inbox-audited"] = weakref.ref(officer)


def delivery_failures() -> dict | None:
    """Notices to officers that could not be delivered in the last 7 days (``functions.notifications``): how
    many, and when and to whom the newest was; None when every notice went out."""
    found = recent_failures(session().storage, now())
    if not found:
        return None
    moment = case_clocks.utc(found[0].get("at", ""))
    return {"count": len(found), "recipient": str(found[0].get("recipient", "")),
            "time": clocks.vietnam_time_label(moment) if moment else ""}


@blueprint.get("/")
@unlocked_only
def inbox():
    filters = Filters.from_args(request.args)
    officer = actor()
    try:
        audit_once_per_unlock(officer)
        rows = case_index().rows(session(), officer, references(), now())
        failures = delivery_failures()
    except (ConsoleError, click.ClickException) as exc:
        return render_template("console/inbox.html", error=exc.args[0] if exc.args else READ_FAILED,
                               filters=filters), 503
    except StorageError:
        return render_template("console/inbox.html", error=READ_FAILED, filters=filters), 503
    shown = sorted((row for row in rows if filters.keep(row)), key=order_key)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(filters.page, pages)
    return render_template(
        "console/inbox.html", error="", filters=filters, total=len(rows), shown=len(shown), page=page, pages=pages,
        rows=shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], choices=choices(rows), legacy=case_index().legacy,
        ended_hidden=sum(1 for row in rows if row.ended) if filters.state == "mo" else 0,
        show_unread=any(row.unread_messages for row in rows), failures=failures, time_left=time_left_text,
        status_labels=clocks.STATUS_LABELS, time_label=clocks.vietnam_time_label,
    )
