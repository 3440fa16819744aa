"""Found by search engines: the performances as schema.org Events (read as linked data), the
head's canonical, hreflang, Open Graph and robots meta, every language at its own URL, the
sitemap and robots.txt."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from demo import (
    AFTER_MIDNIGHT,
    DE_STORM,
    DE_STORM_FIRST,
    DE_STORM_MATINEE,
    GOUDEN_UUR,
    GOUDEN_UUR_LATER,
    JAZZ,
    JAZZ_ON_SALE,
    MESSIAH,
    MESSIAH_FIRST,
    MESSIAH_MATINEE,
    NACHTVLINDERS,
    NACHTVLINDERS_FIRST,
    NACHTVLINDERS_LATER,
    NOT_ON_SALE_YET,
    PAST,
    SOLD_OUT,
    STANDARD,
    UNPUBLISHED,
    VIER_SEIZOENEN,
    VIER_SEIZOENEN_FIRST,
    ZWANENMEER,
    ZWANENMEER_FIRST,
    ZWANENMEER_SECOND,
)
from fakes import FakeVdm, show, sub_event, ticket_type
from helpers import Buyer, catalogue_ready, language_link, text
from pyld import jsonld

from shop.domain.programme import SaleState
from shop.domain.structured_data import Listing, Organizer, event, plain_text
from shop.infra.snapshot import Snapshot
from shop.vdm import Event, Location

SCHEMA = "https://schema.org/"
LANGUAGES = ("nl", "en")
OTHER = {"nl": "en", "en": "nl"}
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"

VISIBLE_SHOWS = {DE_STORM, NACHTVLINDERS, MESSIAH, ZWANENMEER, JAZZ, GOUDEN_UUR, VIER_SEIZOENEN}
VISIBLE_PERFORMANCES = {DE_STORM_FIRST, SOLD_OUT, DE_STORM_MATINEE, NACHTVLINDERS_FIRST, NACHTVLINDERS_LATER,
                        MESSIAH_FIRST, MESSIAH_MATINEE, ZWANENMEER_FIRST, ZWANENMEER_SECOND, JAZZ_ON_SALE,
                        NOT_ON_SALE_YET, AFTER_MIDNIGHT, GOUDEN_UUR_LATER, VIER_SEIZOENEN_FIRST}


# --- reading a page as a search engine does ---------------------------------------------------


class Head(HTMLParser):
    """The <link>s, <meta>s and JSON-LD scripts of a page, read as a browser would: a script
    ends at the first `</script>`, whatever the JSON inside says."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.meta: dict[str, list[str]] = {}
        self.scripts: list[str] = []
        self._in_json = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "link":
            self.links.append(found)
        elif tag == "meta" and (found.get("property") or found.get("name")):
            self.meta.setdefault(found.get("property") or found.get("name"), []).append(found.get("content"))
        elif tag == "script":
            assert found == {"type": "application/ld+json"}, found  # no other script on any page
            self._in_json = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json = False

    def handle_data(self, data):
        if self._in_json:
            self.scripts[-1] += data

    def one(self, name: str) -> str | None:
        values = self.meta.get(name, [])
        assert len(values) <= 1, (name, values)
        return values[0] if values else None

    def rel(self, rel: str) -> list[dict]:
        return [link for link in self.links if link.get("rel") == rel]

    @property
    def canonical(self) -> str | None:
        found = self.rel("canonical")
        assert len(found) <= 1
        return found[0]["href"] if found else None

    @property
    def hreflang(self) -> dict[str, str]:
        return {link["hreflang"]: link["href"] for link in self.rel("alternate") if "hreflang" in link}


def schema_org_loader(url, options=None):
    """There is no internet here: the schema.org context is served from this minimal stand-in,
    which maps every term into the schema.org vocabulary (as the real context does for the
    terms used here)."""
    if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
        raise jsonld.JsonLdError(f"no document for {url} in this test", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": {"@vocab": SCHEMA}}}


def events_of(html: str) -> list[dict]:
    """The page's JSON-LD expanded as linked data: schema.org Events, by their full IRIs."""
    head = Head(html)
    nodes = []
    for script in head.scripts:
        nodes += jsonld.expand(json.loads(script), {"documentLoader": schema_org_loader})
    assert all(node["@type"] == [SCHEMA + "Event"] for node in nodes)
    return nodes


def values(node: dict, name: str) -> list:
    """A property's values: plain values as they are, nodes as expanded dicts."""
    return [v.get("@value", v) for v in node.get(SCHEMA + name, [])]


def value(node: dict, name: str):
    found = values(node, name)
    assert len(found) == 1, (name, found)
    return found[0]


@pytest.fixture
def shop(app):
    catalogue_ready(app)
    return app


# --- schema.org Events ------------------------------------------------------------------------


def check_event(node: dict, *, performance: int, lang: str) -> None:
    """What Google requires of an Event (name, startDate, location with its address) and
    recommends (description, endDate, eventStatus, eventAttendanceMode, image, offers, organizer)."""
    assert value(node, "name") == "De Storm"
    assert value(node, "description").startswith("Shakespeares laatste stuk") and "<" not in value(node, "description")
    assert value(node, "url") == f"http://localhost/performances/{performance}?lang={lang}"
    start, end = datetime.fromisoformat(value(node, "startDate")), datetime.fromisoformat(value(node, "endDate"))
    assert start.utcoffset() is not None and end > start and (start.hour, start.minute) == (20, 15)
    assert value(node, "eventStatus") == SCHEMA + "EventScheduled"
    assert value(node, "eventAttendanceMode") == SCHEMA + "OfflineEventAttendanceMode"
    assert value(node, "image").startswith("http://127.0.0.1:") and value(node, "image").endswith("/storm.svg")
    place = value(node, "location")
    assert place["@type"] == [SCHEMA + "Place"] and value(place, "name") == "Grote Zaal"
    address = value(place, "address")
    assert address["@type"] == [SCHEMA + "PostalAddress"]
    assert (value(address, "streetAddress"), value(address, "postalCode"), value(address, "addressLocality"),
            value(address, "addressCountry")) == ("Lindeboomplein 1", "3512 LB", "Utrecht", "NL")
    organizer = value(node, "organizer")
    assert organizer["@type"] == [SCHEMA + "Organization"] and value(organizer, "name") == "Tickets"
    assert values(node, "performer") == []  # VdM's data names none


def test_an_on_sale_performance_is_an_event_with_each_ticket_type_as_an_offer(shop):
    html = Buyer(shop.test_client(), "en").reads(f"/performances/{DE_STORM_FIRST}")
    [node] = events_of(html)
    check_event(node, performance=DE_STORM_FIRST, lang="en")
    offers = values(node, "offers")
    assert {(value(o, "name"), value(o, "price")) for o in offers} == {("Standaard", "24.50"), ("Stadspas", "18.38"),
                                                                      ("65+", "22.00")}
    for offer in offers:
        assert offer["@type"] == [SCHEMA + "Offer"]
        assert value(offer, "priceCurrency") == "EUR" and value(offer, "availability") == SCHEMA + "InStock"
        assert value(offer, "url") == f"http://localhost/performances/{DE_STORM_FIRST}?lang=en"
        assert values(offer, "validFrom") == []  # VdM does not say when a sale starts


@pytest.mark.parametrize("performance, availability", [(SOLD_OUT, "SoldOut"), (NOT_ON_SALE_YET, "PreOrder")])
def test_a_performance_without_tickets_to_sell_says_so(shop, performance, availability):
    html = Buyer(shop.test_client(), "nl").reads(f"/performances/{performance}")
    [node] = events_of(html)
    [offer] = values(node, "offers")
    assert value(offer, "availability") == SCHEMA + availability
    assert value(offer, "url") == f"http://localhost/performances/{performance}?lang=nl"
    assert values(offer, "price") == []  # the catalogue has no prices for it: none made up
    if performance == SOLD_OUT:
        check_event(node, performance=SOLD_OUT, lang="nl")
    else:
        assert value(value(value(node, "location"), "address"), "streetAddress") == "Lindeboomplein 1, Eerste verdieping"


def test_a_show_page_has_an_event_per_visible_performance(shop):
    html = Buyer(shop.test_client(), "en").reads(f"/shows/{DE_STORM}")
    nodes = events_of(html)
    assert [value(n, "url") for n in nodes] == [f"http://localhost/performances/{p}?lang=en"
                                                for p in (DE_STORM_FIRST, SOLD_OUT, DE_STORM_MATINEE)]
    for node, performance in zip(nodes[:2], (DE_STORM_FIRST, SOLD_OUT), strict=True):
        check_event(node, performance=performance, lang="en")
    jazz = events_of(Buyer(shop.test_client(), "en").reads(f"/shows/{JAZZ}"))
    assert [value(n, "url").split("?")[0].rsplit("/", 1)[1] for n in jazz] == [str(JAZZ_ON_SALE), str(NOT_ON_SALE_YET)]


def next_day_in(month: int) -> date:
    """The 15th of `month` in the coming year: always ahead, whenever the test runs."""
    today = date.today()
    return date(today.year + 1, month, 15)


@pytest.fixture
def fake_venue():
    events = [show(1000, [{**sub_event(10001, 1000, next_day_in(1), at="20:15:00"), "event_end": "22:30"},
                          {**sub_event(10002, 1000, next_day_in(7), at="20:15:00"), "event_end": "22:30"}],
                   name="Winter en zomer"),
              show(2000, [sub_event(20001, 2000, next_day_in(3))], name='</script><script>alert("x")</script> & <b>')]
    return FakeVdm(events)


def test_the_dates_carry_the_venues_offset_in_winter_and_summer(make_app, fake_venue):
    app = make_app(vdm_client=fake_venue)
    catalogue_ready(app)
    nodes = events_of(Buyer(app.test_client(), "en").reads("/shows/1000"))
    winter, summer = (value(n, "startDate") for n in nodes)
    assert winter == f"{next_day_in(1).isoformat()}T20:15:00+01:00"
    assert summer == f"{next_day_in(7).isoformat()}T20:15:00+02:00"
    assert [value(n, "endDate")[-6:] for n in nodes] == ["+01:00", "+02:00"]
    assert value(value(value(nodes[0], "location"), "address"), "postalCode") == "3511 AB"
    assert {value(o, "price") for n in nodes for o in values(n, "offers")} == {"20.00"}


def test_a_show_name_cannot_end_the_json_ld(make_app, fake_venue):
    app = make_app(vdm_client=fake_venue)
    catalogue_ready(app)
    for url in ("/shows/2000", "/performances/20001"):
        html = Buyer(app.test_client(), "en").reads(url)
        assert html.count("<script") == html.count("</script>") == 1  # Head also refuses any other script
        [node] = events_of(html)
        assert value(node, "name") == '</script><script>alert("x")</script> & <b>'


def test_the_event_carries_what_only_some_data_has():
    """Sale start, cancellation and performers are not in VdM's data today; when a source has
    them, they are said."""
    start = datetime.fromisoformat("2027-02-01T20:00:00+01:00")
    show_ = Event.from_dict({"event_id": 1, "event_name": "Gala", "event_text": "<p>Een <em>feest</em>.</p><p>Kom!</p>",
                             "sub_events": [{"event_id": 2, "event_main_id": 1, "event_date": "2027-03-01",
                                             "event_time": "20:00:00", "event_status": "pub", "event_free": 5,
                                             "location_name": "Zaal"}]})
    listing = Listing(show_, show_.performances[0], SaleState.ON_SALE, url="https://t.example/performances/2",
                      ticket_types=[ticket_type("12.5")], sale_starts=start, cancelled=True,
                      performers=["Het Gezelschap"])
    found = event(listing, Organizer("Theater", "https://theater.example/"))
    assert found["eventStatus"] == "https://schema.org/EventCancelled"
    assert found["description"] == "Een feest. Kom!"
    assert found["offers"] == [{"@type": "Offer", "name": "Standaard", "price": "12.50", "priceCurrency": "EUR",
                                "availability": "https://schema.org/InStock", "url": "https://t.example/performances/2",
                                "validFrom": "2027-02-01T20:00:00+01:00"}]
    assert found["performer"] == [{"@type": "PerformingGroup", "name": "Het Gezelschap"}]
    assert found["organizer"] == {"@type": "Organization", "name": "Theater", "url": "https://theater.example/"}
    assert found["location"] == {"@type": "Place", "name": "Zaal"}  # no address known: none made up
    assert "endDate" not in found and "image" not in found


def test_descriptions_are_plain_text():
    html = ('<p style="x">Kept <strong>bold</strong> &amp; <a href="https://e.example">a link</a>.</p>'
            "<script>alert(1)</script><style>p{}</style><ul><li>one</li><li>two</li></ul>line<br>break")
    assert plain_text(html) == "Kept bold & a link. one two line break"
    assert plain_text("word " * 100, limit=30) == "word word word word word word…"
    assert plain_text(None) == plain_text("") == ""


# --- the head: canonical, hreflang, Open Graph, robots ------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path, title", [(f"/shows/{DE_STORM}", "De Storm"),
                                         (f"/performances/{DE_STORM_FIRST}", "De Storm · ")])
def test_show_and_performance_pages_name_their_url_in_every_language(shop, lang, path, title):
    head = Head(Buyer(shop.test_client(), lang).reads(path))
    canonical = f"http://localhost{path}?lang={lang}"
    assert head.canonical == canonical
    assert head.hreflang == {"nl": f"http://localhost{path}?lang=nl", "en": f"http://localhost{path}?lang=en",
                             "x-default": f"http://localhost{path}"}
    assert head.one("og:url") == canonical and head.one("og:type") == "website"
    assert head.one("og:title").startswith(title) and head.one("og:site_name") == "Tickets"
    assert head.one("og:description").startswith("Shakespeares laatste stuk") and len(head.one("og:description")) <= 200
    assert head.one("description") == head.one("og:description")
    assert head.one("og:locale") == {"nl": "nl_NL", "en": "en_US"}[lang]
    assert head.meta["og:locale:alternate"] == [{"nl": "en_US", "en": "nl_NL"}[lang]]
    assert head.one("og:image").startswith("http://127.0.0.1:") and head.one("og:image").endswith("/storm.svg")
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("robots") is None


def test_a_show_without_an_image_has_a_small_card(shop):
    head = Head(Buyer(shop.test_client(), "en").reads(f"/shows/{VIER_SEIZOENEN}"))
    assert head.one("twitter:card") == "summary" and head.one("og:image") is None


def test_the_programme_is_found_too(shop):
    head = Head(Buyer(shop.test_client(), "nl").reads("/?genre=Dans&page=1"))
    # A filtered or later page of the programme points at the programme itself.
    assert head.canonical == "http://localhost/?lang=nl" and head.one("og:title") == "Programma"
    assert head.hreflang["x-default"] == "http://localhost/"


def test_the_buyers_own_pages_and_errors_are_kept_out(shop):
    buyer = Buyer(shop.test_client(), "en")
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    pages = {"cart": buyer.cart(), "checkout": buyer.reads("/checkout/"),
             "order": buyer.reads(f"/order/{buyer.places_order()}")}
    for name, path in (("bad return", "/order/return"), ("not found", "/nope"), ("no such show", "/shows/999999")):
        pages[name] = text(buyer.opens(path))
    for name, html in pages.items():
        head = Head(html)
        assert head.one("robots") == "noindex", name
        assert head.canonical is None and head.hreflang == {} and head.one("og:title") is None, name


def test_absolute_urls_follow_the_base_url_and_its_path(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_BASE_URL="https://venue.example/tickets")
    catalogue_ready(app)
    web = app.test_client()
    head = Head(Buyer(web, "en").reads(f"/tickets/shows/{DE_STORM}"))
    assert head.canonical == f"https://venue.example/tickets/shows/{DE_STORM}?lang=en"
    assert head.hreflang["x-default"] == f"https://venue.example/tickets/shows/{DE_STORM}"
    assert value(events_of(Buyer(web, "en").reads(f"/tickets/shows/{DE_STORM}"))[0], "url") == (
        f"https://venue.example/tickets/performances/{DE_STORM_FIRST}?lang=en")
    robots = text(web.get("/tickets/robots.txt"))
    assert "Disallow: /tickets/cart/\n" in robots
    assert robots.endswith("Sitemap: https://venue.example/tickets/sitemap.xml\n")
    locs = [loc.text for loc in ElementTree.fromstring(web.get("/tickets/sitemap.xml").data).iter(SITEMAP + "loc")]
    assert locs[:2] == ["https://venue.example/tickets/?lang=nl", "https://venue.example/tickets/?lang=en"]


def test_images_on_the_shops_own_site_get_its_address(make_app):
    app = make_app()  # the built-in sandbox: its images are paths on the shop's own site
    catalogue_ready(app)
    head = Head(Buyer(app.test_client(), "en").reads(f"/shows/{DE_STORM}"))
    assert head.one("og:image") == "http://localhost/sandbox/static/images/storm.svg"


# --- every language at its own URL ------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_url_answers_in_its_language_without_cookies(shop, lang):
    crawler = shop.test_client(use_cookies=False)  # and a browser asking for the other language
    for path in ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", f"/performances/{NOT_ON_SALE_YET}"):
        html = text(crawler.get(f"{path}?lang={lang}", headers={"Accept-Language": OTHER[lang]}))
        assert f'<html lang="{lang}">' in html, path
    # Its links to the catalogue stay in that language, so a crawler that follows them does too.
    show_page = text(crawler.get(f"/shows/{DE_STORM}?lang={lang}"))
    assert f'href="/performances/{DE_STORM_FIRST}?lang={lang}"' in show_page
    assert f'href="/?lang={lang}"' in show_page and 'href="/cart/"' in show_page
    # So does a search of the programme (a GET form, whose action's query the browser drops).
    programme = text(crawler.get(f"/?lang={lang}"))
    assert f'<input type="hidden" name="lang" value="{lang}">' in programme
    bare = crawler.get("/", headers={"Accept-Language": lang})
    assert 'name="lang"' not in text(bare)
    # The bare address answers in the browser's language: shared caches must keep them apart.
    assert "Accept-Language" in bare.headers["Vary"]
    assert "Accept-Language" not in crawler.get(f"/?lang={lang}").headers.get("Vary", "")


def test_pages_reached_without_a_language_url_link_as_before(shop):
    """The programme's and show's cached parts are kept apart for both kinds of visitor."""
    web = shop.test_client()
    assert f'href="/performances/{DE_STORM_FIRST}?lang=en"' in text(web.get(f"/shows/{DE_STORM}?lang=en"))
    bare = text(shop.test_client().get(f"/shows/{DE_STORM}", headers={"Accept-Language": "en"}))
    links = re.sub(r'<a href="[^"]*" class="lang"', "", bare.split("</head>")[1])  # but the language switch
    assert f'href="/performances/{DE_STORM_FIRST}"' in bare and "?lang=" not in links
    assert 'href="/shows/100?lang=nl"' in text(web.get("/?lang=nl"))
    assert 'href="/shows/100"' in text(shop.test_client().get("/", headers={"Accept-Language": "nl"}))


def test_a_buyer_who_arrives_by_a_language_url_keeps_it_and_can_switch(shop):
    buyer = Buyer(shop.test_client(), "nl")
    buyer.reads(f"/shows/{DE_STORM}?lang=en")
    assert '<html lang="en">' in buyer.cart()  # the cart has no language URL: the session took it on
    assert language_link(buyer.reads(f"/shows/{DE_STORM}?lang=en"), "nl") == f"/shows/{DE_STORM}?lang=nl"
    assert '<html lang="nl">' in text(buyer.switches_language("nl", on=f"/shows/{DE_STORM}?lang=en"))
    assert '<html lang="nl">' in buyer.cart(language="en")


def test_a_language_url_names_only_the_shops_languages(shop):
    html = text(shop.test_client().get(f"/shows/{DE_STORM}?lang=xx", headers={"Accept-Language": "en"}))
    assert '<html lang="en">' in html and Head(html).canonical == f"http://localhost/shows/{DE_STORM}?lang=en"


# --- sitemap and robots.txt -------------------------------------------------------------------


def sitemap_of(web) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Each <loc> with its lastmod and its hreflang alternates."""
    answer = web.get("/sitemap.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    root = ElementTree.fromstring(answer.data)
    assert root.tag == SITEMAP + "urlset"
    found = {}
    for url in root.findall(SITEMAP + "url"):
        lastmod = url.find(SITEMAP + "lastmod")
        alternates = {link.get("hreflang"): link.get("href") for link in url.findall(XHTML + "link")}
        assert all(link.get("rel") == "alternate" for link in url.findall(XHTML + "link"))
        found[url.find(SITEMAP + "loc").text] = (lastmod.text if lastmod is not None else None, alternates)
    return found


def test_the_sitemap_lists_every_visible_show_and_performance_in_every_language(shop):
    found = sitemap_of(shop.test_client())
    pages = {"/"} | {f"/shows/{s}" for s in VISIBLE_SHOWS} | {f"/performances/{p}" for p in VISIBLE_PERFORMANCES}
    assert set(found) == {f"http://localhost{page}?lang={lang}" for page in pages for lang in LANGUAGES}
    for page in pages:
        for lang in LANGUAGES:
            lastmod, alternates = found[f"http://localhost{page}?lang={lang}"]
            assert alternates == {"nl": f"http://localhost{page}?lang=nl", "en": f"http://localhost{page}?lang=en",
                                  "x-default": f"http://localhost{page}"}
            assert datetime.fromisoformat(lastmod).utcoffset() is not None
    assert not any(f"/{gone}?" in url for url in found for gone in (PAST, UNPUBLISHED))


def test_the_sitemap_is_escaped_xml(make_app, fake_venue):
    app = make_app(vdm_client=fake_venue, SHOP_BASE_URL="https://t.example/a&b")
    catalogue_ready(app)
    found = sitemap_of(app.test_client())  # parsing it is the test: a bare & would not parse
    assert "https://t.example/a&b/shows/2000?lang=en" in found


def test_lastmod_moves_only_when_a_page_changes(make_app, fake_venue):
    app = make_app(vdm_client=fake_venue)
    catalogue = app.extensions["box_office"].catalogue
    catalogue_ready(app)
    catalogue.stop()  # the test refreshes by itself
    web = app.test_client()
    first = sitemap_of(web)
    time.sleep(1.1)  # lastmod is written in whole seconds
    catalogue.refresh()
    assert sitemap_of(web) == first  # nothing changed at VdM: nothing moves
    fake_venue.events[0]["event_name"] = "Winter en zomer, herzien"
    fake_venue.prices[20001] = "25.00"
    catalogue.refresh()
    after = sitemap_of(web)
    moved = {url.split("//localhost")[1].split("?")[0] for url in first if after[url][0] != first[url][0]}
    assert moved == {"/", "/shows/1000", "/performances/10001", "/performances/10002", "/shows/2000",
                     "/performances/20001"}
    assert all(after[url][0] > first[url][0] for url in first if after[url][0] != first[url][0])


def test_a_snapshot_an_older_shop_left_in_redis_still_reads():
    state = {name: value for name, value in Snapshot(1.0, ()).__getstate__().items() if name != "changes"}
    revived = Snapshot.__new__(Snapshot)
    revived.__setstate__(state)  # as pickle does with a snapshot stored before lastmod was kept
    assert revived.changes == {} and revived.changed_at("programme") is None and revived.taken_at == 1.0


def test_robots_keep_crawlers_out_of_the_buyers_pages(shop):
    answer = shop.test_client().get("/robots.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    lines = text(answer).splitlines()
    assert lines[0] == "User-agent: *"
    assert {line for line in lines if line.startswith("Disallow:")} == {
        "Disallow: /cart/", "Disallow: /checkout/", "Disallow: /order/"}
    assert lines[-1] == "Sitemap: http://localhost/sitemap.xml"


def test_prices_are_decimal_strings():
    hall = Location(1, "Zaal", "Straat 1", "", "1234 AB", "Stad", "NL", "")
    show_ = Event.from_dict({"event_id": 1, "event_name": "X", "sub_events": [
        {"event_id": 2, "event_main_id": 1, "event_date": "2027-03-01", "event_time": "20:00:00", "event_status": "pub",
         "event_free": 5}]})
    found = event(Listing(show_, show_.performances[0], SaleState.ON_SALE, url="u", hall=hall,
                          ticket_types=[ticket_type("0.1"), ticket_type("1000000")]), Organizer("T"))
    assert [o["price"] for o in found["offers"]] == ["0.10", "1000000.00"]
    assert Decimal(found["offers"][0]["price"]) == Decimal("0.1")
    assert found["location"]["address"]["streetAddress"] == "Straat 1"
