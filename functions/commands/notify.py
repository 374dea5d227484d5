"""``bvte notify``: deliver the queued notices once (cron, tests), show what could not be delivered, and the
officer-side deadline reminder (``remind``: counts only, computed where the officer's key is)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from ..notifications import outbox
from .session import PASSPHRASE_HELP, Actor, Session, data_dir_option, key_option, storage_errors, vietnam_time

REASONS = {"unreachable": "không kết nối được", "refused": "bị từ chối", "uncertain": "bị gián đoạn, không chắc đã gửi",
           "expired": "đã thử lại 12 giờ, thôi gửi", "reminder": "nhắc hạn không gửi được"}


@click.group("notify", help="Thông báo cho cán bộ (không bao giờ kèm nội dung tin báo): gửi, xem lỗi, nhắc hạn.")
def group() -> None:
    pass


def _channels(config) -> list:
    from ..notifications.channels import ChannelError, configured_channels

    try:
        return configured_channels(config)
    except ChannelError as exc:
        raise click.ClickException(str(exc)) from None


@group.command("send", help="Gửi một lượt các thông báo đang chờ (để chạy bằng cron hoặc Task Scheduler).")
@data_dir_option
def send(data_dir: Path | None) -> None:
    from ..notifications.sender import deliver_once

    session = Session(data_dir)
    channels = _channels(session.config)
    if not channels:
        raise click.ClickException("Chưa cấu hình kênh nào: đặt BVTE_SMTP_HOST, BVTE_WEBHOOK_URL hoặc "
                                   "BVTE_NOTIFY_SNS_TOPIC_ARN.")
    with storage_errors():
        done = deliver_once(session.storage, session.config, channels=channels)
    click.echo(f"Đã gửi {done.delivered} thông báo; lập {done.planned} lượt mới; {done.failed} lần không gửi được; "
               f"{done.waiting} đang chờ (gộp hoặc thử lại sau).")


@group.command("status", help="Các kênh đã cấu hình và những thông báo không gửi được trong 7 ngày qua.")
@data_dir_option
def status(data_dir: Path | None) -> None:
    session = Session(data_dir)
    names = [c.name for c in _channels(session.config)]
    click.echo("Kênh: " + (", ".join(names) if names else "chưa cấu hình kênh nào"))
    with storage_errors():
        failures = outbox.delivery_failures(session.storage)
    if not failures:
        click.echo("Không có thông báo nào bị lỗi trong 7 ngày qua.")
        return
    click.echo(f"{outbox.FAILURE_LABEL.capitalize()} ({len(failures)} lần):")
    for failure in failures:
        click.echo(f"  {vietnam_time(failure.get('at', ''))} · {failure.get('channel', '?')} · "
                   f"{failure.get('recipient', '?')} · {REASONS.get(failure.get('reason'), failure.get('reason', '?'))}")


# -- the officer-side reminder ------------------------------------------------------------------------------

def deadline_counts(session: Session, actor: Actor, now: datetime) -> tuple[int, int]:
    """(due within 24 hours, overdue) over the open cases this key opens, at ``now``."""
    from ..core import cases, clocks, case_steps
    from ..core.forms import load_forms
    from ..core.workdays import default_calendar
    from ..core.case_clocks import case_facts
    from ..notifications.deadlines import tally

    catalogue, rules, calendar = load_forms(session.config.content_dir), clocks.load_clocks(), default_calendar()
    every = []
    with storage_errors():
        for tip_id in cases.tip_ids(session.storage):
            if not session.storage.exists(cases.record_keys(tip_id)[0]):
                continue  # a report of the first format: no case record, no clocks
            try:
                case = cases.open_case(session.storage, tip_id, actor.identity, actor.officer_id)
            except cases.CaseError:
                continue  # not sealed or granted to this key
            state = case_steps.replay_steps(cases.read_events(session.storage, case, session.root, session.versions),
                                            catalogue).state
            if state.open:
                every.append(clocks.deadlines(rules, case_facts(case.received, state), now, calendar))
    return tally(every)


def _reminder_targets(session: Session, actor: Actor, names: set[str]) -> list:
    from ..notifications.recipients import OFFICE, Target, address_id, notify_to

    officer = session.keyring.officer(actor.officer_id) if actor.officer_id else None
    found = []
    if "smtp" in names:
        if officer is not None and officer.email:
            found.append(Target("smtp", officer.id, officer.email))
        else:
            found += [Target("smtp", address_id(a), a) for a in notify_to(session.config)]
    if "webhook" in names:
        found.append(Target("webhook", actor.officer_id or OFFICE, actor.officer_id or OFFICE))
    if "sns" in names:
        found.append(Target("sns", OFFICE, OFFICE))
    return found


@group.command("remind", help="Đếm việc sắp đến hạn trong 24 giờ và việc quá hạn trong các hồ sơ khóa này mở được, "
                              "rồi gửi riêng hai con số đó cho cán bộ (chạy hằng ngày bằng cron hoặc Task Scheduler). "
                              + PASSPHRASE_HELP)
@data_dir_option
@key_option
def remind(data_dir: Path | None, key_path: Path | None) -> None:
    from ..notifications.messages import deadlines_notice
    from ..notifications.sender import send_now

    session = Session(data_dir)
    actor = session.unlock(key_path)
    now = datetime.now(timezone.utc)
    soon, overdue = deadline_counts(session, actor, now)
    click.echo(f"{soon} việc sắp đến hạn trong 24 giờ, {overdue} việc quá hạn.")
    if soon == 0 and overdue == 0:
        click.echo("Không có việc nào sắp đến hạn: không gửi thông báo.")
        return
    channels = _channels(session.config)
    found = _reminder_targets(session, actor, {c.name for c in channels})
    if not found:
        raise click.ClickException("Không có kênh hoặc địa chỉ nào để gửi: xem BVTE_SMTP_*, BVTE_NOTIFY_TO, "
                                   "BVTE_WEBHOOK_URL, hoặc `bvte officers add --email`.")
    notice_id = f"remind.{actor.audit_id}.{now:%Y%m%d%H%M}"
    sent = send_now(session.storage, channels, found, deadlines_notice(soon, overdue), notice_id, now)
    click.echo(f"Đã gửi {sent}/{len(found)} thông báo nhắc hạn.")
    if sent < len(found):
        raise SystemExit(1)
