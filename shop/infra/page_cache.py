"""Catalogue pages rendered once for everyone, with each visitor's own parts filled in on the
way out.

A page is rendered with markers where a visitor's own parts go: the form token, the cart
count and the flashed messages (`csrf_field()`, `cart_badge()` and `messages()` in
templates). A catalogue page is kept, markers and all, in this process's memory, keyed by
everything else it depends on (`page_key`). Every HTML answer, cached or not, has its
markers filled in by `fill` after the view, so there is one way a visitor's parts reach a
page. The markers are HTML comments: text from VdM or a buyer is escaped (`<` becomes
`&lt;`) and sanitised descriptions lose their comments (nh3), so a marker can only come
from a template. A visitor who has no session gets none from a page without a form.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

from flask import Flask, get_flashed_messages, render_template, request, session
from flask_babel import get_locale, ngettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from shop.infra.i18n import url_language
from shop.infra.urls import page_scope

CSRF = "<!--shop:csrf-->"
CART = "<!--shop:cart-count-->"
MESSAGES = "<!--shop:messages-->"
MARK = "<!--shop:"


class PageCache:
    """The pages of one process: at most `size`, each for at most its own number of seconds.
    In memory rather than in Redis: a page is a few dozen KiB that every worker makes from
    the same snapshot in a millisecond or two, so fetching it would cost about as much."""

    def __init__(self, size: int = 256, clock: Callable[[], float] = time.monotonic):
        self.size, self.clock = size, clock
        self._pages: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1]

    def put(self, key: str, html: str, seconds: float) -> None:
        with self._lock:
            self._pages[key] = (self.clock() + seconds, html)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def page_key(version: str) -> str:
    """Everything a catalogue page can read besides the visitor: the address it is served
    under, the snapshot, the language (and whether the URL names it: its links keep it), and
    the page's path with its whole query (the language links repeat it as it is)."""
    return f"{page_scope()}|{version}|{get_locale()}|{url_language() or ''}|{request.path}?{request.query_string!r}"


def cached(cache: PageCache, key: str, render: Callable[[], str], seconds: float) -> str:
    html = cache.get(key)
    if html is None:
        html = render()
        cache.put(key, html, seconds)
    return html


def _cart_badge() -> str:
    count = session.get("cart_count", 0) if session else 0
    label = ngettext("%(num)d ticket", "%(num)d tickets", count)
    return f'<span class="badge">{count}</span>\n            <span class="visually-hidden">{escape(label)}</span>'


def _messages() -> str:
    if not session or "_flashes" not in session:
        return ""
    return render_template("_messages.html", messages=get_flashed_messages(with_categories=True))


def fill(response):
    """After the view: a visitor's own parts into the page's markers."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    body = response.get_data(as_text=True)
    if MARK not in body:
        return response
    if CSRF in body:
        body = body.replace(CSRF, f'<input name="csrf_token" type="hidden" value="{escape(generate_csrf())}">')
    if CART in body:
        body = body.replace(CART, _cart_badge())
    if MESSAGES in body:
        body = body.replace(MESSAGES, _messages())
    response.set_data(body)
    return response


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache()
    app.jinja_env.globals.update(csrf_field=lambda: Markup(CSRF), cart_badge=lambda: Markup(CART),
                                 messages=lambda: Markup(MESSAGES))
    app.after_request(fill)


def of(app: Flask) -> PageCache:
    return app.extensions["page_cache"]
