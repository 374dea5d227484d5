"""The only words a notice carries: fixed Vietnamese sentences, a due time, and (reminders) two counts.

Nothing from a report can reach these strings: they take times and whole numbers, never text. The subject
is the same for every notice, so a mailbox's list of subjects reveals nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SUBJECT = "Thông báo từ hệ thống tiếp nhận tin báo"
NEW = "Có tin báo mới cần xem trong bảng điều khiển. Hạn đánh giá ban đầu: {due}."
NEW_URGENT = ("Có tin báo mới được người báo đánh dấu khẩn cấp, cần xem ngay trong bảng điều khiển. "
              "Hạn đánh giá ban đầu: {due}.")
NOT_OPENED = ("Có tin báo chưa cán bộ nào mở, sắp hết hạn đánh giá ban đầu: {due}. "
              "Hãy xem trong bảng điều khiển.")
NEW_MESSAGE = "Có tin nhắn mới của người báo tin cần xem trong bảng điều khiển."
DEADLINES = "{soon} việc sắp đến hạn trong 24 giờ, {overdue} việc quá hạn. Hãy xem trong bảng điều khiển."
FOOTER = "Thư này không chứa nội dung tin báo. Không trả lời thư này."

NEW_KIND, REMIND_KIND, MESSAGE_KIND = "new", "remind", "message"


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def _label(moment: datetime) -> str:
    from ..core.clocks import vietnam_time_label  # "14:05 thứ Hai 30/11/2026", the console's own wording

    return vietnam_time_label(moment)


def batch_notice(items: list[dict]) -> Notice:
    """One notice for a batch of items (``{"kind", "due", "urgent"}``; a message item has no due time): one
    sentence per kind present, with the earliest due time — never how many reports or messages there are."""
    lines = []
    news = [i for i in items if i["kind"] == NEW_KIND]
    if news:
        template = NEW_URGENT if any(i.get("urgent") for i in news) else NEW
        lines.append(template.format(due=_label(min(datetime.fromisoformat(i["due"]) for i in news))))
    reminders = [i for i in items if i["kind"] == REMIND_KIND]
    if reminders:
        lines.append(NOT_OPENED.format(due=_label(min(datetime.fromisoformat(i["due"]) for i in reminders))))
    if any(i["kind"] == MESSAGE_KIND for i in items):
        lines.append(NEW_MESSAGE)
    return Notice(SUBJECT, "\n".join(lines + ["", FOOTER]))


def deadlines_notice(soon: int, overdue: int) -> Notice:
    return Notice(SUBJECT, DEADLINES.format(soon=int(soon), overdue=int(overdue)) + "\n\n" + FOOTER)
