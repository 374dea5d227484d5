"""The inbox: one row per case this officer can open, with its clocks (built out by the inbox work)."""

from __future__ import annotations

from flask import Blueprint, render_template

from .office import unlocked_only

blueprint = Blueprint("inbox", __name__)


@blueprint.get("/")
@unlocked_only
def inbox():
    return render_template("console/inbox.html", rows=[])
