"""Languages, and dates, times and money in the buyer's language and the venue's time zone.

The language of a request is, first, the one its URL names (`?lang=en`: every catalogue page
in every language has its own address, for search engines, which keep no cookies, and for
links shared); then the one the buyer chose with the switch (the session); then the browser's
(Accept-Language); then SHOP_DEFAULT_LANGUAGE. A page reached by a language URL keeps that
language in its links to the catalogue's pages, and the buyer's session takes it on, so that
the cart and checkout (which have no language URLs) follow. The language switch in the
header is a link to the same page's language URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlunsplit

from babel.core import get_global
from flask import Flask, current_app, has_request_context, request, session
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

# The URL's query parameter that names a language, and the blueprints whose pages have one.
PARAMETER = "lang"
LANGUAGE_URL_BLUEPRINTS = ("catalogue",)

babel = Babel()


def url_language() -> str | None:
    """The language the request's URL names, when it is one of the shop's."""
    named = request.args.get(PARAMETER)
    return named if named in LANGUAGES else None


def select_locale() -> str:
    chosen = url_language() or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["SHOP_DEFAULT_LANGUAGE"]


def keep_url_language(endpoint: str | None, values: dict) -> None:
    """url_for's default: links from a page reached by a language URL to the catalogue's pages
    name that language too (an explicit `lang`, even None for none, wins)."""
    if endpoint and endpoint.partition(".")[0] in LANGUAGE_URL_BLUEPRINTS and has_request_context():
        named = url_language()
        if named:
            values.setdefault(PARAMETER, named)


def remember_url_language() -> None:
    """A buyer who arrives by a language URL (from a search engine, a shared link) goes on in
    that language through the cart and checkout, as if chosen with the switch."""
    named = url_language()
    if named and session.get("lang") != named:
        session["lang"] = named


def vary_by_language(response):
    """A page whose URL names no language is in the browser's: caches must keep them apart."""
    if not url_language():
        response.vary.add("Accept-Language")
    return response


def language_url(code: str) -> str:
    """This page in another language: its own address with `?lang=` naming it. A plain link,
    so switching needs no form (and no session for a visitor who only looks); the session
    then takes the language on (remember_url_language)."""
    query = [(name, value) for name, value in parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
             if name != PARAMETER]
    return urlunsplit(("", "", request.script_root + request.path, urlencode([*query, (PARAMETER, code)]), ""))


def open_graph_locale(code: str) -> str:
    """A language code as Open Graph names a locale (language_TERRITORY): "nl" is nl_NL, "en"
    en_US, from Unicode's likely subtags, so a new language needs nothing here."""
    likely = get_global("likely_subtags").get(code, code).split("_")
    territory = next((part for part in likely[1:] if part.isupper() and len(part) == 2), None)
    return f"{likely[0]}_{territory}" if territory else likely[0]


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
    app.url_defaults(keep_url_language)
    app.before_request(remember_url_language)
    app.after_request(vary_by_language)
    app.jinja_env.filters.update(
        datetime=lambda v: _format(v, "datetime"),
        date=lambda v: _format(v, "date"),
        longdate=lambda v: _format(v, "longdate"),
        time=lambda v: _format(v, "time"),
        money=money,
    )

    app.jinja_env.globals.update(language_url=language_url)

    @app.context_processor
    def languages():
        return {"languages": {code: language.name for code, language in LANGUAGES.items()},
                "current_language": str(get_locale()), "url_language": url_language()}
