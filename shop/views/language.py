"""The language switch in the header: a POST with its CSRF token, back to the same page."""

from __future__ import annotations

from flask import Blueprint, redirect, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField

from shop.infra import urls
from shop.infra.i18n import LANGUAGES

bp = Blueprint("language", __name__)


def safe_next(target: str | None) -> str:
    """Back to the page the switch was on: only a path on this site, else the programme."""
    return target if target and urls.is_local_path(target) else url_for("catalogue.programme")


class LanguageForm(FlaskForm):
    next = HiddenField()
    lang = SubmitField()


@bp.post("/language/<lang>")
def switch(lang: str):
    form = LanguageForm()
    if lang in LANGUAGES and form.validate_on_submit():
        session["lang"] = lang
    return redirect(safe_next(form.next.data), 303)
