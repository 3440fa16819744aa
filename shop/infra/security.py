"""Secure defaults: response headers, cookies, the reverse proxy, rate limits, and logs
that keep buyers' personal details out."""

from __future__ import annotations

import logging
import re

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from shop.infra import urls

limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Parts a multipart body may have: the shop's largest form, the checkout, has about fifteen.
MAX_FORM_PARTS = 100
# The bodies the shop's forms take: a form of strings (multipart only without files), or none.
FORM_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def content_security_policy(app: Flask) -> str:
    cfg = app.config
    images = ["'self'", *cfg["SHOP_IMAGE_HOSTS"]]
    # Forms post to the shop, whose answer may be a 303 to VdM's payment provider: browsers
    # check form-action on that redirect too, so https is allowed (http only for a local sandbox).
    forms = ["'self'", "https:"]
    for url in (cfg["VDM_API_URL"], cfg.get("VENUE_LOGO_URL") or ""):
        origin = urls.origin(url)
        if origin:
            images.append(origin)
            if origin.startswith("http:"):
                forms.append(origin)
    # Only the venue's own sites may show the shop in a frame, when it names them (SHOP_FRAME_ANCESTORS).
    ancestors = " ".join(cfg["SHOP_FRAME_ANCESTORS"]) or "'none'"
    return "; ".join([
        "default-src 'self'",
        f"img-src {' '.join(dict.fromkeys(images))}",
        "style-src 'self'",
        "script-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action {' '.join(dict.fromkeys(forms))}",
        f"frame-ancestors {ancestors}",
    ])


class RedactPersonalData(logging.Filter):
    """E-mail addresses and phone numbers never reach the logs in full.

    A record logged with extra={"redacted": True} was redacted before it was put together (the
    JSON request log: masking its text could cut a \\u escape in two and leave invalid JSON)."""

    # Letters of any script: "josé@example.org" and "ann@münster.de" are addresses too.
    EMAIL = re.compile(r"([\w.%+-])[\w.%+-]*@([\w.-]+\.[^\W\d_]{2,})")
    PHONE = re.compile(r"(?<![\w/.-])(\+?\d[\d ()-]{6,}\d)(?![\w/.-])")

    @classmethod
    def redact(cls, text: str) -> str:
        return cls.PHONE.sub(lambda m: "…" + m.group(1)[-2:], cls.EMAIL.sub(r"\1…@\2", text))

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):
            return True
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _refused(status: int):
    from shop.views.errors import error_page

    page, _status, headers = error_page("form_refused")
    return page, status, headers


def check_body(limit: int):
    """Before the CSRF check, which reads the form: refuse a body over the limit, and any body
    but a form of strings. Flask-WTF would hand a JSON body's numbers, lists and objects, or
    a multipart body's files, to WTForms, whose string fields then fail with a 500."""
    if request.content_length is not None:
        if request.content_length > limit:  # also where nothing would read the body
            raise RequestEntityTooLarge()
    elif request.method not in SAFE_METHODS and request.environ.get("wsgi.input_terminated"):
        # Werkzeug silently cuts such a body off at the limit, and a form would be parsed from
        # what came before the cut. So the body is read here, kept for the form, and refused
        # when it reaches the limit (it may well go on).
        if len(request.get_data(cache=True, parse_form_data=False)) >= limit:
            raise RequestEntityTooLarge()
    if request.method in SAFE_METHODS:
        return None
    if request.mimetype not in FORM_TYPES:
        return _refused(415)
    if request.files:
        return _refused(400)
    return None


def security_headers(response, csp: str, embeddable: bool = False):
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if not embeddable:
        # For browsers that do not know frame-ancestors. It cannot name origins: with the venue's sites
        # allowed, DENY would refuse them in exactly those browsers, so then it is not sent at all.
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    cfg = app.config
    if cfg["SHOP_TRUST_PROXY"]:
        hops = cfg["SHOP_TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    https = cfg["SHOP_BASE_URL"].startswith("https://")
    app.config.update(SESSION_COOKIE_SECURE=https, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      PREFERRED_URL_SCHEME="https" if https else "http")

    # Request bodies: Flask answers 413 to a declared length over the limit without reading the
    # body, and reads a body without a length (chunked) no further than the limit.
    limit = cfg["SHOP_MAX_BODY_BYTES"]
    cfg.update(MAX_CONTENT_LENGTH=limit, MAX_FORM_MEMORY_SIZE=limit, MAX_FORM_PARTS=MAX_FORM_PARTS)
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: check_body(limit))
    csp = content_security_policy(app)
    embeddable = bool(cfg["SHOP_FRAME_ANCESTORS"])
    app.after_request(lambda response: security_headers(response, csp, embeddable))

    cfg.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    cfg.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    if not (cfg.get("RATELIMIT_DEFAULT") or cfg.get("RATELIMIT_APPLICATION")):
        # Every limit of the shop is on its route (limiter.limit), checked by that route's own
        # wrapper; without default limits, Flask-Limiter's check before every request finds
        # none, yet costs about a tenth of a catalogue page's time. It goes; the routes' stay.
        app.before_request_funcs[None].remove(limiter._check_request_limit)

    # Filters on handlers see every record, also those propagated from other loggers.
    for handler in logging.getLogger().handlers + logging.getLogger("shop.requests").handlers:
        if not any(isinstance(f, RedactPersonalData) for f in handler.filters):
            handler.addFilter(RedactPersonalData())
