"""Languages, and dates, times and money in the buyer's language and the venue's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_currency, format_datetime, get_locale


@dataclass(frozen=True)
class Language:
    name: str  # in the language itself, for the switch
    # Babel's own medium format says "14 mrt 2026, 20:15:00"; venues want the weekday and no seconds.
    datetime: str
    date: str
    longdate: str
    time: str = "HH:mm"


# The shop's languages, written once: adding one is a line here and its translations
# (shop/translations/<code>/). The first is the fallback when nothing else fits.
LANGUAGES = {
    "nl": Language("Nederlands", datetime="EEE d MMM y HH:mm", date="EEE d MMM y", longdate="EEEE d MMMM y"),
    "en": Language("English", datetime="EEE d MMM y, HH:mm", date="EEE d MMM y", longdate="EEEE d MMMM y"),
}
FALLBACK = next(iter(LANGUAGES))

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["SHOP_DEFAULT_LANGUAGE"]


def _format(value: datetime | None, kind: str) -> str:
    if value is None:
        return ""
    language = LANGUAGES.get(str(get_locale()), LANGUAGES[FALLBACK])
    return format_datetime(value, getattr(language, kind))


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
        return {"languages": {code: language.name for code, language in LANGUAGES.items()},
                "current_language": str(get_locale())}
