"""Deliver queued notices: batched, retried with backoff, exactly once per recipient and notice.

``deliver_once(storage, config)`` is one round; ``bvte serve`` runs it on a thread, cron runs
``bvte notify send``, on AWS the sender function runs it on each queued object and every few minutes.
Any number of rounds may run at once (several Lambdas): every decision is a create-only write.

Items: a queued report gives a ``new-<tip>`` item to each of its targets (``recipients``), and, when no
officer opened the case 4 hours before its 12-hour deadline, a ``remind-<tip>`` item. A queued reporter
message (``outbox.entry_kind``) gives one ``message-<tip>-m<name>`` item, wanted for 12 hours after it
arrived (as long as a plan is tried) and never a reminder: nothing marks a message opened.

Batching (at most one notice per target every few minutes). A *plan* is one notice to one target. Time is
cut in windows of ``notify_batch_minutes``; a plan takes its window's slot, ``notices/out/<day>/<channel>/
<recipient>/<window>/plan.json`` (create-only: one plan per window), and only when the previous window has
none, so two plans to one target are at least one window apart. Each item is then claimed for the plan,
``notices/claims/<queue day>/<channel>/<recipient>/<item>`` (create-only: an item belongs to one plan
only), and the plan's final list written, ``items.json``. A flood of reports becomes one notice, then one
more a window later at most.

Delivery, exactly once. Each attempt ``n`` at a plan opens the channel and does everything that cannot
deliver (connect, TLS, log in, SMTP ``MAIL``/``RCPT``); then creates ``try-<n>`` — the point of no return,
create-only, so one sender only ever crosses it — and transmits. Afterwards it writes ``done``, or
``failed-<n>`` when the far end refused (then attempt n+1 may follow, after backoff). A failure before the
point of no return (server down or hanging) is ``miss-…``: nothing was sent, the next attempt follows
after backoff (30 s doubling up to 15 min), until the plan is 12 hours old (``abandoned``).

A sender killed after ``try-<n>`` and before ``done`` leaves it unknown whether the notice arrived: the
SMTP server may have taken the message in the instant before the kill. We choose **at most once** there:
after a lease the plan is marked ``uncertain`` and never resent (a duplicate could not be taken back), and
the failure log says so, for the console's "không gửi được thông báo". The unknown window is one SMTP
``DATA`` exchange on an open connection; a notice lost in it is still covered by the reminder 4 hours
before the deadline (a different item) and by the console's list of deadlines.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..core.store import AlreadyExists, NotFound
from . import outbox
from .messages import MESSAGE_KIND, NEW_KIND, REMIND_KIND, batch_notice
from .recipients import Target, address_of, keyring_emails, notify_to, targets

log = logging.getLogger(__name__)

OUT = "notices/out/"
CLAIMS = "notices/claims/"
INITIAL_RULE = "danh-gia-ban-dau"  # the 12-hour clock of Điều 26, content/data/clocks.yml
REMIND_BEFORE = timedelta(hours=4)
GIVE_UP_AFTER = timedelta(hours=12)
FIRST_BACKOFF, MAX_BACKOFF = timedelta(seconds=30), timedelta(minutes=15)


@dataclass
class Round:
    """What one round did (counts only)."""

    planned: int = 0
    delivered: int = 0
    failed: int = 0
    uncertain: int = 0
    waiting: int = 0


@dataclass
class PlanState:
    """The keys under one plan's folder, by name."""

    folder: str
    names: set[str] = field(default_factory=set)

    def count(self, prefix: str) -> int:
        return sum(1 for n in self.names if n.startswith(prefix))

    @property
    def finished(self) -> bool:
        return bool(self.names & {"done", "uncertain", "abandoned"})


# -- time -------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _initial_rule():
    from ..core.clocks import load_clocks

    return load_clocks().rule(INITIAL_RULE)


def initial_due(received: datetime) -> datetime:
    """The 12-hour deadline of step 2, from the clocks file (the same rule the console shows)."""
    return _initial_rule().due(received, calendar=None).astimezone(timezone.utc)


def window_of(moment: datetime, minutes: int) -> int:
    return int(moment.timestamp() // (max(1, minutes) * 60))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


# -- what is wanted ---------------------------------------------------------------------------------------

def wanted(storage, now: datetime, channel_names: set[str], emails: dict[str, str],
           extra: list[str]) -> dict[Target, list[dict]]:
    """Each target's items due to be told now (``{"item", "kind", "due", "qday"[, "urgent"]}``)."""
    found: dict[Target, list[dict]] = {}
    for qday, tip_id, entry in outbox.queued(storage, now):
        try:
            received = datetime.fromisoformat(entry["received"])
        except (KeyError, ValueError, TypeError):
            continue
        if outbox.entry_kind(entry) == outbox.MESSAGE_KIND:
            items = _message_items(qday, tip_id, received, now)
        else:
            items = _report_items(storage, qday, tip_id, entry, received, now)
        for target in targets(entry, channel_names, emails, extra) if items else ():
            found.setdefault(target, []).extend(items)
    return found


def _report_items(storage, qday: str, tip_id: str, entry: dict, received: datetime, now: datetime) -> list[dict]:
    """A queued report's items: told until its 12-hour deadline, reminded 4 hours before it if unopened."""
    due = initial_due(received)
    items = []
    if now <= due:
        items.append({"item": f"new-{tip_id}", "kind": NEW_KIND, "due": _stamp(due), "qday": qday,
                      **({"urgent": True} if entry.get("urgent") else {})})
    if due - REMIND_BEFORE <= now < due and not outbox.is_opened(storage, tip_id):
        items.append({"item": f"remind-{tip_id}", "kind": REMIND_KIND, "due": _stamp(due), "qday": qday})
    return items


def _message_items(qday: str, name: str, received: datetime, now: datetime) -> list[dict]:
    """A queued reporter message's one item: told once, while it is under 12 hours old; no reminder."""
    if now - received > GIVE_UP_AFTER:
        return []
    return [{"item": f"message-{name}", "kind": MESSAGE_KIND, "qday": qday}]


def _claims(storage, now: datetime) -> dict[tuple[str, str], dict[str, str]]:
    """(channel, recipient) → {item: claim key} for the days the queue is read."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for day in outbox.recent_days(now, 2):
        for key in storage.list(f"{CLAIMS}{day}/"):
            _, _, _, channel, recipient, item = key.split("/", 5)
            found.setdefault((channel, recipient), {})[item] = key
    return found


def _plans(storage, now: datetime) -> dict[tuple[str, str], dict[int, PlanState]]:
    """(channel, recipient) → {window: its plan's keys}, for plans of the last two days."""
    found: dict[tuple[str, str], dict[int, PlanState]] = {}
    for day in outbox.recent_days(now, 2):
        for key in storage.list(f"{OUT}{day}/"):
            parts = key.split("/")
            if len(parts) != 7:
                continue
            channel, recipient, window, name = parts[3], parts[4], int(parts[5]), parts[6]
            plans = found.setdefault((channel, recipient), {})
            plans.setdefault(window, PlanState("/".join(parts[:6]))).names.add(name)
    return found


# -- planning ---------------------------------------------------------------------------------------------

def _plan_folder(target: Target, window: int, minutes: int) -> str:
    start = datetime.fromtimestamp(window * max(1, minutes) * 60, timezone.utc)
    return f"{OUT}{outbox.day_of(start)}/{target.channel}/{target.recipient}/{window}"


def _make_plan(storage, target: Target, items: list[dict], now: datetime, minutes: int) -> PlanState | None:
    """Take this window's slot for ``target`` with ``items`` as candidates; None if the slot is taken."""
    folder = _plan_folder(target, window_of(now, minutes), minutes)
    try:
        storage.create(f"{folder}/plan.json", json.dumps({"created": _stamp(now), "items": items}).encode("ascii"))
    except AlreadyExists:
        return None
    return PlanState(folder, {"plan.json"})


def _claim_items(storage, target: Target, plan: PlanState) -> None:
    """Claim each candidate for the plan (create-only) and write the plan's final list of items."""
    candidates = json.loads(storage.read(f"{plan.folder}/plan.json"))["items"]
    won = []
    for item in candidates:
        key = f"{CLAIMS}{item['qday']}/{target.channel}/{target.recipient}/{item['item']}"
        try:
            storage.create(key, plan.folder.encode("ascii"))
            won.append(item)
        except AlreadyExists:
            if storage.read(key).decode("ascii", "replace") == plan.folder:
                won.append(item)  # claimed by an earlier, interrupted pass at this same plan
    try:
        storage.create(f"{plan.folder}/items.json", json.dumps(won).encode("ascii"))
    except AlreadyExists:
        pass
    plan.names.add("items.json")


# -- delivering ---------------------------------------------------------------------------------------------

def _mark(storage, plan: PlanState, name: str, data: dict | None = None) -> bool:
    try:
        storage.create(f"{plan.folder}/{name}", json.dumps(data or {}).encode("ascii"))
    except AlreadyExists:
        return False
    plan.names.add(name)
    return True


def _last_failure(storage, plan: PlanState) -> datetime | None:
    times = []
    for name in plan.names:
        if name.startswith(("miss-", "failed-")):
            try:
                times.append(datetime.fromisoformat(json.loads(storage.read(f"{plan.folder}/{name}"))["at"]))
            except (NotFound, ValueError, KeyError):
                continue
    return max(times) if times else None


def _backoff(failures: int) -> timedelta:
    return min(MAX_BACKOFF, FIRST_BACKOFF * (2 ** max(0, failures - 1)))


class Deliverer:
    """One round's delivery of plans over the configured channels (links opened once, reused)."""

    def __init__(self, storage, channels: list, now: datetime, lease: timedelta, result: Round):
        self.storage, self.now, self.lease, self.result = storage, now, lease, result
        self.channels = {c.name: c for c in channels}
        self.links: dict[str, object] = {}
        self.down: dict[str, str] = {}  # channel → the error that made it unreachable this round

    def close(self) -> None:
        for link in self.links.values():
            link.close()

    def _fail(self, target: Target, plan: PlanState, name: str, reason: str, error: str) -> None:
        first = plan.count("miss-") + plan.count("failed-") == 0
        _mark(self.storage, plan, name, {"at": _stamp(self.now), "reason": reason, "error": error})
        self.result.failed += 1
        if first:  # one line in the officers' list per notice, not one per retry
            outbox.record_failure(self.storage, target.channel, target.recipient, reason, error, self.now)

    def _settle(self, target: Target, plan: PlanState) -> bool:
        """Close a plan that must not be attempted again (uncertain, too old); True when it is closed."""
        attempt = plan.count("failed-") + 1
        if f"try-{attempt}" in plan.names:
            started = self._read_time(plan, f"try-{attempt}")
            if started is not None and self.now - started < self.lease:
                self.result.waiting += 1  # another sender is transmitting it right now
                return True
            if _mark(self.storage, plan, "uncertain"):
                self.result.uncertain += 1
                outbox.record_failure(self.storage, target.channel, target.recipient, "uncertain", "interrupted",
                                      self.now)
            return True
        created = self._read_time(plan, "plan.json", "created")
        if created is not None and self.now - created > GIVE_UP_AFTER:
            if _mark(self.storage, plan, "abandoned"):
                outbox.record_failure(self.storage, target.channel, target.recipient, "expired", "gave up", self.now)
            return True
        return False

    def _read_time(self, plan: PlanState, name: str, field_name: str = "at") -> datetime | None:
        try:
            return datetime.fromisoformat(json.loads(self.storage.read(f"{plan.folder}/{name}"))[field_name])
        except (NotFound, ValueError, KeyError):
            return None

    def attempt(self, target: Target, plan: PlanState) -> None:
        """One attempt at one plan, if it is neither finished, in flight, nor waiting for its backoff."""
        if plan.finished or self._settle(target, plan):
            return
        failures = plan.count("miss-") + plan.count("failed-")
        last = _last_failure(self.storage, plan) if failures else None
        if last is not None and self.now - last < _backoff(failures):
            self.result.waiting += 1
            return
        items = json.loads(self.storage.read(f"{plan.folder}/items.json"))
        if not items:
            _mark(self.storage, plan, "done")
            return
        self._deliver(target, plan, items, plan.count("failed-") + 1)

    def _deliver(self, target: Target, plan: PlanState, items: list[dict], attempt: int) -> None:
        from .channels import Refused

        channel = self.channels.get(target.channel)
        if channel is None or not target.address:
            return  # channel turned off or address removed since: the plan is abandoned when it is old
        if target.channel in self.down:  # one wait on a dead or hanging server per round, not one per notice
            self._fail(target, plan, f"miss-{secrets.token_hex(4)}", "unreachable", self.down[target.channel])
            return
        link = self.links.get(target.channel) or self.links.setdefault(target.channel, channel.open())
        try:
            link.prepare(target.address)
        except Refused as exc:  # this address refused (RCPT): nothing was sent, retry after backoff
            self._fail(target, plan, f"miss-{secrets.token_hex(4)}", "refused", str(exc).split(" ")[0])
            return
        except Exception as exc:  # noqa: BLE001 - nothing was sent: retry after backoff
            link.close()
            self.down[target.channel] = type(exc).__name__
            self._fail(target, plan, f"miss-{secrets.token_hex(4)}", "unreachable", type(exc).__name__)
            return
        if not _mark(self.storage, plan, f"try-{attempt}", {"at": _stamp(self.now)}):
            link.close()
            return  # another sender crossed the point of no return for this attempt
        notice_id = plan.folder.replace("/", ".") + f".{attempt}"
        try:
            link.transmit(batch_notice(items), notice_id)
        except Refused as exc:
            self._fail(target, plan, f"failed-{attempt}", "refused", str(exc).split(" ")[0])
            return
        except Exception as exc:  # noqa: BLE001 - unknown whether it arrived: never resent (at most once)
            link.close()
            _mark(self.storage, plan, "uncertain")
            self.result.uncertain += 1
            outbox.record_failure(self.storage, target.channel, target.recipient, "uncertain", type(exc).__name__,
                                  self.now)
            return
        _mark(self.storage, plan, "done", {"at": _stamp(self.now)})
        self.result.delivered += 1


# -- one round ------------------------------------------------------------------------------------------------

def deliver_once(storage, config, now: datetime | None = None, channels: list | None = None) -> Round:
    """Plan what is due and deliver every plan that may be attempted now; returns the counts."""
    from .channels import configured_channels

    now = now or outbox.utcnow()
    channels = configured_channels(config) if channels is None else channels
    result = Round()
    if not channels:
        return result
    minutes = int(getattr(config, "notify_batch_minutes", 5))
    lease = timedelta(seconds=4 * int(getattr(config, "notify_timeout_seconds", 10)) + 60)
    names = {c.name for c in channels}
    emails, extra = keyring_emails(config, storage) if "smtp" in names else {}, notify_to(config)
    want = wanted(storage, now, names, emails, extra)
    claims, plans = _claims(storage, now), _plans(storage, now)
    deliverer = Deliverer(storage, channels, now, lease, result)
    others = _targets_with_plans(plans, want, emails, extra)
    try:
        for target in sorted(set(want) | others, key=lambda t: (t.channel, t.recipient)):
            _plan_target(storage, target, want.get(target, []), claims, plans, now, minutes, result)
            for _, plan in sorted(plans.get((target.channel, target.recipient), {}).items()):
                if "items.json" not in plan.names:
                    _claim_items(storage, target, plan)
                deliverer.attempt(target, plan)
    finally:
        deliverer.close()
    return result


def _targets_with_plans(plans: dict, want: dict[Target, list[dict]], emails: dict[str, str],
                        extra: list[str]) -> set[Target]:
    """Targets with unfinished plans but nothing new wanted (address "" when no longer known)."""
    known = {(t.channel, t.recipient) for t in want}
    return {Target(channel, recipient, address_of(channel, recipient, emails, extra))
            for (channel, recipient), windows in plans.items()
            if (channel, recipient) not in known and any(not p.finished for p in windows.values())}


def _plan_target(storage, target: Target, items: list[dict], claims: dict, plans: dict, now: datetime,
                 minutes: int, result: Round) -> None:
    """Make this window's plan for ``target`` if it has unclaimed items and the last window had no plan."""
    key = (target.channel, target.recipient)
    claimed = claims.get(key, {})
    pending = [i for i in items if i["item"] not in claimed]
    if not pending:
        return
    window = window_of(now, minutes)
    mine = plans.setdefault(key, {})
    if window in mine or window - 1 in mine:
        result.waiting += 1
        return
    plan = _make_plan(storage, target, pending, now, minutes)
    if plan is not None:
        mine[window] = plan
        result.planned += 1


def send_now(storage, channels: list, found: list[Target], notice, notice_id: str, now: datetime | None = None) -> int:
    """Send one notice to each target at once (the officer-side reminder: no queue, no batching); failures
    go to the failure log. Returns how many were sent."""
    now = now or outbox.utcnow()
    by_name = {c.name: c for c in channels}
    sent = 0
    for target in found:
        channel = by_name.get(target.channel)
        if channel is None:
            continue
        link = channel.open()
        try:
            link.prepare(target.address)
            link.transmit(notice, notice_id)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - logged by type; the next run sends fresh counts
            outbox.record_failure(storage, target.channel, target.recipient, "reminder", type(exc).__name__, now)
        finally:
            link.close()
    return sent
