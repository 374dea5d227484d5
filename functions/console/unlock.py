"""Unlocking with the passphrase typed into the page, and "Khóa" (lock) which forgets the key."""

from __future__ import annotations

import click
from flask import Blueprint, current_app, redirect, render_template, request

from ..commands.session import read_key_file
from ..core import crypto, office_keys
from .office import keys, session

blueprint = Blueprint("unlock", __name__)


def _next_path() -> str:
    """Where to go after unlocking: a path of this console only (never another site)."""
    target = request.values.get("tiep", "/")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@blueprint.get("/mo-khoa")
def unlock_page():
    return render_template("console/unlock.html", next_path=_next_path(), error="",
                           key_name=current_app.extensions["console-key-path"].name)


@blueprint.post("/mo-khoa")
def unlock():
    key_path = current_app.extensions["console-key-path"]
    try:
        identity = office_keys.unlock(read_key_file(key_path), request.form.get("mat_khau", ""))
        office = session()
        office.forget_keyring()
        actor = office.identify(identity)
    except (crypto.CryptoError, click.ClickException) as exc:
        message = exc.message if isinstance(exc, click.ClickException) else str(exc)
        return render_template("console/unlock.html", next_path=_next_path(), error=message,
                               key_name=key_path.name), 400
    keys().hold(actor)
    return redirect(_next_path(), code=303)


@blueprint.post("/khoa")
def lock():
    keys().drop()
    return redirect("/mo-khoa", code=303)
