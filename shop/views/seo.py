"""What search engines and link previews read: the head of every page (canonical, hreflang,
Open Graph, or noindex), the performances as schema.org Events, /sitemap.xml and /robots.txt.

The catalogue's pages (programme, show, performance) are each reachable in every language by
its own URL (`?lang=nl`, shop/infra/i18n.py); the canonical URL of a page is the one of the
language it is shown in, and the bare URL, which chooses the language itself, is x-default.
"""

from __future__ import annotations

from typing import Mapping
from urllib.parse import urljoin

from flask import Blueprint, Response, current_app, request
from flask_babel import get_locale

from shop.domain import programme
from shop.domain.structured_data import Listing, Organizer, SitemapPage, event, plain_text, sitemap
from shop.extensions import cache
from shop.infra.box_office import box_office
from shop.infra.i18n import LANGUAGES, PARAMETER, open_graph_locale
from shop.infra.snapshot import Snapshot
from shop.infra.urls import absolute_url, is_web_url, on_this_site, page_scope, safe_url
from shop.vdm import Event, Performance

bp = Blueprint("seo", __name__)

DESCRIPTION_LENGTH = 200  # what link previews and result pages show of a description
SITEMAP_SECONDS = 60
# The buyer's own pages: nothing for a search engine there.
PRIVATE_BLUEPRINTS = ("cart", "checkout", "orders")


def language_urls(endpoint: str, **values) -> tuple[dict[str, str], str]:
    """A page's absolute URL in each language, and the one that lets the visitor's language
    choose (x-default)."""
    urls = {code: absolute_url(endpoint, **values, **{PARAMETER: code}) for code in LANGUAGES}
    return urls, absolute_url(endpoint, **values, **{PARAMETER: None})


def absolute(url: str | None) -> str | None:
    """An image from VdM as an absolute URL: a path on the shop's own site (the built-in
    sandbox's) gets the shop's address; anything unsafe is left out."""
    url = safe_url(url)
    if url is None or is_web_url(url):
        return url
    return urljoin(absolute_url("catalogue.programme", **{PARAMETER: None}), on_this_site(url))


@bp.app_template_global()
def head_meta(page: Mapping | None) -> dict:
    """What templates/_head_meta.html writes. `page` is what a page to be found says of itself
    (title, and description and image where it has them); a page without it (cart, checkout,
    orders, errors) is kept out of search engines."""
    if page is None:
        return {"robots": "noindex"}
    language = str(get_locale())
    urls, default = language_urls(request.endpoint, **(request.view_args or {}))
    return {
        "canonical": urls.get(language, default),
        "alternates": [*urls.items(), ("x-default", default)],
        "title": page["title"],
        "description": plain_text(page.get("description"), DESCRIPTION_LENGTH),
        "image": absolute(page.get("image")),
        "locale": open_graph_locale(language),
        "other_locales": [open_graph_locale(code) for code in LANGUAGES if code != language],
    }


@bp.app_template_global()
def structured_data(show: Event, performance: Performance | None = None) -> list[dict]:
    """The schema.org Events of a show page (every visible performance) or of a performance
    page (its own), from the catalogue snapshot: never a call to VdM."""
    snapshot = box_office().snapshot()
    organizer = Organizer(current_app.config["VENUE_NAME"])
    language = str(get_locale())
    image = absolute(show.image)
    performances = (performance,) if performance is not None else programme.visible(show.performances)
    return [event(Listing(show, p, programme.state(p),
                          url=absolute_url("catalogue.performance", performance_id=p.id, **{PARAMETER: language}),
                          image=image, hall=snapshot.locations.get(p.location_id),
                          ticket_types=snapshot.ticket_types.get(p.id)), organizer)
            for p in performances]


def sitemap_page(changed_at: float | None, endpoint: str, **values) -> SitemapPage:
    urls, default = language_urls(endpoint, **values)
    return SitemapPage(urls, default, changed_at)


def sitemap_pages(snapshot: Snapshot) -> list[SitemapPage]:
    """The programme, every show with a performance to come and every such performance."""
    pages = [sitemap_page(snapshot.changed_at("programme"), "catalogue.programme")]
    for card in programme.cards(snapshot.events, snapshot.prices):
        pages.append(sitemap_page(snapshot.changed_at("show", card.event.id), "catalogue.show",
                                  event_id=card.event.id))
        pages += [sitemap_page(snapshot.changed_at("performance", p.id), "catalogue.performance", performance_id=p.id)
                  for p in card.performances]
    return pages


@bp.get("/sitemap.xml")
def sitemap_xml():
    snapshot = box_office().snapshot()
    # Some 50 ms at a large venue: made once per snapshot and address, and at most a minute old
    # (performances that have started leave it).
    key = f"sitemap:{page_scope()}:{snapshot.version}"
    xml = cache.get(key)
    if xml is None:
        xml = sitemap(sitemap_pages(snapshot))
        cache.set(key, xml, timeout=SITEMAP_SECONDS)
    return Response(xml, mimetype="application/xml")


def private_paths() -> list[str]:
    """The shortest path prefixes that hold every page of PRIVATE_BLUEPRINTS: /cart/, /order/..."""
    prefixes = {rule.rule.split("<", 1)[0].rsplit("/", 1)[0] + "/" for rule in current_app.url_map.iter_rules()
                if rule.endpoint.partition(".")[0] in PRIVATE_BLUEPRINTS}
    return sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))


@bp.get("/robots.txt")
def robots_txt():
    # Crawlers read this only at the root of a host: under a path, the venue's own robots.txt
    # must say the same (README, "Search engines").
    lines = ["User-agent: *", *(f"Disallow: {request.script_root}{path}" for path in private_paths()),
             "", f"Sitemap: {absolute_url('seo.sitemap_xml')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
