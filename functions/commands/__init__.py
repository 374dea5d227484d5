"""The ``bvte`` command: serving, keys, and the officers' tools. One module per command group."""

from __future__ import annotations

import click


@click.group(help="Công cụ của văn phòng bảo vệ trẻ em: phục vụ trang web, khóa, hồ sơ tin báo, nhật ký, đánh giá.")
def main() -> None:
    pass


def _register() -> None:
    from . import serve

    main.add_command(serve.serve)
    for name in ("office", "officers", "cases", "audit", "keys", "tips", "communes", "assessments", "data", "console",
                 "notify"):
        try:
            module = __import__(f"{__name__}.{name}", fromlist=["group"])
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        main.add_command(module.group)


_register()
