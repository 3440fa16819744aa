"""The shop under a path of the venue's own site, e.g. https://venue.example/tickets/.

Two ways to say where: a path in SHOP_BASE_URL (fixed, for any proxy), or a proxy that passes
X-Forwarded-Prefix, believed only with SHOP_TRUST_PROXY (werkzeug's ProxyFix, in security.py).
Either way the prefix ends up as the WSGI SCRIPT_NAME, so url_for puts it in front of every
link, form action, redirect and static file, and the session cookie is kept to it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


class BasePath:
    """WSGI middleware: requests come in under `path` (SHOP_BASE_URL's), or else under the
    SCRIPT_NAME a trusted proxy set from X-Forwarded-Prefix. A proxy may pass the path on as
    it is (/tickets/cart/) or take it off (/cart/): both reach the same view."""

    def __init__(self, wsgi_app, path: str):
        self.wsgi_app, self.path = wsgi_app, path

    def __call__(self, environ, start_response):
        prefix = self.path or environ.get("SCRIPT_NAME", "").rstrip("/")
        path_info = environ.get("PATH_INFO", "")
        if prefix and (path_info == prefix or path_info.startswith(prefix + "/")):
            path_info = path_info[len(prefix):] or "/"
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = prefix, path_info
        return self.wsgi_app(environ, start_response)


class SessionUnderPrefix(SecureCookieSessionInterface):
    """The session cookie belongs to the shop's path only, not to the venue's whole site (whose
    other applications could read it, or set one of the same name that shadows it)."""

    def get_cookie_path(self, app: Flask) -> str:
        return app.config["SESSION_COOKIE_PATH"] or request.script_root or "/"


def base_path(base_url: str) -> str:
    """SHOP_BASE_URL's path without its trailing slash: '' for a shop at the root."""
    return urlsplit(base_url).path.rstrip("/")


def init_app(app: Flask) -> None:
    """Before security.init_app: its ProxyFix, outside this, sets SCRIPT_NAME from
    X-Forwarded-Prefix first, and a path in SHOP_BASE_URL then has the last word."""
    path = base_path(app.config["SHOP_BASE_URL"])
    if path or app.config["SHOP_TRUST_PROXY"]:
        app.wsgi_app = BasePath(app.wsgi_app, path)
    app.session_interface = SessionUnderPrefix()
