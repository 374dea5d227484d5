"""Visitor counter: page views per day/week/month/total and visitors online, without cookies or IPs.

What is counted:
- ``today``, ``week``, ``month``, ``total`` are page views ("lượt xem"): one per beacon a browser
  sends after a page has rendered, counted once per visitor and page in a 5-minute window (the page is
  the beacon's Referer path: reloading a page, or a script sending beacons, adds one view per window). Days, ISO weeks (Monday first) and months are Vietnam's
  (Asia/Ho_Chi_Minh), so "today" starts at midnight in Mường Ảng, not in UTC.
- ``online`` approximates the distinct visitors of the last 5 minutes.

How, without identifying anyone:
- A visitor is a keyed hash (HMAC-SHA256) of address + user agent. The key is derived from the
  server secret and the Vietnam date, so yesterday's hashes cannot be linked to today's and the
  address itself is never written anywhere.
- A view marker (``seen/<window>/v-<keyed hash of visitor and page>``) is created before anything is
  counted: ``AlreadyExists`` means "this page was already counted for this visitor in this window".
- Counters use the storage's atomic ``increment`` (a lock locally, an atomic ADD on DynamoDB), so
  concurrent hits are never lost. Distinct visitors are create-only markers: ``AlreadyExists``
  means "already counted in this window".
- Online: the count of distinct visitors in the current 5-minute window plus the previous window's
  count weighted by how much of it still lies in the last 5 minutes (the usual sliding-window
  estimate: two counter reads instead of a listing).

Pure: the caller passes storage, the secret and the time; nothing here reads the clock or the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .store import AlreadyExists

try:
    from zoneinfo import ZoneInfo

    VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # pragma: no cover - no tz database on the host
    # Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is the same clock.
    VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

WINDOW_SECONDS = 300  # "online now" = the last 5 minutes
PREFIX = "visits"

# Crawlers, link previews, monitors, headless browsers and scripts: not people reading a page.
_BOT = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|facebookcatalog|embedly|preview|"
    r"headless|phantomjs|lighthouse|pagespeed|pingdom|uptime|monitor|python-requests|python-urllib|"
    r"aiohttp|httpx|curl|wget|libwww|java/|okhttp|go-http-client|node-fetch|axios|scrapy|"
    r"zgrab|masscan|nmap|nikto|semrush|ahrefs|mj12|bingpreview",
    re.IGNORECASE,
)
# Real phones and browsers whose names contain a bot-like word (Cubot phones are sold in Vietnam).
_NOT_BOT = re.compile(r"cubot", re.IGNORECASE)


@dataclass(frozen=True)
class Counts:
    online: int
    today: int
    week: int
    month: int
    total: int

    def as_dict(self) -> dict[str, int]:
        return {"online": self.online, "today": self.today, "week": self.week,
                "month": self.month, "total": self.total}


def is_countable(method: str, headers: dict[str, str]) -> bool:
    """False for HEAD, prefetch/prerender requests and bots (``headers`` keys lower-case)."""
    if method.upper() == "HEAD":
        return False
    for name in ("sec-purpose", "purpose", "x-purpose", "x-moz"):
        value = headers.get(name, "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return False
    user_agent = headers.get("user-agent", "").strip()
    if not user_agent or _BOT.search(_NOT_BOT.sub("", user_agent)):
        return False
    return True


def vietnam_time(now: datetime | float) -> datetime:
    """``now`` (an aware datetime or a Unix timestamp) on Vietnam's clock."""
    if isinstance(now, (int, float)):
        return datetime.fromtimestamp(now, VIETNAM)
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime or a timestamp")
    return now.astimezone(VIETNAM)


def period_keys(now: datetime | float) -> dict[str, str]:
    """Counter names of the day, ISO week, month and all time that ``now`` falls in (Vietnam's clock)."""
    local = vietnam_time(now)
    iso_year, iso_week, _ = local.isocalendar()
    return {
        "today": f"{PREFIX}/views/day/{local:%Y-%m-%d}",
        "week": f"{PREFIX}/views/week/{iso_year:04d}-W{iso_week:02d}",
        "month": f"{PREFIX}/views/month/{local:%Y-%m}",
        "total": f"{PREFIX}/views/total",
    }


def _window(now: datetime | float) -> tuple[int, float]:
    """The 5-minute window number of ``now`` and the fraction of it already elapsed."""
    ts = now if isinstance(now, (int, float)) else now.timestamp()
    return int(ts // WINDOW_SECONDS), (ts % WINDOW_SECONDS) / WINDOW_SECONDS


def visitor_hash(secret: bytes, now: datetime | float, address: str, user_agent: str) -> str:
    """A keyed hash standing for one visitor on one Vietnam day; the inputs cannot be recovered."""
    day = f"{vietnam_time(now):%Y-%m-%d}"
    day_key = hmac.new(secret, f"visits|{day}".encode(), hashlib.sha256).digest()
    return hmac.new(day_key, f"{address}\n{user_agent}".encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def record_view(storage, secret: bytes, now: datetime | float, address: str, user_agent: str, page: str = "") -> bool:
    """Count one view of ``page`` (a path; "" when unknown) unless this visitor already viewed it in the
    current 5-minute window — reloads and a script hammering one page count once — and mark the visitor
    as online in that window. True when the view was counted."""
    window, _ = _window(now)
    try:
        # The page is hashed with the visitor's daily key, like the visitor: no path is stored either.
        view = visitor_hash(secret, now, address, f"{user_agent}\n{page}")
        storage.create(f"{PREFIX}/seen/{window}/v-{view}", b"")
    except AlreadyExists:
        return False  # this page was already counted for this visitor in this window (so was the visitor)
    # Widest period first, while readers go narrowest first (read_counts): a read racing this write
    # then never shows "today" above "total".
    for key in reversed(list(period_keys(now).values())):
        storage.increment(key)
    visitor = visitor_hash(secret, now, address, user_agent)
    try:
        storage.create(f"{PREFIX}/seen/{window}/{visitor}", b"")
    except AlreadyExists:
        return True  # this visitor is already counted as online in this window
    storage.increment(f"{PREFIX}/online/{window}")
    return True


def read_counts(storage, now: datetime | float) -> Counts:
    """Current figures. Counters are read with ``increment(name, 0)``: the one atomic read both backends share."""
    values = {name: storage.increment(key, 0) for name, key in period_keys(now).items()}
    window, elapsed = _window(now)
    current = storage.increment(f"{PREFIX}/online/{window}", 0)
    previous = storage.increment(f"{PREFIX}/online/{window - 1}", 0)
    online = round(current + previous * (1.0 - elapsed))
    return Counts(online=online, **values)
