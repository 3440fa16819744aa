"""The language switch in the header: a POST with its CSRF token, back to the same page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField

from shop.infra.i18n import LANGUAGES

bp = Blueprint("language", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//evil.example` or `\\evil`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("catalogue.programme")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return url_for("catalogue.programme")
    return target


class LanguageForm(FlaskForm):
    next = HiddenField()
    lang = SubmitField()


@bp.post("/language/<lang>")
def switch(lang: str):
    form = LanguageForm()
    if lang in LANGUAGES and form.validate_on_submit():
        session["lang"] = lang
    return redirect(safe_next(form.next.data), 303)
