"""The officer console: a web page on the officer's own computer where reports become protected children.

``create_console_app(session, key_path, ...)`` builds a Flask app that only ``bvte console`` serves, on
127.0.0.1. It holds at most one unlocked key, in memory (``keyholder``), and guards every request
(``guard``: launch token, Host check, CSRF, no-store, CSP). Each area is one blueprint: ``unlock``
(unlock and lock), ``inbox`` (the cases and their clocks), ``case`` (one case: report, steps, replies,
handover) and ``documents`` (print and register). Nothing is done at import.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .guard import ConsoleGuard
from .keyholder import DEFAULT_IDLE_SECONDS, KeyHolder

BLUEPRINTS = ("unlock", "inbox", "case", "documents", "review")


def create_console_app(session, key_path: Path, *, launch_token: str, port: int,
                       idle_seconds: int = DEFAULT_IDLE_SECONDS, clock=None) -> Flask:
    """The console for one officer's key file; ``session`` is a ``functions.commands.session.Session``."""
    app = Flask(__name__, static_folder="static", static_url_path="/tep")
    app.config.update(MAX_CONTENT_LENGTH=20 * 1024 * 1024, TEMPLATES_AUTO_RELOAD=False)
    app.extensions["console-session"] = session
    app.extensions["console-key-path"] = Path(key_path)
    app.extensions["console-keys"] = KeyHolder(idle_seconds, clock=clock)
    ConsoleGuard(launch_token, port).install(app)
    app.context_processor(_page_globals)
    for name in BLUEPRINTS:
        try:
            module = __import__(f"{__name__}.{name}", fromlist=["blueprint"])
        except ModuleNotFoundError as exc:  # an area not built yet leaves the others working
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        app.register_blueprint(module.blueprint)
    return app


def _page_globals() -> dict:
    """What the base template needs on every page: who is unlocked (if anyone) and the idle timeout."""
    from .office import keys

    holder = keys()
    return {"officer": holder.current(touch=False), "idle_seconds": holder.idle_seconds,
            "idle_minutes": max(1, holder.idle_seconds // 60)}
