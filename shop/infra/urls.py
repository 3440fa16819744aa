"""The shop's URL policy, in one place: which addresses it links to, redirects to, sends
buyers to, and accepts in its settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for

# The names of this machine: a sandbox here may be reached over plain http.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
UNSAFE_CHARACTERS = "\"'<> \\"


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_local_path(url: str) -> bool:
    """A path on this very site: not `//host`, not `/\\host`, no scheme, no control characters."""
    if not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or any(ord(c) < 32 for c in url))


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK_HOSTS


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, for the Content-Security-Policy."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if is_web_url(url) else None


def safe_url(url: str | None) -> str | None:
    """A URL from VdM (an image, the tickets, the receipt) is used only when it is plainly
    http(s), or a path on this very site (the built-in sandbox's pages)."""
    if not url or any(c in url for c in UNSAFE_CHARACTERS):
        return None
    if is_local_path(url):
        return on_this_site(url)
    return url if is_web_url(url) else None


def payment_url_allowed(url: str, built_in_sandbox: bool) -> bool:
    """Where a buyer may be sent to pay: https; or http to a sandbox on this machine; or, from
    the sandbox built into the shop, a path on the shop's own site. Nothing else, whatever VdM
    (or a sandbox) answers."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return True
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return True
    return built_in_sandbox and is_local_path(url)


def absolute_url(endpoint: str, **values) -> str:
    """The full address of one of the shop's pages, for VdM (redirectURL), search engines and
    calendars. SHOP_BASE_URL, when set, names the scheme and host (never a request's Host
    header); the path, with the prefix the shop is served under, is url_for's."""
    base = current_app.config["SHOP_BASE_URL"]
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}{url_for(endpoint, **values)}"


def on_this_site(url: str | None) -> str | None:
    """A path on the shop's own site (the built-in sandbox's pages and images) as the browser
    must ask for it: under the prefix the shop is served at. Other URLs are left as they are."""
    if url and is_local_path(url) and request:
        return request.script_root + url
    return url


def page_scope() -> str:
    """What a page rendered for one visitor depends on besides its data and language: the path
    prefix it is served under (every link has it) and, when addresses come from the request
    (no SHOP_BASE_URL), the scheme and host. A cached page is kept per scope, so a page made
    for https://venue.example/tickets/ never reaches a visitor of another address."""
    host = "" if current_app.config["SHOP_BASE_URL"] else f"{request.scheme}://{request.host}"
    return f"{host}{request.script_root}/"
