"""The language switch in the header: a POST with its CSRF token, back to the same page."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField

from shop.infra import urls
from shop.infra.i18n import LANGUAGES, in_language

bp = Blueprint("language", __name__)


def safe_next(target: str | None) -> str:
    """Back to the page the switch was on: only a path on this site, else the programme."""
    if target and urls.is_local_path(target):
        return request.script_root + target  # the page's path within the shop (request.full_path)
    return url_for("catalogue.programme")


class LanguageForm(FlaskForm):
    next = HiddenField()
    lang = SubmitField()


@bp.post("/language/<lang>")
def switch(lang: str):
    form = LanguageForm()
    target = form.next.data
    if lang in LANGUAGES and form.validate_on_submit():
        session["lang"] = lang
        target = in_language(target, lang)  # a page whose URL names a language would keep the old one
    return redirect(safe_next(target), 303)
