"""``bvte console``: the officer console on 127.0.0.1, opened in the browser by a one-time launch URL."""

from __future__ import annotations

import ipaddress
import threading
import webbrowser
from pathlib import Path

import click

from .session import Session, data_dir_option, key_option

LOOPBACK = "127.0.0.1"


def check_host(host: str) -> str:
    """Only 127.0.0.1: the console shows decrypted cases and must never be reachable from the network."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or str(address) != LOOPBACK:
        raise click.BadParameter(f"bảng điều khiển chỉ chạy tại {LOOPBACK} (trên chính máy của cán bộ), "
                                 f"không mở ra mạng: “{host}” không được phép.", param_hint="--host")
    return LOOPBACK


@click.command("console", help="Mở bảng điều khiển của cán bộ trên máy này (chỉ tại 127.0.0.1).")
@data_dir_option
@key_option
@click.option("--host", default=LOOPBACK, show_default=True, help="Chỉ 127.0.0.1 được phép.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Cổng; mặc định một cổng còn trống.")
@click.option("--idle-minutes", default=15, show_default=True, type=click.IntRange(1, 24 * 60),
              help="Tự khóa sau chừng ấy phút không dùng.")
@click.option("--no-browser", is_flag=True, help="Không tự mở trình duyệt; chỉ in đường dẫn.")
def group(data_dir: Path | None, key_path: Path | None, host: str, port: int, idle_minutes: int,
          no_browser: bool) -> None:
    from ..console.guard import LAUNCH_PATH, new_token

    check_host(host)
    office = Session(data_dir)
    office.root  # noqa: B018 - fails early, in words, when the office has no root yet
    path = office.officer_key_path(key_path)
    if not path.exists():
        raise click.ClickException(f"Không có tệp khóa {path}.")
    token = new_token()
    server = _server(office, path, token, port, idle_minutes * 60)
    url = f"http://{LOOPBACK}:{server.server.server_port}{LAUNCH_PATH}?t={token}"
    with server:
        click.echo(f"Bảng điều khiển: {url}\n(Đường dẫn chỉ dùng được một lần. Dừng bằng Ctrl+C.)")
        if not no_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("Đã dừng bảng điều khiển.")


def _server(office: Session, key_path: Path, token: str, port: int, idle_seconds: int):
    """The console's server on 127.0.0.1: the app needs its own port for the Host check, so bind first."""
    from werkzeug.serving import make_server

    from ..console import create_console_app
    from .serve import BackgroundServer, QuietRequestHandler

    holder: dict = {}

    def app(environ, start_response):
        return holder["app"](environ, start_response)

    try:
        server = make_server(LOOPBACK, port, app, threaded=True, request_handler=QuietRequestHandler)
    except OSError as exc:
        raise click.ClickException(f"Không mở được cổng {port} tại {LOOPBACK}: {exc.strerror}.") from None
    holder["app"] = create_console_app(office, key_path, launch_token=token, port=server.server_port,
                                       idle_seconds=idle_seconds)
    return BackgroundServer(server)
