"""Friendly pages for what goes wrong, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from shop.domain.ledger import LedgerUnavailable
from shop.infra.box_office import CatalogueLoading
from shop.vdm import NotFound, VdmError

log = logging.getLogger(__name__)

RETRY_SECONDS = 10  # never faster than every 10 s, like the order page's refresh

# status: (title, message, the way onward). One template shows them all.
PAGES = {
    "not_found": (404, _l("Page not found"),
                  _l("We cannot find that page. Perhaps the show is no longer on the programme."), "programme"),
    "server": (500, _l("Something went wrong"),
               _l("Sorry, this page could not be shown. Please try again in a minute."), "programme"),
    "box_office": (503, _l("The box office cannot be reached"),
                   _l("The box office cannot be reached right now. Please try again in a minute. "
                      "Your cart is kept."), "again"),
    "loading": (503, _l("The programme is being loaded"),
                _l("The programme is being fetched from the box office. This page tries again by itself in a "
                   "few seconds."), "again"),
    "busy": (429, _l("One moment, please"),
             _l("We received a lot of requests from your address in a short time. Please wait a minute "
                "and try again; your cart is kept."), "cart"),
    "bad_return": (400, _l("This link is not valid"),
                   _l("We could not tell which order this link is about. You will receive your tickets by "
                      "e-mail once the payment is confirmed."), "programme"),
    "form_refused": (400, _l("Please try that again"),
                     _l("We could not accept that form: it was sent without the page it belongs to, for "
                        "example from a tab opened long ago or with cookies turned off. Nothing was changed "
                        "or ordered."), "cart"),
    "too_large": (413, _l("That was too much to send"),
                  _l("We could not accept what was sent: it was far larger than any form of this shop. Nothing "
                     "was changed or ordered."), "cart"),
}


def error_page(name: str):
    status, title, message, onward = PAGES[name]
    link = {
        "programme": (url_for("catalogue.programme"), _l("See the programme")),
        "cart": (url_for("cart.page"), _l("Your cart")),
        "again": (request.script_root + request.path, _l("Try again")),
    }[onward]
    response = render_template("error.html", title=title, message=message, link=link,
                               refresh=RETRY_SECONDS if name == "loading" else None)
    headers = {"Retry-After": str(RETRY_SECONDS)} if status == 503 else {}
    return response, status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def upstream_not_found(error):
        return error_page("not_found")

    @app.errorhandler(CatalogueLoading)
    def catalogue_loading(error):
        return error_page("loading")

    @app.errorhandler(LedgerUnavailable)
    def ledger_unavailable(error):
        # Redis is away: whatever needed the ledger waits; nothing was ordered by this request.
        log.warning("ledger unavailable: %s", error)
        return error_page("box_office")

    @app.errorhandler(VdmError)
    def upstream_error(error):
        log.warning("box office unavailable: %s: %s", type(error).__name__, error)
        return error_page("box_office")

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        # The form came without its session (cookies off, a very old tab) or from another site.
        return error_page("form_refused")

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        # A body over SHOP_MAX_BODY_BYTES, refused unread (shop/security.py).
        return error_page("too_large")

    @app.errorhandler(404)
    def not_found(error):
        return error_page("not_found")

    @app.errorhandler(429)
    def too_many(error):
        return error_page("busy")

    @app.errorhandler(500)
    def server_error(error):
        return error_page("server")
