"""``bvte audit``: check the officers' audit log — every chain complete, unaltered and in order."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import audit as audit_log
from .session import Session, data_dir_option, storage_errors


@click.group("audit", help="Nhật ký truy cập của cán bộ (mở khóa, mở hồ sơ, lưu tệp, ghi, xuất, chia sẻ).")
def group() -> None:
    pass


@group.command("verify", help="Kiểm toàn bộ nhật ký bằng khóa công khai của cán bộ và khóa gốc (không cần khóa "
                              "riêng): báo mục bị thiếu, bị sửa, bị đảo, không chữ ký. Có vấn đề thì thoát mã 1.")
@data_dir_option
def verify(data_dir: Path | None) -> None:
    session = Session(data_dir)
    session.versions  # noqa: B018 - reads and verifies the keyring once, before the chains
    with storage_errors():
        checked, problems = audit_log.verify(session.storage, session.audit_keys)
    if not problems:
        click.echo(f"Nhật ký nguyên vẹn: {checked} mục đã kiểm, không có vấn đề.")
        return
    click.echo(f"Nhật ký CÓ VẤN ĐỀ ({len(problems)}), {checked} mục đã kiểm:")
    for problem in problems:
        click.echo(f"  - {problem.message}")
    raise SystemExit(1)
