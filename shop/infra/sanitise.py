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
