"""The ``bvte`` command: serving, keys, and the officers' tools. One module per command group."""

from __future__ import annotations

import click


@click.group(help="Công cụ của văn phòng bảo vệ trẻ em: phục vụ trang web, khóa, hồ sơ tin báo, nhật ký, đánh giá.")
def main() -> None:
    pass


def _register() -> None:
    import importlib

    from . import notify, serve

    main.add_command(serve.serve)
    for name in ("office", "officers", "cases", "audit", "keys", "tips", "communes", "assessments", "data", "console",
                 "notify"):
        main.add_command(importlib.import_module(f"{__name__}.{name}").group)
    # The reminder cron or Task Scheduler runs on an officer's computer: short to type, as the issue names it.
    main.add_command(notify.remind, "remind")


_register()
