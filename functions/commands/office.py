"""``bvte office``: the office root ("recovery") key — create it once, restore it from paper, and move
reports of the first format (sealed to the single office key) onto the keyring."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..core import cases, crypto, office_keys, tips
from ..keys import ROOT_PUBLIC_NAME
from ..storage.files import create_file
from .session import (PASSPHRASE_FILE, PASSPHRASE_HELP, Actor, Session, data_dir_option, kdf_option, new_passphrase,
                      passphrase, read_key_file, refuse_existing, root_key_option, storage_errors, write_identity)

DEFAULT_ROOT_KEY = Path("office-root.key")


@click.group("office", help="Khóa gốc của văn phòng (khóa khôi phục, cất ngoại tuyến): tạo, khôi phục, chuyển tin báo cũ.")
def group() -> None:
    pass


def _public_path(session: Session) -> Path:
    return session.keys_dir / ROOT_PUBLIC_NAME


def _print_public(public: str) -> None:
    click.echo("Khóa công khai của văn phòng (không bí mật):")
    click.echo(f"  {public}")
    click.echo("Trên máy chủ chạy thật, đặt biến môi trường:")
    click.echo(f"  BVTE_OFFICE_PUBLIC_KEY={public}")


@group.command("init", help="Tạo khóa gốc của văn phòng (một lần duy nhất) và in bản sao lưu giấy. " + PASSPHRASE_HELP)
@click.option("--root-key", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_ROOT_KEY,
              show_default=True, help="Nơi ghi tệp khóa gốc (nên là USB cất trong tủ an toàn).")
@kdf_option
@data_dir_option
def init(root_key: Path, kdf: str, data_dir: Path | None) -> None:
    session = Session(data_dir)
    public_path = _public_path(session)
    if session.configured_root() is not None:
        raise click.ClickException(
            "Văn phòng đã có khóa gốc (" + ("BVTE_OFFICE_PUBLIC_KEY" if session.config.office_public_key
                                            else str(public_path)) + "): không tạo khóa thứ hai. "
            "Mất tệp khóa gốc thì dựng lại từ bản sao lưu giấy: `bvte office restore --root-key PATH`.")
    refuse_existing(root_key)
    secret = new_passphrase("Mật khẩu bảo vệ khóa gốc")
    identity = office_keys.Identity.generate()
    write_identity(root_key, identity, secret, kdf)
    public = office_keys.verify_key_text(identity.verify_key)
    try:
        create_file(public_path, (public + "\n").encode("ascii"), 0o644)
    except FileExistsError:
        raise click.ClickException(f"{public_path} vừa được tạo bởi một lệnh khác: kiểm tra lại.") from None
    click.echo(f"Đã tạo khóa gốc: {root_key} (chỉ chủ tệp đọc được). Cất tệp này trên USB trong tủ an toàn.")
    click.echo(f"Đã ghi khóa công khai: {public_path}")
    click.echo("")
    click.echo("BẢN SAO LƯU GIẤY CỦA KHÓA GỐC — chỉ hiện MỘT lần, không được lưu ở đâu khác.")
    click.echo("In ra hoặc chép tay cả 8 dòng dưới đây, cất trong tủ an toàn của văn phòng. Khi mất tệp khóa")
    click.echo("gốc hoặc quên mật khẩu, gõ lại 8 dòng này bằng `bvte office restore` để dựng lại khóa.")
    click.echo("Ai có 8 dòng này mở được MỌI tin báo: không chụp ảnh, không gửi qua mạng.")
    click.echo("")
    for number, line in enumerate(office_keys.paper_backup(identity.seed), start=1):
        click.echo(f"    {number}.  {line}")
    click.echo("")
    _print_public(public)
    click.echo("Tiếp theo: thêm cán bộ bằng `bvte officers add`.")


def _read_paper_lines() -> str:
    """The 8 lines: asked one by one on a terminal, else read from standard input."""
    stdin = sys.stdin
    lines: list[str] = []
    interactive = stdin.isatty()
    if interactive:
        click.echo("Gõ lại 8 dòng của bản sao lưu giấy (dấu gạch ngang và khoảng trắng không bắt buộc).", err=True)
    while len(lines) < office_keys.PAPER_LINES:
        if interactive:
            line = click.prompt(f"Dòng {len(lines) + 1}", err=True)
        else:
            line = stdin.readline()
            if not line:
                break
        line = line.strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


@group.command("restore", help="Dựng lại tệp khóa gốc từ 8 dòng của bản sao lưu giấy, với mật khẩu mới. "
                               "8 dòng được hỏi trên màn hình, hoặc đọc từ đầu vào chuẩn. " + PASSPHRASE_HELP)
@click.option("--root-key", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_ROOT_KEY,
              show_default=True, help="Nơi ghi tệp khóa gốc dựng lại (không ghi đè tệp đã có).")
@kdf_option
@data_dir_option
def restore(root_key: Path, kdf: str, data_dir: Path | None) -> None:
    session = Session(data_dir)
    refuse_existing(root_key)
    try:
        seed = office_keys.seed_from_paper(_read_paper_lines())
    except office_keys.OfficeKeyError as exc:
        raise click.ClickException(str(exc)) from None
    identity = office_keys.Identity(seed)
    secret = new_passphrase("Mật khẩu mới bảo vệ khóa gốc")
    write_identity(root_key, identity, secret, kdf)
    public = office_keys.verify_key_text(identity.verify_key)
    click.echo(f"Đã dựng lại khóa gốc: {root_key} (chỉ chủ tệp đọc được).")
    configured = session.configured_root()
    if configured is None:
        public_path = _public_path(session)
        create_file(public_path, (public + "\n").encode("ascii"), 0o644)
        click.echo(f"Đã ghi khóa công khai: {public_path}")
    elif bytes(configured) != bytes(identity.verify_key):
        click.echo("CẢNH BÁO: khóa dựng lại KHÁC với khóa công khai đang cấu hình cho văn phòng "
                   "(office-root.pub / BVTE_OFFICE_PUBLIC_KEY). Bản giấy này không phải của văn phòng này, "
                   "hoặc cấu hình đã bị đổi: khóa này KHÔNG mở được tin báo của văn phòng và không ký được "
                   "danh sách cán bộ mà máy chủ tin.", err=True)
    else:
        click.echo("Khớp với khóa công khai đang cấu hình của văn phòng.")
    _print_public(public)


@group.command("migrate", help="Chuyển mọi tin báo lưu theo cách cũ (mã hóa bằng một khóa chung) sang hồ sơ mới: "
                               "khóa nội dung riêng, mở được bằng khóa gốc và khóa của cán bộ phụ trách xã, "
                               "kèm số hồ sơ; tệp minh chứng đã mã hóa bằng khóa chung cũng mở được cho họ. "
                               "Tin báo cũ vẫn giữ nguyên. Mật khẩu khóa cũ: "
                               f"{PASSPHRASE_FILE}. " + PASSPHRASE_HELP)
@click.option("--legacy-key", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Khóa riêng cũ của văn phòng (tạo bằng `bvte keys generate`).")
@root_key_option
@data_dir_option
def migrate(legacy_key: Path, root_key: Path | None, data_dir: Path | None) -> None:
    session = Session(data_dir)
    root_public = session.root
    try:
        old_key = crypto.unlock_private_key(read_key_file(legacy_key),
                                            passphrase(PASSPHRASE_FILE, f"Mật khẩu của khóa cũ {legacy_key}"))
    except crypto.CryptoError as exc:
        raise click.ClickException(str(exc)) from None
    # The root key proves, case by case, that what was re-wrapped opens before the old key is retired.
    root = Actor(session.unlock_root(root_key), None)
    keyring = session.keyring
    moved = 0
    with storage_errors():
        pending = [t for t in tips.tip_ids(session.storage) if not session.storage.exists(cases.record_keys(t)[0])]
        for tip_id in pending:
            try:
                old = cases.open_case(session.storage, tip_id, None, None, legacy_key=old_key)
                lock = cases.CaseLock(root_public, keyring, str(old.fields.get("commune", office_keys.UNKNOWN_COMMUNE)))
                number = cases.migrate(session.storage, tip_id, old_key, lock)
                cases.open_case(session.storage, tip_id, root.identity, None)
            except cases.CaseError as exc:
                click.echo(f"{tip_id[:10]}: {exc}", err=True)
                continue
            session.audit(root, "open_case", number)
            moved += 1
            click.echo(f"{tip_id[:10]} → hồ sơ {number}")
    click.echo(f"Đã chuyển {moved}/{len(pending)} tin báo sang hồ sơ mới." if pending
               else "Không còn tin báo nào lưu theo cách cũ.")
    _share_legacy_evidence(session, root, old_key)
    if moved < len(pending):
        raise SystemExit(1)


def _share_legacy_evidence(session: Session, root: Actor, old_key) -> None:
    """Self-assessment evidence sealed to the old single office key opens, from now on, for the root and the
    officers covering each commune too (the console opens with those keys only)."""
    from ..core import assessments, evidence_seal
    from .assessments import evidence_recipients

    with storage_errors():
        added, shared, _ = assessments.share_sealed_evidence(session.storage, evidence_recipients(session),
                                                             evidence_seal.OFFICE, old_key)
    if added:
        session.audit(root, "share_evidence", str(added))
    click.echo(f"Tệp minh chứng mã hóa bằng khóa cũ: đã mở cho khóa gốc và cán bộ phụ trách xã {shared} tệp.")
