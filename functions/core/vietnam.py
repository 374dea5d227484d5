"""Vietnam's clock, written once: every "today", year and time label of the project is read on it.

Việt Nam has kept UTC+7 without daylight saving since 1975, so a fixed offset is the same clock as the
tz database's Asia/Ho_Chi_Minh for every date this software meets — and needs no tz database, which an
AWS Lambda image or a Windows laptop may lack.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def to_vietnam(moment: datetime) -> datetime:
    """An aware datetime seen in Việt Nam; a naive one is refused (its zone would be a guess)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime (UTC), got a naive one")
    return moment.astimezone(VIETNAM)
