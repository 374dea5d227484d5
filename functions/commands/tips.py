"""``bvte tips``: read and handle reports on the officer's computer (decrypted here, never on the server)."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import Config
from ..core import crypto, tips
from ..core.tip_validation import load_categories
from ..keys import DEV_PASSPHRASE, PRIVATE_NAME, is_dev_key, keys_dir
from ..storage import NotFound, StorageError, open_storage
from ..storage.files import create_file
from .session import PASSPHRASE_FILE
from .session import passphrase as read_passphrase

STATE_HELP = ", ".join(f"{code} ({label})" for code, label in tips.STATES.items())


class Officer:
    """Storage and the unlocked private key, opened once per command."""

    def __init__(self, data_dir: Path | None, private_key: Path | None):
        overrides = {"data_dir": data_dir} if data_dir else {}
        self.config = Config.from_env(**overrides)
        self.storage = open_storage(self.config)
        self.key_path = private_key or keys_dir(self.config) / PRIVATE_NAME
        self._key = None

    @property
    def key(self):
        if self._key is None:
            try:
                data = Path(self.key_path).read_bytes()
            except OSError:
                raise click.ClickException(f"Không đọc được khóa riêng {self.key_path} (dùng --private-key "
                                           "hoặc BVTE_PRIVATE_KEY).") from None
            # From the file BVTE_PASSPHRASE_FILE names, or asked: never the passphrase itself in the environment.
            hint = f" (khóa phát triển: {DEV_PASSPHRASE})" if is_dev_key(self.key_path) else ""
            passphrase = read_passphrase(PASSPHRASE_FILE, f"Mật khẩu của khóa riêng{hint}")
            try:
                self._key = crypto.unlock_private_key(data, passphrase)
            except crypto.CryptoError as exc:
                raise click.ClickException(str(exc)) from None
        return self._key

    def find(self, prefix: str) -> str:
        ids = tips.tip_ids(self.storage)
        matches = [i for i in ids if i.startswith(prefix.lower())] if len(prefix) >= 6 else \
            [i for i in ids if i == prefix]
        if len(matches) != 1:
            raise click.ClickException(
                f"Không có tin báo mã {prefix}." if not matches else f"Mã {prefix} khớp {len(matches)} tin báo: gõ dài hơn.")
        return matches[0]

    def read(self, tip_id: str) -> tips.Tip:
        try:
            return tips.read(self.storage, self.key, tip_id)
        except crypto.CryptoError as exc:
            raise click.ClickException(str(exc)) from None


def _category_labels(config: Config) -> dict[str, str]:
    try:
        return {c.id: c.label for c in load_categories(config.content_dir)}
    except ValueError:
        return {}


@click.group("tips", help="Đọc và xử lý tin báo (giải mã trên máy này bằng khóa riêng).")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="BVTE_DATA_DIR", default=None,
              help="Thư mục dữ liệu (lưu trữ cục bộ).")
@click.option("--private-key", type=click.Path(path_type=Path), envvar="BVTE_PRIVATE_KEY", default=None,
              help="Tệp khóa riêng (mặc định: <thư mục dữ liệu>/keys/office.key).")
@click.pass_context
def group(ctx: click.Context, data_dir: Path | None, private_key: Path | None) -> None:
    ctx.obj = Officer(data_dir, private_key)


@group.command("list", help="Danh sách tin báo, mới nhất trước: thời gian, loại, xã, mức gấp, tình trạng.")
@click.pass_obj
def list_tips(officer: Officer) -> None:
    try:
        ids = tips.tip_ids(officer.storage)
        if not ids:
            click.echo("Chưa có tin báo nào.")
            return
        rows = [officer.read(i) for i in ids]
    except StorageError as exc:
        raise click.ClickException(f"Không đọc được kho lưu trữ: {type(exc).__name__}") from None
    labels = _category_labels(officer.config)
    rows.sort(key=lambda t: t.received, reverse=True)
    click.echo(f"{'Nhận lúc (UTC)':<20} {'Mã':<12} {'Gấp':<4} {'Tình trạng':<14} {'Xã':<12} Loại")
    for t in rows:
        f = t.fields
        click.echo(f"{t.received[:16].replace('T', ' '):<20} {t.id[:10]:<12} {'GẤP' if f.get('urgent') else '':<4} "
                   f"{tips.STATES[t.status]:<14} {f.get('commune', ''):<12} {labels.get(f.get('category'), f.get('category'))}")
    click.echo(f"{len(rows)} tin báo.")


@group.command("show", help="Toàn bộ một tin báo (mã: 6 ký tự đầu trở lên).")
@click.argument("tip")
@click.option("--save-attachments", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Lưu tệp đính kèm (đã giải mã) vào thư mục này.")
@click.pass_obj
def show(officer: Officer, tip: str, save_attachments: Path | None) -> None:
    t = officer.read(officer.find(tip))
    f = t.fields
    labels = _category_labels(officer.config)
    lines = [
        ("Mã", t.id), ("Nhận lúc (UTC)", t.received), ("Tình trạng", tips.STATES[t.status]),
        ("Gấp", "có" if f.get("urgent") else "không"),
        ("Loại", labels.get(f.get("category"), f.get("category"))), ("Xã", f.get("commune")),
        ("Nơi cụ thể", f.get("location_detail") or "—"),
        ("Tuổi của trẻ", "—" if f.get("child_age") is None else str(f["child_age"])),
        ("Người báo tin", f.get("reporter_name") or "(không để tên)"),
        ("Điện thoại", f.get("reporter_phone") or "(không để số)"),
    ]
    for name, value in lines:
        click.echo(f"{name + ':':<16} {value}")
    click.echo("Mô tả:")
    for line in f.get("description", "").splitlines():
        click.echo("  " + line)
    click.echo(f"Tệp đính kèm: {len(t.attachments)}")
    for a in t.attachments:
        click.echo(f"  {a['name']} ({a['content_type']}, {a['size']:,} byte)".replace(",", "."))
    if t.events:
        click.echo("Diễn biến:")
        for e in t.events:
            state = tips.STATES.get(e.get("state"), "")
            click.echo(f"  {e['time']} {state}" + (f" — lời nhắn: {e['message']}" if e.get("message") else ""))
    if save_attachments is not None:
        save_attachments.mkdir(parents=True, exist_ok=True)
        for a in t.attachments:
            # The name comes from the stored record, which anyone who can write to storage can forge
            # (the public key is public): only its last part, so it cannot leave the chosen folder.
            name = str(a["name"]).replace("\\", "/").rsplit("/", 1)[-1].lstrip(".") or "tep"
            target = save_attachments / f"{t.id[:10]}-{name}"
            try:
                create_file(target, tips.read_attachment(officer.storage, officer.key, a), 0o600)
            except FileExistsError:
                raise click.ClickException(f"{target} đã có: không ghi đè.") from None
            except (NotFound, crypto.CryptoError) as exc:
                raise click.ClickException(f"Không đọc được {a['name']}: {exc}") from None
            click.echo(f"Đã lưu {target}")


@group.command("status", help=f"Ghi tình trạng mới và (tuỳ chọn) lời nhắn cho người báo tin. Tình trạng: {STATE_HELP}.")
@click.argument("tip")
@click.argument("state", type=click.Choice(list(tips.STATES)))
@click.option("--message", default="", help="Lời nhắn người báo tin đọc được khi tra cứu bằng mã tin báo.")
@click.pass_obj
def status(officer: Officer, tip: str, state: str, message: str) -> None:
    from ..core.text import normalise

    t = officer.read(officer.find(tip))
    try:
        tips.add_event(officer.storage, t, state, normalise(message))
    except StorageError as exc:
        raise click.ClickException(f"Không ghi được: {type(exc).__name__}") from None
    click.echo(f"Đã ghi: {t.id[:10]} → {tips.STATES[state]}" + (" (kèm lời nhắn)" if message else ""))
