"""``bvte serve``: the built site and the functions on one local address (what ``make serve`` runs)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import click
from werkzeug.serving import WSGIRequestHandler, make_server, run_simple

from ..config import Config


class QuietRequestHandler(WSGIRequestHandler):
    """Access log without client addresses or query strings (DESIGN.md: logs hold no IPs)."""

    def log_request(self, code="-", size="-"):
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s', self.command, path, getattr(code, "value", code))

    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        logging.getLogger("bvte.access").log(
            logging.INFO if type == "info" else logging.WARNING, message % args
        )


class BackgroundServer:
    """A server (any ``socketserver``) on a daemon thread; as a context manager it stops, closes and
    joins it. Used for the officer console and by the tests and benchmarks."""

    def __init__(self, server):
        self.server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def wsgi_server(app, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
    """A threaded WSGI server (address-free access log) for ``app``; port 0 picks a free one."""
    return BackgroundServer(make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler))


def prepare(config: Config) -> list[str]:
    """First-run set-up of the data directory; returns what it did, to tell the person."""
    notes = []
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    from ..keys import DEV_OFFICER_ID, DEV_PASSPHRASE, DEV_ROOT_KEY_NAME, ensure_dev_office

    created = ensure_dev_office(config)
    if created:
        notes.append(
            f"Đã tạo văn phòng PHÁT TRIỂN tại {created} (chỉ để thử, không dùng thật): khóa gốc "
            f"{DEV_ROOT_KEY_NAME} và cán bộ {DEV_OFFICER_ID} phụ trách mọi xã ({DEV_OFFICER_ID}.key); "
            f"mật khẩu của cả hai khóa: {DEV_PASSPHRASE}. Xem hồ sơ: `bvte cases list`. "
            "Văn phòng thật tạo khóa gốc bằng `bvte office init` trên một thư mục dữ liệu mới."
        )
    return notes


def _prune_every_hour(app) -> None:
    """Short-lived keyed hashes (rate limits, visitor markers) must not pile up on a local server."""
    from ..web import context

    storage = context(app).storage
    if not hasattr(storage, "prune"):
        return

    def loop() -> None:
        while True:
            try:
                storage.prune()
            except OSError:
                logging.getLogger(__name__).warning("pruning short-lived data failed")
            time.sleep(3600)

    threading.Thread(target=loop, name="bvte-prune", daemon=True).start()


@click.command(help="Phục vụ trang web đã dựng và các hàm tiếp nhận tại http://127.0.0.1:PORT.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int, envvar="PORT")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="BVTE_DATA_DIR", default=Path("./var"))
def serve(host: str, port: int, data_dir: Path) -> None:
    from ..web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = Config.from_env(data_dir=data_dir)
    for note in prepare(config):
        click.echo(note)
    if not (Path(config.site_dir) / "index.html").is_file():
        raise click.ClickException(f"Chưa có trang web đã dựng trong {config.site_dir}: chạy `make build` trước.")
    app = create_app(config)
    _prune_every_hour(app)
    click.echo(f"Đang phục vụ tại http://{host}:{port}/ (dữ liệu: {config.data_dir}, lưu trữ: {config.storage})")
    _stop_on_sigterm()
    with _notice_sender(app):
        run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    click.echo("Đã dừng máy chủ.")


def _stop_on_sigterm() -> None:
    """SIGTERM (systemd, Docker, ``kill``) stops the server as Ctrl+C does: the sender finishes its round and
    the process exits 0. Without this SIGTERM killed it mid-round, and a server started with SIGINT ignored
    (any background job of a non-interactive shell) could not be stopped cleanly at all."""

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _notice_sender(app):
    """Notices to officers on a thread while serving, when a channel is configured (else nothing runs)."""
    import contextlib

    from ..notifications.background import SenderThread
    from ..notifications.channels import ChannelError, configured_channels
    from ..web import context

    ctx = context(app)
    try:
        channels = configured_channels(ctx.config)
    except ChannelError as exc:
        raise click.ClickException(str(exc)) from None
    if not channels:
        return contextlib.nullcontext()
    click.echo("Gửi thông báo cho cán bộ qua: " + ", ".join(c.name for c in channels) + " (không kèm nội dung tin báo).")
    return SenderThread(ctx.storage, ctx.config, channels=channels)
