"""What search engines read of the catalogue: a performance as a schema.org Event (JSON-LD),
a description as plain text, and the sitemap.

Flask-free: it takes the catalogue's own values and the absolute URLs the views made, and
returns plain dicts and bytes; the views only serialise them (the template's `tojson`
escapes `<`, `>` and `&`, so no value can end the script element it is written into).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Mapping, Sequence
from xml.etree import ElementTree

import nh3

from shop.domain.programme import SaleState
from shop.vdm import Event, Location, Performance, TicketType
from shop.vdm.models import VENUE_TZ

SCHEMA = "https://schema.org"
CURRENCY = "EUR"  # VdM sells in euros only
AVAILABILITY = {
    SaleState.ON_SALE: f"{SCHEMA}/InStock",
    SaleState.SOLD_OUT: f"{SCHEMA}/SoldOut",
    SaleState.NOT_ON_SALE: f"{SCHEMA}/PreOrder",
}
# A show page repeats the description in each performance's Event: long texts are cut there.
DESCRIPTION_LIMIT = 1000
# Tags that end a line or a block: the words on either side must not run together in plain text.
BREAKS = re.compile(r"<(?=/?(?:p|br|div|li|h[1-6]|blockquote|tr|td|th|dt|dd|section|article)\b)", re.IGNORECASE)


def plain_text(markup: str | None, limit: int | None = None) -> str:
    """A description (the venue's HTML, untrusted) as one line of text: no tags, no script or
    style content, entities read, whitespace collapsed; cut at a word within `limit` characters."""
    if not markup:
        return ""
    stripped = nh3.clean(BREAKS.sub(" <", markup), tags=set(), strip_comments=True)
    text = " ".join(html.unescape(stripped).split())
    if limit is None or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:  # not in the middle of a word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def price_text(amount: Decimal) -> str:
    """A price as schema.org wants it: a string with a dot and two decimals, never a float."""
    return str(amount.quantize(Decimal("0.01")))


@dataclass(frozen=True)
class Organizer:
    name: str
    url: str | None = None  # the venue's own site, when the shop knows it


@dataclass(frozen=True)
class Listing:
    """One performance, with what the shop knows around it, as search engines should see it.

    VdM gives no sale start, no cancellation and no performers today: they stay empty unless
    a source that has them fills them in."""

    show: Event
    performance: Performance
    state: str  # a SaleState
    url: str  # the performance page's absolute URL (its tickets are bought there too)
    image: str | None = None  # absolute
    hall: Location | None = None  # VdM's location with its address, when known
    ticket_types: Sequence[TicketType] | None = None  # None: prices not known
    sale_starts: datetime | None = None
    cancelled: bool = False
    performers: Sequence[str] = field(default_factory=tuple)


def event(listing: Listing, organizer: Organizer) -> dict:
    """A schema.org Event for one performance, with what Google requires (name, startDate,
    location) and recommends (description, endDate, eventStatus, image, offers, organizer,
    performer, eventAttendanceMode) wherever the data has it."""
    show, performance = listing.show, listing.performance
    found = {
        "@context": SCHEMA,
        "@type": "Event",
        "name": show.name or performance.name,
        "description": plain_text(show.text, DESCRIPTION_LIMIT) or show.short_text or None,
        "image": [listing.image] if listing.image else None,
        "url": listing.url,
        "startDate": performance.starts_at.isoformat(),
        "endDate": performance.ends_at.isoformat() if performance.ends_at else None,
        "eventStatus": f"{SCHEMA}/{'EventCancelled' if listing.cancelled else 'EventScheduled'}",
        "eventAttendanceMode": f"{SCHEMA}/OfflineEventAttendanceMode",
        "location": place(listing.hall, performance.location_name or organizer.name),
        "offers": offers(listing),
        "organizer": _without_empty({"@type": "Organization", "name": organizer.name, "url": organizer.url}),
        "performer": [{"@type": "PerformingGroup", "name": name} for name in listing.performers] or None,
    }
    return _without_empty(found)


def place(hall: Location | None, name: str) -> dict:
    """The hall as a Place, with its postal address when VdM's locations give one."""
    if hall is None:
        return {"@type": "Place", "name": name}
    street = ", ".join(line for line in (hall.address, hall.address1) if line)
    address = _without_empty({"@type": "PostalAddress", "streetAddress": street, "postalCode": hall.zip,
                              "addressLocality": hall.city, "addressCountry": hall.country})
    return _without_empty({"@type": "Place", "name": hall.name or name,
                           "address": address if len(address) > 1 else None})


def offers(listing: Listing) -> list[dict] | None:
    """One Offer per ticket type when the prices are known; else one Offer that says only
    whether tickets can be had (a sold-out or not-yet-on-sale performance has no prices in
    the catalogue)."""
    availability = AVAILABILITY.get(listing.state)
    if availability is None:
        return None
    common = {"@type": "Offer", "availability": availability, "url": listing.url,
              "validFrom": listing.sale_starts.isoformat() if listing.sale_starts else None}
    if not listing.ticket_types:
        return [_without_empty(common)]
    return [_without_empty({**common, "name": ticket_type.name or None, "price": price_text(ticket_type.price),
                            "priceCurrency": CURRENCY}) for ticket_type in listing.ticket_types]


def _without_empty(found: dict) -> dict:
    return {key: value for key, value in found.items() if value not in (None, "", [], {})}


# --- the sitemap ----------------------------------------------------------------------------

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class SitemapPage:
    """One page in every language: its URL per language code, the URL that chooses the
    language itself (x-default), and when its content last changed (a time.time(), or None)."""

    urls: Mapping[str, str]
    default: str
    changed_at: float | None = None


def sitemap(pages: Iterable[SitemapPage]) -> bytes:
    """The sitemap protocol's XML: one <url> per page and language, each naming every
    language's version (and x-default) as Google reads hreflang in sitemaps."""
    urlset = ElementTree.Element("urlset", {"xmlns": SITEMAP, "xmlns:xhtml": XHTML})
    for page in pages:
        alternates = [*page.urls.items(), ("x-default", page.default)]
        for url in page.urls.values():
            entry = ElementTree.SubElement(urlset, "url")
            ElementTree.SubElement(entry, "loc").text = url
            if page.changed_at is not None:
                ElementTree.SubElement(entry, "lastmod").text = w3c_datetime(page.changed_at)
            for code, href in alternates:
                ElementTree.SubElement(entry, "xhtml:link", {"rel": "alternate", "hreflang": code, "href": href})
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)


def w3c_datetime(moment: float) -> str:
    return datetime.fromtimestamp(moment, VENUE_TZ).isoformat(timespec="seconds")
