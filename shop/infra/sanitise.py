"""The venue's descriptions may hold HTML: keep simple formatting and links, drop the rest."""

from __future__ import annotations

import nh3
from markupsafe import Markup

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote", "h3", "h4", "small"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_html(text: str | None) -> Markup:
    if not text:
        return Markup("")
    return Markup(nh3.clean(text, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow", strip_comments=True))


def safe_image(url: str | None) -> str | None:
    """A URL from VdM (an image, the tickets, the receipt) is used only when it is plainly
    http(s), or a path on this very site (the built-in sandbox's pages)."""
    if not url or any(c in url for c in "\"'<> \\"):
        return None
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return None


safe_link = safe_image