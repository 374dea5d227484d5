"""What every console view reaches for: the office session, the unlocked officer, and the audit log.

A view that shows or changes anything about a case is wrapped in ``unlocked_only``: with no key held
(never unlocked, locked, or idle too long) it shows the unlock page and nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools

import click
from flask import current_app, redirect, request

from ..commands.session import Actor, Session


class ConsoleError(Exception):
    """An action the officer asked for could not be done; the message is Vietnamese and safe to show."""


def session() -> Session:
    return current_app.extensions["console-session"]


def keys():
    return current_app.extensions["console-keys"]


def actor() -> Actor:
    """The unlocked officer; only call inside a view wrapped in ``unlocked_only``."""
    found = keys().current(touch=False)
    if found is None:
        raise ConsoleError("Bảng điều khiển đã khóa.")
    return found


def unlocked_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if keys().current() is None:
            return redirect(f"/mo-khoa?tiep={request.path}", code=303)
        return view(*args, **kwargs)

    return wrapper


def audit(action: str, subject: str = "") -> None:
    """Append to the officer's signed audit log; an access that cannot be logged does not happen."""
    try:
        session().audit(actor(), action, subject)
    except click.ClickException as exc:
        raise ConsoleError(exc.message) from None


def now():
    """The console's present moment (aware, UTC): ``app.extensions["console-now"]``, a callable, when a test
    or a benchmark sets one; else the real clock. Every clock on screen is computed at this moment."""
    return current_app.extensions.get("console-now", lambda: dt.datetime.now(dt.timezone.utc))()
