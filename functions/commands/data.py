"""``bvte data prune``: remove short-lived data from local storage (rate-limit counters, visitor markers,
uploads never claimed, temporary files left by interrupted writes, attachments of reports and of reporter
messages never committed); on S3, attachments of reports and of reporter messages never committed (the rest
goes by the bucket's lifecycle rules and DynamoDB's TTL).

``bvte serve`` does this every hour by itself; a self-hosted server under gunicorn runs it from cron.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..config import Config


@click.group("data", help="Dữ liệu lưu trên máy: dọn dữ liệu ngắn hạn.")
def group() -> None:
    pass


@group.command(help="Xóa bộ đếm giới hạn, dấu lượt truy cập, tệp tải lên không được dùng, tệp tạm và tệp đính kèm "
                    "của tin báo hoặc tin nhắn chưa lưu xong khi đã quá hạn (không bao giờ xóa tin báo, tin nhắn "
                    "hay bản đánh giá).")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="BVTE_DATA_DIR", default=Path("./var"))
def prune(data_dir: Path) -> None:
    from ..storage import open_storage

    config = Config.from_env(data_dir=data_dir)
    storage = open_storage(config)
    if not hasattr(storage, "prune"):
        raise click.ClickException("Kho S3 tự dọn bằng quy tắc vòng đời và TTL của DynamoDB (template.yaml).")
    click.echo(f"Đã xóa {storage.prune()} tệp ngắn hạn đã quá hạn.")
