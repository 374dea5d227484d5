"""What every console view reaches for: the office session, the unlocked officer, and the audit log.

A view that shows or changes anything about a case is wrapped in ``unlocked_only``: with no key held
(never unlocked, locked, or idle too long) it shows the unlock page and nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

import click
from flask import current_app, redirect, render_template, request

from ..commands.session import Actor, Session
from ..core.cases import CaseError
from ..storage import StorageError

log = logging.getLogger(__name__)
STORAGE_FAILED = "Không đọc hoặc ghi được nơi lưu trữ lúc này: hãy kiểm tra kết nối rồi thử lại sau ít phút."


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


def refused(message: str, status: int):
    """A refusal as the console's calm page (never a traceback)."""
    return render_template("console/refused.html", message=message, status=status), status


def handled(view):
    """A view's expected failures as refusals: a case this key cannot open (404), an action the officer
    asked for that cannot be done (400), storage out of reach (503, its type only in the log)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except CaseError as exc:
            return refused(str(exc), 404)
        except ConsoleError as exc:
            return refused(str(exc), 400)
        except StorageError as exc:
            log.warning("console: storage failed: %s", type(exc).__name__)
            return refused(STORAGE_FAILED, 503)

    return wrapper
