"""Languages, and dates, times and money in the buyer's language and the venue's time zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_currency, format_datetime, get_locale

LANGUAGES = {"nl": "Nederlands", "en": "English"}
# Babel's own medium format says "14 mrt 2026, 20:15:00"; venues want the weekday and no seconds.
PATTERNS = {
    "datetime": {"nl": "EEE d MMM y HH:mm", "en": "EEE d MMM y, HH:mm"},
    "date": {"nl": "EEE d MMM y", "en": "EEE d MMM y"},
    "longdate": {"nl": "EEEE d MMMM y", "en": "EEEE d MMMM y"},
    "time": {"nl": "HH:mm", "en": "HH:mm"},
}

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["SHOP_DEFAULT_LANGUAGE"]


def _format(value: datetime | None, kind: str) -> str:
    if value is None:
        return ""
    return format_datetime(value, PATTERNS[kind][str(get_locale())])


def money(amount: Decimal | None) -> str:
    return "" if amount is None else format_currency(amount, "EUR")


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["SHOP_DEFAULT_LANGUAGE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        datetime=lambda v: _format(v, "datetime"),
        date=lambda v: _format(v, "date"),
        longdate=lambda v: _format(v, "longdate"),
        time=lambda v: _format(v, "time"),
        money=money,
    )

    @app.context_processor
    def languages():
        return {"languages": LANGUAGES, "current_language": str(get_locale())}
