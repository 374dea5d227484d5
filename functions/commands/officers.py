"""``bvte officers``: the office's keyring — who the officers are, their keys and the communes each
handles. Every change is a new version signed with the root key; no deploy is needed."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import office_keys
from ..core.places import PlacesError, load_places
from ..keys import next_keyring_base
from .session import (ROOT_AUDIT_ID, Actor, PASSPHRASE_HELP, Session, data_dir_option, kdf_option, new_passphrase,
                      refuse_existing, root_key_option, storage_errors, vietnam_time, write_identity)


# The functions re-read the keyring every 30 seconds (functions/api/tips.py: KEYRING_SECONDS).
KEYRING_DELAY = "Máy chủ tiếp nhận áp dụng danh sách mới trong vòng một phút, không cần triển khai lại."


@click.group("officers", help="Danh sách cán bộ (khóa và các xã phụ trách), ký bằng khóa gốc của văn phòng.")
def group() -> None:
    pass


def _places(session: Session):
    try:
        return load_places(session.config.content_dir)
    except PlacesError as exc:
        raise click.ClickException(f"Không đọc được danh sách xã: {exc}") from None


def _communes(session: Session, communes: str | None, every: bool) -> tuple[str, ...]:
    if every == bool(communes):
        raise click.ClickException("Chọn đúng một trong hai: --communes id,id hoặc --all.")
    if every:
        return (office_keys.ALL_COMMUNES,)
    places = _places(session)
    chosen = [c.strip() for c in communes.split(",") if c.strip()]
    unknown = [c for c in chosen if places.get(c) is None]
    if unknown or not chosen:
        raise click.ClickException(f"Không có xã mã “{', '.join(unknown)}”. Các xã: "
                                   + ", ".join(c.id for c in places.communes) + ".")
    return tuple(dict.fromkeys(chosen))


def _publish(session: Session, keyring: office_keys.Keyring, root: office_keys.Identity) -> None:
    with storage_errors():
        try:
            office_keys.publish_keyring(session.storage, keyring, root)
        except office_keys.OfficeKeyError as exc:
            raise click.ClickException(str(exc)) from None


@group.command("add", help="Thêm cán bộ: tạo khóa riêng của cán bộ vào --key (mật khẩu riêng của cán bộ) và ký "
                           "phiên bản mới của danh sách bằng khóa gốc. Tin báo đến sau đó mở được bằng khóa này. "
                           + PASSPHRASE_HELP)
@click.argument("officer_id")
@click.option("--name", required=True, help="Họ tên cán bộ.")
@click.option("--communes", default=None, help="Mã các xã phụ trách, cách nhau bằng dấu phẩy (bvte communes list).")
@click.option("--all", "every", is_flag=True, help="Phụ trách mọi xã.")
@click.option("--email", default="", help="Thư điện tử (để báo có tin mới, không kèm nội dung).")
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Nơi ghi tệp khóa riêng MỚI của cán bộ (trên máy của cán bộ đó).")
@root_key_option
@kdf_option
@data_dir_option
def add(officer_id: str, name: str, communes: str | None, every: bool, email: str, key_path: Path,
        root_key: Path | None, kdf: str, data_dir: Path | None) -> None:
    session = Session(data_dir)
    try:
        office_keys.check_officer_id(officer_id)
    except office_keys.OfficeKeyError as exc:
        raise click.ClickException(str(exc)) from None
    if officer_id == ROOT_AUDIT_ID:
        raise click.ClickException(f"“{ROOT_AUDIT_ID}” là tên dành cho khóa gốc: chọn mã cán bộ khác.")
    if not name.strip():
        raise click.ClickException("Cần họ tên cán bộ (--name).")
    covered = _communes(session, communes, every)
    if session.keyring.officer(officer_id) is not None:
        raise click.ClickException(f"Đã có cán bộ {officer_id}: gỡ trước bằng `bvte officers remove` nếu cần khóa mới.")
    refuse_existing(key_path)
    root = session.unlock_root(root_key)  # before the new key exists: a wrong root passphrase leaves nothing behind
    identity = office_keys.Identity.generate()
    write_identity(key_path, identity, new_passphrase(f"Mật khẩu mới cho khóa của {officer_id}"), kdf)
    officer = office_keys.Officer(officer_id, name.strip(), covered, identity.verify_key, email.strip())
    keyring = next_keyring_base(session.storage, session.keyring).with_officer(officer)
    try:
        _publish(session, keyring, root)
    except click.ClickException:
        key_path.unlink()  # this command's own new file: unpublished, it opens nothing
        raise
    session.audit(Actor(root, None), "grant", officer_id)
    where = "mọi xã" if every else ", ".join(covered)
    click.echo(f"Đã thêm {officer_id} ({officer.name}; phụ trách: {where}) vào danh sách, phiên bản {keyring.version}.")
    click.echo(f"Khóa riêng của cán bộ: {key_path} (chỉ chủ tệp đọc được; mất khóa thì gỡ và thêm lại).")
    click.echo(KEYRING_DELAY)


@group.command("remove", help="Gỡ cán bộ khỏi danh sách (phiên bản mới ký bằng khóa gốc): tin báo đến sau đó "
                              "không còn mở được bằng khóa của cán bộ này. " + PASSPHRASE_HELP)
@click.argument("officer_id")
@root_key_option
@data_dir_option
def remove(officer_id: str, root_key: Path | None, data_dir: Path | None) -> None:
    session = Session(data_dir)
    if session.keyring.officer(officer_id) is None:
        raise click.ClickException(f"Không có cán bộ “{officer_id}” trong danh sách.")
    root = session.unlock_root(root_key)
    keyring = next_keyring_base(session.storage, session.keyring).without_officer(officer_id)
    _publish(session, keyring, root)
    click.echo(f"Đã gỡ {officer_id} khỏi danh sách, phiên bản {keyring.version}. Tin báo đến sau đó không mở "
               "được bằng khóa của cán bộ này; hồ sơ cũ muốn chuyển cho người khác: `bvte cases grant`.")
    click.echo(KEYRING_DELAY)


@group.command("list", help="Danh sách cán bộ đang có hiệu lực (kiểm chữ ký bằng khóa công khai gốc; không cần khóa riêng).")
@data_dir_option
def list_officers(data_dir: Path | None) -> None:
    session = Session(data_dir)
    keyring = session.keyring
    if not keyring.officers:
        click.echo("Chưa có cán bộ nào: tin báo chỉ mở được bằng khóa gốc. Thêm bằng `bvte officers add`.")
        return
    places = _places(session)
    click.echo(f"Danh sách phiên bản {keyring.version}, hiệu lực từ {vietnam_time(keyring.created)} (giờ Việt Nam):")
    for officer in keyring.officers:
        if office_keys.ALL_COMMUNES in officer.communes:
            where = "mọi xã"
        else:
            where = ", ".join(places.get(c).label if places.get(c) else c for c in officer.communes)
        email = f" · {officer.email}" if officer.email else ""
        key = office_keys.verify_key_text(officer.verify_key)[:12]
        click.echo(f"  {officer.id:<24} {officer.name} · {where}{email} · khóa {key}…")
