"""``bvte communes``: today's communes, and the access codes they use for the self-assessment."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import Config


def _open(data_dir: Path | None):
    from ..core.places import load_places
    from ..server_secret import load_or_create_secret
    from ..storage import open_storage

    config = Config.from_env(data_dir=data_dir)
    return config, open_storage(config), load_places(config.content_dir), load_or_create_secret


@click.group("communes", help="Các xã: danh sách và mã truy cập để gửi bản tự đánh giá.")
def group() -> None:
    pass


_data_dir = click.option("--data-dir", type=click.Path(path_type=Path), envvar="BVTE_DATA_DIR", default=None,
                         help="Thư mục dữ liệu (mặc định: BVTE_DATA_DIR hoặc ./var).")


@group.command("list", help="Liệt kê các xã hiện nay, tên cũ và nhóm ngưỡng điểm.")
@_data_dir
def list_communes(data_dir: Path | None) -> None:
    from ..core import access_codes

    config, storage, places, _ = _open(data_dir)
    for c in places.communes:
        current = access_codes.current(storage, c.id)
        code = f"mã lần {current['version']} cấp {current['issued_at']}" if current else "chưa cấp mã"
        click.echo(f"{c.id:12} {c.label:16} nhóm {c.threshold_band} ({c.threshold_band_confidence}) · {code}")
        if c.former_names:
            click.echo(f"{'':12} gồm: {', '.join(f.label for f in c.former)}")


@group.command("issue-code", help="Cấp mã truy cập mới cho XÃ (mã cũ hết hiệu lực). Mã chỉ hiện MỘT lần.")
@click.argument("commune")
@_data_dir
def issue_code(commune: str, data_dir: Path | None) -> None:
    from ..core import access_codes

    config, storage, places, load_secret = _open(data_dir)
    found = places.resolve(commune)
    if found is None:
        names = ", ".join(c.id for c in places.communes)
        raise click.ClickException(f"Không tìm thấy xã “{commune}”. Các xã: {names}.")
    code, version = access_codes.issue(storage, load_secret(config), found.id)
    click.echo(f"Mã truy cập mới của {found.label} (lần cấp thứ {version}):")
    click.echo("")
    click.echo(f"    {code}")
    click.echo("")
    click.echo("Mã này chỉ hiện một lần và không được lưu: hãy chuyển cho xã ngay."
               + (" Mã cấp trước đó đã hết hiệu lực." if version > 1 else ""))
