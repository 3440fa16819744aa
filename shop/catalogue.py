"""The programme: the shows and their performances."""

from __future__ import annotations

from flask import Blueprint, render_template

from .upstream import vdm

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def programme():
    events = sorted(
        (e for e in vdm().upcoming_events() if e.upcoming()),
        key=lambda e: e.upcoming()[0].starts_at,
    )
    return render_template("programme.html", events=events)
