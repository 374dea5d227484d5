"""``bvte cases``: the case records an officer can open — list, read, and write signed events (internal
notes, messages to the reporter, the public status, withdrawals, handover). A case is named by its
case number (``2026-0007``). Every access and write is appended to the officer's audit log."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import click

from ..core import cases, office_keys, reporter_messages
from ..core.places import PlacesError, load_places
from ..core.text import fold, normalise
from ..core.tip_validation import load_categories
from ..storage import NotFound
from ..storage.files import create_file
from .session import PASSPHRASE_HELP, Actor, Session, data_dir_option, key_option, storage_errors, vietnam_time

STATE_HELP = ", ".join(f"{code} ({label})" for code, label in cases.PUBLIC_STATES.items())
GAP_TEXT = "số bị bỏ trống (lần ghi thất bại)"
UNKNOWN_PLACE = "Không rõ xã"


@dataclass
class Context:
    session: Session
    actor: Actor


@click.group("cases", help="Hồ sơ tin báo mà khóa của bạn mở được (giải mã trên máy này). " + PASSPHRASE_HELP)
def group() -> None:
    pass


def officer_command(function):
    """``--data-dir`` and ``--key`` on every subcommand; the function gets ``(session, key path)`` first."""

    @data_dir_option
    @key_option
    @functools.wraps(function)
    def command(data_dir: Path | None, key_path: Path | None, **kwargs):
        return function((Session(data_dir), key_path), **kwargs)

    return command


def _open_session(obj) -> Context:
    session, key_path = obj
    return Context(session, session.unlock(key_path))


# -- labels ----------------------------------------------------------------------------------------------

def _labels(session: Session) -> tuple[dict[str, str], object | None]:
    try:
        categories = {c.id: c.label for c in load_categories(session.config.content_dir)}
    except ValueError:
        categories = {}
    try:
        places = load_places(session.config.content_dir)
    except PlacesError:
        places = None
    return categories, places


def commune_text(places, fields: dict) -> str:
    """Today's name of the commune, plus what the reporter typed when that was something else:
    "xã Búng Lao (người báo ghi: Ẳng Tở)"."""
    commune_id = str(fields.get("commune", ""))
    commune = places.get(commune_id) if places is not None else None
    shown = commune.label if commune else (UNKNOWN_PLACE if commune_id == office_keys.UNKNOWN_COMMUNE else commune_id)
    typed = str(fields.get("commune_as_typed", "")).strip()
    same = {fold(commune_id), fold(commune_id.replace("-", " ")), fold(shown)}
    if commune:
        same |= {fold(commune.name)}
    if commune_id == office_keys.UNKNOWN_COMMUNE:
        same |= {fold("không rõ"), fold("không biết")}
    if typed and fold(typed) not in same:
        return f"{shown} (người báo ghi: {typed})"
    return shown


def canonical_number(text: str) -> str:
    try:
        year, number = text.strip().split("-")
        return f"{int(year)}-{int(number):04d}"
    except ValueError:
        raise click.ClickException(f"Số hồ sơ có dạng NĂM-SỐ, ví dụ 2026-0007 (nhận được “{text}”).") from None


def _number_key(number: str) -> tuple[int, int]:
    year, seq = number.split("-")
    return int(year), int(seq)


# -- opening ------------------------------------------------------------------------------------------------

@dataclass
class Opened:
    number: str
    case: cases.Case
    events: list[cases.Event]
    state: cases.CaseState


def _open(ctx: Context, case_number: str, action: str = "open_case") -> Opened:
    """Find and decrypt one case for the acting key; ``action`` is audited before anything is decrypted."""
    number = canonical_number(case_number)
    session, actor = ctx.session, ctx.actor
    with storage_errors():
        try:
            tip_id = cases.find_case(session.storage, number)
            session.audit(actor, action, number)
            case = cases.open_case(session.storage, tip_id, actor.identity, actor.officer_id)
        except cases.CaseError as exc:
            raise click.ClickException(str(exc)) from None
        events = cases.read_events(session.storage, case, session.root, session.versions)
    return Opened(number, case, events, cases.replay(events))


def _readable(ctx: Context) -> tuple[list[dict], int]:
    """Every case the acting key opens, as list rows, and how many reports are still of the first format."""
    session, actor = ctx.session, ctx.actor
    categories, places = _labels(session)
    opened_before = {e.get("subject") for e in _own_entries(session, actor) if e.get("action") == "open_case"}
    rows, legacy = [], 0
    with storage_errors():
        for tip_id in cases.tip_ids(session.storage):
            if not session.storage.exists(cases.record_keys(tip_id)[0]):
                legacy += 1
                continue
            try:
                case = cases.open_case(session.storage, tip_id, actor.identity, actor.officer_id)
            except cases.CaseError:
                continue  # not sealed or granted to this key
            events = cases.read_events(session.storage, case, session.root, session.versions)
            state = cases.replay(events)
            unread_messages = reporter_messages.unread(reporter_messages.message_times(session.storage, tip_id),
                                                       events, actor.author)
            fields = case.fields
            rows.append({
                "case_number": case.case_number, "received": case.received,
                "received_vietnam": vietnam_time(case.received),
                "commune": fields.get("commune", ""), "commune_as_typed": fields.get("commune_as_typed", ""),
                "commune_label": commune_text(places, fields),
                "category": fields.get("category", ""),
                "category_label": categories.get(fields.get("category"), fields.get("category", "")),
                "urgent": bool(fields.get("urgent")), "public_status": state.public_status,
                "public_status_label": cases.PUBLIC_STATES[state.public_status], "closed": state.closed,
                "unread": case.case_number not in opened_before, "unverified_events": len(state.unverified),
                "conflicts": len(state.conflicts), "gap": False, "unread_messages": unread_messages,
            })
    return rows, legacy


def _own_entries(session: Session, actor: Actor) -> list[dict]:
    """The acting key's own audit entries: a case this key never opened is shown as unread."""
    from ..core import audit

    with storage_errors():
        return audit.entries(session.storage, actor.audit_id)


# -- commands -------------------------------------------------------------------------------------------------

@group.command("list", help="Các hồ sơ bạn mở được, mới nhất trước: số hồ sơ, giờ nhận (giờ Việt Nam), xã, loại, "
                            "mức gấp, trạng thái công khai, đã đóng, chưa đọc; cả các số bị bỏ trống.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON (được ghi vào nhật ký như một lần xuất dữ liệu).")
@officer_command
def list_cases(obj, as_json: bool) -> None:
    ctx = _open_session(obj)
    rows, legacy = _readable(ctx)
    with storage_errors():
        gap_rows = [{"case_number": g.case_number, "gap": True}
                    for g in cases.gaps(ctx.session.storage, cases.case_numbers(ctx.session.storage))]
    every = sorted(rows + gap_rows, key=lambda r: _number_key(r["case_number"]) if r["case_number"] else (0, 0),
                   reverse=True)
    if as_json:
        ctx.session.audit(ctx.actor, "export")
        click.echo(json.dumps({"cases": every, "legacy_reports": legacy}, ensure_ascii=False, indent=1))
        return
    if every:
        _print_rows(every)
        click.echo(f"{len(rows)} hồ sơ bạn mở được." + (f" {len(gap_rows)} số bị bỏ trống." if gap_rows else ""))
    else:
        click.echo("Chưa có hồ sơ nào bạn mở được.")
    if legacy:
        click.echo(f"{legacy} tin báo lưu theo cách cũ chưa chuyển: chạy `bvte office migrate`.")


def _print_rows(every: list[dict]) -> None:
    click.echo(f"{'Số hồ sơ':<10} {'Nhận lúc (giờ VN)':<17} {'Gấp':<4} {'Công khai':<14} {'Đóng':<5} "
               f"{'Chưa đọc':<9} Loại · Xã")
    for row in every:
        if row["gap"]:
            click.echo(f"{row['case_number']} — {GAP_TEXT}")
            continue
        marks = " · ⚠ có sự kiện không xác thực" if row["unverified_events"] else ""
        marks += " · ⚠ xung đột" if row["conflicts"] else ""
        marks += f" · ✉ {row['unread_messages']} tin nhắn mới của người báo tin" if row.get("unread_messages") else ""
        click.echo(f"{row['case_number']:<10} {row['received_vietnam']:<17} {'GẤP' if row['urgent'] else '':<4} "
                   f"{row['public_status_label']:<14} {'đóng' if row['closed'] else '':<5} "
                   f"{'chưa đọc' if row['unread'] else '':<9} {row['category_label']} · {row['commune_label']}{marks}")


def _event_text(event: cases.Event) -> str:
    payload, kind = event.payload, event.kind
    if kind == "note":
        return str(payload.get("text", ""))
    if kind == "reply":
        return f"[tin nhắn {payload.get('message_id', '?')}] {payload.get('text', '')}"
    if kind == "withdraw":
        return f"rút tin nhắn {payload.get('message_id', '?')} — lý do: {payload.get('reason', '')}"
    if kind == "status":
        return cases.PUBLIC_STATES.get(payload.get("state"), str(payload.get("state", "")))
    if kind in ("grant", "assign"):
        return str(payload.get("officer", ""))
    if kind == "step":
        return f"bước {payload.get('step', '?')}"
    return ", ".join(f"{k}: {v}" for k, v in payload.items()) if payload else ""


def _author(event: cases.Event) -> str:
    return "khóa gốc" if event.author == cases.ROOT else event.author


def _short(event: cases.Event) -> str:
    return f"{vietnam_time(event.time)} {_author(event)} ({cases.KINDS.get(event.kind, event.kind)})"


def _summary(opened: Opened, session: Session) -> list[tuple[str, str]]:
    case, state, fields = opened.case, opened.state, opened.case.fields
    categories, places = _labels(session)
    holders = sorted({h.split("/", 1)[-1] for h in case.holders} | set(state.granted))
    lines = [
        ("Số hồ sơ", opened.number), ("Nhận lúc", f"{vietnam_time(case.received)} (giờ Việt Nam)"),
        ("Trạng thái công khai", cases.PUBLIC_STATES[state.public_status]),
        ("Hồ sơ", "đã đóng" if state.closed else "đang mở"),
        ("Gấp", "có" if fields.get("urgent") else "không"),
        ("Loại", categories.get(fields.get("category"), fields.get("category", ""))),
        ("Xã", commune_text(places, fields)),
        ("Nơi cụ thể", fields.get("location_detail") or "—"),
        ("Tuổi của trẻ", "—" if fields.get("child_age") is None else str(fields["child_age"])),
        ("Người báo tin", fields.get("reporter_name") or "(không để tên)"),
        ("Điện thoại", fields.get("reporter_phone") or "(không để số)"),
        ("Người mở được", ", ".join("khóa gốc" if h == cases.ROOT else h for h in holders)),
    ]
    return lines + ([("Phân công", state.assigned)] if state.assigned else [])


def _print_history(opened: Opened) -> None:
    """Every event, those that do not verify marked and not counted; withdrawals and conflicts spelled out."""
    click.echo("Diễn biến:" if opened.events else "Diễn biến: chưa có.")
    for event in opened.events:
        text = _event_text(event)
        line = f"  {vietnam_time(event.time) if event.time else '?':<16} {_author(event):<20} {event.label}"
        line += f": {text}" if text else ""
        if not event.verified:
            line += f" — {event.problem}, không được tính"
        click.echo(line)
    for reply in opened.state.replies:
        if reply["withdrawn"]:
            w = reply["withdrawn"]
            click.echo(f"Tin nhắn {reply['message_id']} đã rút lúc {vietnam_time(w['time'])} bởi {w['by']}: "
                       f"{w['reason']} (người báo tin không còn thấy).")
    for first, second in opened.state.conflicts:
        click.echo(f"XUNG ĐỘT: {_short(first)} và {_short(second)} cùng nối tiếp một sự kiện (hai người ghi cùng "
                   "lúc). Cả hai được giữ và tính; hãy xem lại.")


def _print_case(opened: Opened, session: Session) -> None:
    for name, value in _summary(opened, session):
        click.echo(f"{name + ':':<22} {value}")
    click.echo("Mô tả:")
    for line in str(opened.case.fields.get("description", "")).splitlines():
        click.echo("  " + line)
    click.echo(f"Tệp đính kèm: {len(opened.case.attachments)}")
    for a in opened.case.attachments:
        click.echo(f"  {a.get('name')} ({a.get('content_type')}, {a.get('size', 0):,} byte)".replace(",", "."))
    _print_history(opened)


@group.command("show", help="Toàn bộ một hồ sơ: nội dung, tệp đính kèm, diễn biến (sự kiện “không xác thực” "
                            "được đánh dấu và không được tính).")
@click.argument("case_number")
@click.option("--save-attachments", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Lưu tệp đính kèm (đã giải mã) vào thư mục này.")
@officer_command
def show(obj, case_number: str, save_attachments: Path | None) -> None:
    ctx = _open_session(obj)
    opened = _open(ctx, case_number)
    _print_case(opened, ctx.session)
    _mark_opened(ctx.session, opened.case.tip_id)
    messages = _print_reporter_messages(ctx, opened)
    if save_attachments is None:
        return
    _save_message_attachments(ctx, opened, messages, save_attachments)
    save_attachments.mkdir(parents=True, exist_ok=True)
    for a in opened.case.attachments:
        target = save_attachments / f"{opened.number}-{_safe_name(a)}"
        _save_decrypted(ctx, opened, a, target, lambda a=a: cases.read_attachment(ctx.session.storage, opened.case, a))


def _safe_name(attachment: dict) -> str:
    """The name the record gives, last part only, so a saved file cannot leave the chosen folder."""
    return str(attachment.get("name", "")).replace("\\", "/").rsplit("/", 1)[-1].lstrip(".") or "tep"


def _save_decrypted(ctx: Context, opened: Opened, attachment: dict, target: Path, read) -> None:
    """One attachment decrypted into ``target`` (0600, never over an existing file); audited first."""
    if target.exists():
        raise click.ClickException(f"{target} đã có: không ghi đè.")
    ctx.session.audit(ctx.actor, "save_attachment", opened.number)
    with storage_errors():
        try:
            data = read()
        except (NotFound, cases.CaseError, ValueError) as exc:
            raise click.ClickException(f"Không đọc được {attachment.get('name')}: {type(exc).__name__}") from None
    try:
        create_file(target, data, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{target} đã có: không ghi đè.") from None
    click.echo(f"Đã lưu {target}")


def _print_reporter_messages(ctx: Context, opened: Opened) -> list:
    """The receipt holder's messages (new ones since this key's last read marker flagged), then a signed
    "messages_read" event up to the newest: shown here means read. The marker is audited as a write."""
    session, actor = ctx.session, ctx.actor
    with storage_errors():
        messages = reporter_messages.read_messages(session.storage, opened.case, actor.identity, actor.officer_id)
    if not messages:
        return messages
    until = reporter_messages.last_read(opened.events, actor.author)
    click.echo(f"Tin nhắn của người báo tin: {len(messages)}")
    for message in messages:
        mark = "MỚI " if message.time > until else ""
        text = message.text if message.readable else "(khóa của bạn không mở được tin nhắn này)"
        files = f" [{len(message.attachments)} tệp]" if message.attachments else ""
        click.echo(f"  {mark}{vietnam_time(message.time)}: {text}{files}")
    times = [m.time for m in messages]
    if max(times) > until:
        session.audit(actor, "write_event", opened.number)
        with storage_errors():
            reporter_messages.mark_read(session.storage, opened.case, actor.author, actor.identity, times,
                                        opened.events)
    return messages


def _save_message_attachments(ctx: Context, opened: Opened, messages: list, folder: Path) -> None:
    """Each readable message's attachments, decrypted, as ``<number>-tin-nhan-tep-<n>.<ext>``."""
    for message in (m for m in messages if m.readable):
        for a in message.attachments:
            target = folder / f"{opened.number}-{message.key.rsplit('/', 1)[-1][:8]}-{_safe_name(a)}"
            _save_decrypted(ctx, opened, a, target,
                            lambda m=message, a=a: reporter_messages.read_attachment(ctx.session.storage, m, a))


def _mark_opened(session: Session, tip_id: str) -> None:
    """Tell the server an officer opened the case (non-secret: no 12-hour "not opened" reminder then)."""
    from ..notifications import mark_opened
    from ..storage import StorageError

    try:
        mark_opened(session.storage, tip_id)
    except StorageError as exc:
        click.echo(f"Cảnh báo: chưa ghi được dấu “đã mở” ({type(exc).__name__}): có thể vẫn nhận lời nhắc hạn.", err=True)


def _write(obj, case_number: str, act, done: str, action: str = "write_event") -> None:
    """Open the case, append one signed event after what was read, confirm. The write is audited before
    the case is decrypted: a write that then fails is logged as tried, a write is never unlogged."""
    ctx = _open_session(obj)
    opened = _open(ctx, case_number, action=action)
    with storage_errors():
        try:
            act(ctx, opened)
        except cases.CaseError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{opened.number}: {done}")


@group.command("note", help="Ghi chú nội bộ (chỉ cán bộ mở được hồ sơ đọc được; người báo tin không bao giờ thấy).")
@click.argument("case_number")
@click.option("--text", required=True, help="Nội dung ghi chú.")
@officer_command
def note(obj, case_number: str, text: str) -> None:
    text = normalise(text)
    if not text.strip():
        raise click.ClickException("Ghi chú trống.")
    _write(obj, case_number, lambda ctx, o: cases.write_event(
        ctx.session.storage, o.case, ctx.actor.author, ctx.actor.identity, "note", {"text": text}, o.events),
        "đã ghi chú nội bộ.")


@group.command("reply", help="Nhắn cho người báo tin: họ đọc được khi tra cứu bằng mã tin báo.")
@click.argument("case_number")
@click.option("--text", required=True, help="Nội dung tin nhắn.")
@officer_command
def reply(obj, case_number: str, text: str) -> None:
    _write(obj, case_number, lambda ctx, o: cases.reply(
        ctx.session.storage, o.case, ctx.actor.author, ctx.actor.identity, normalise(text), o.events),
        "đã gửi tin nhắn cho người báo tin.")


@group.command("withdraw", help="Rút lại một tin nhắn đã gửi (mã tin nhắn: xem `bvte cases show`): người báo tin "
                                "không còn thấy; hồ sơ giữ lại tin nhắn, ai rút và vì sao.")
@click.argument("case_number")
@click.argument("message_id")
@click.option("--reason", required=True, help="Lý do rút lại.")
@officer_command
def withdraw(obj, case_number: str, message_id: str, reason: str) -> None:
    _write(obj, case_number, lambda ctx, o: cases.withdraw(
        ctx.session.storage, o.case, ctx.actor.author, ctx.actor.identity, message_id, normalise(reason), o.events),
        f"đã rút tin nhắn {message_id}.")


@group.command("status", help=f"Đặt trạng thái công khai mà người báo tin thấy. Trạng thái: {STATE_HELP}.")
@click.argument("case_number")
@click.argument("state", type=click.Choice(list(cases.PUBLIC_STATES)))
@officer_command
def status(obj, case_number: str, state: str) -> None:
    _write(obj, case_number, lambda ctx, o: cases.set_public_status(
        ctx.session.storage, o.case, ctx.actor.author, ctx.actor.identity, state, o.events),
        f"trạng thái công khai → {cases.PUBLIC_STATES[state]}.")


@group.command("close", help="Đóng hồ sơ (nội bộ; trạng thái người báo tin thấy đặt bằng `status`).")
@click.argument("case_number")
@officer_command
def close(obj, case_number: str) -> None:
    _write(obj, case_number, lambda ctx, o: cases.write_event(
        ctx.session.storage, o.case, ctx.actor.author, ctx.actor.identity, "close", {}, o.events), "đã đóng hồ sơ.")


@group.command("reopen", help="Mở lại hồ sơ đã đóng.")
@click.argument("case_number")
@officer_command
def reopen(obj, case_number: str) -> None:
    _write(obj, case_number, lambda ctx, o: cases.write_event(
        ctx.session.storage, o.case, ctx.actor.author, ctx.actor.identity, "reopen", {}, o.events), "đã mở lại hồ sơ.")


@group.command("grant", help="Chia sẻ hồ sơ cho một cán bộ khác (bàn giao): khóa của hồ sơ được niêm phong cho "
                             "người đó; việc chia sẻ được ghi vào hồ sơ.")
@click.argument("case_number")
@click.argument("officer_id")
@officer_command
def grant(obj, case_number: str, officer_id: str) -> None:
    session, _ = obj
    colleague = session.keyring.officer(officer_id)
    if colleague is None:
        raise click.ClickException(f"Không có cán bộ “{officer_id}” trong danh sách (bvte officers list).")

    def act(ctx: Context, opened: Opened) -> None:
        if f"officer/{officer_id}" in opened.case.holders or officer_id in opened.state.granted:
            raise cases.CaseError(f"{officer_id} đã mở được hồ sơ này.")
        cases.grant(session.storage, opened.case, ctx.actor.author, ctx.actor.identity, colleague, opened.events)

    _write(obj, case_number, act, f"đã chia sẻ cho {officer_id}.", action="grant")


# -- the register (the console's twin: functions/console/documents.py) ---------------------------------------

def _write_new(path: Path, data: bytes) -> None:
    try:
        create_file(path, data)
    except FileExistsError:
        raise click.ClickException(f"Tệp {path} đã có: chọn tên khác (không ghi đè).") from None
    click.echo(f"Đã ghi {path}")


@group.command("register", help="Sổ theo dõi hồ sơ nhận trong một năm (số hồ sơ, thời điểm nhận, xã, loại việc, bước, "
                                "các thời hạn — không có tên, không có nội dung tin báo) và tỷ lệ tiêu chí 6 "
                                "(kế hoạch được phê duyệt kịp thời), ghi ra XLSX (và CSV). Được ghi vào nhật ký "
                                "như một lần xuất dữ liệu.")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Năm nhận tin báo, ví dụ 2026.")
@click.option("--xlsx", "xlsx_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Tệp XLSX mới: sổ theo dõi và tiêu chí 6.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Tệp CSV mới (UTF-8): sổ theo dõi.")
@officer_command
def register(obj, year: int, xlsx_path: Path, csv_path: Path | None) -> None:
    from datetime import datetime, timezone

    from ..console.casefile import load_references, readable_cases
    from ..core.case_register import build_register

    ctx = _open_session(obj)
    refs = load_references(ctx.session.config.content_dir)
    communes = {c.id: c.label for c in refs.places.communes} if refs.places is not None else {}
    with storage_errors():
        ctx.session.audit(ctx.actor, "export")
        files = readable_cases(ctx.session, ctx.actor, refs, datetime.now(timezone.utc))
    book = build_register(files, year, refs.clocks, refs.categories, communes)
    _write_new(xlsx_path, book.xlsx())
    if csv_path:
        _write_new(csv_path, book.csv().encode("utf-8-sig"))  # BOM: Excel reads UTF-8
    click.echo(f"{len(book.rows)} hồ sơ nhận trong năm {year}. Tiêu chí 6: {book.figure.text}")
