"""The shop inside a venue's own page (SHOP_FRAME_ANCESTORS): only the named sites may frame it,
the checkout leaves the frame for the payment provider (whose pages refuse to be framed), and
the order page works at the top, without anything the frame had."""

from __future__ import annotations

import re

import pytest
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import Buyer, text

from shop.settings import ConfigError

VENUE = "https://www.venue.example"
ANCESTORS = f"{VENUE}, https://venue.example:8443"
PAGES = ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/", "/checkout/", "/no-such-page",
         "/static/shop.css", "/branding.css")


def frame_ancestors(headers) -> list[str]:
    return re.search(r"frame-ancestors ([^;]+)", headers["Content-Security-Policy"]).group(1).split()


def checkout_form_tag(html: str) -> str:
    return re.search(r'<form method="post" action="/checkout/"[^>]*>', html).group(0)


@pytest.fixture
def embedded(make_app, sandbox) -> Buyer:
    """A buyer with a ticket in the cart, at a shop the venue's sites may frame."""
    buyer = Buyer(make_app(sandbox.url, SHOP_FRAME_ANCESTORS=ANCESTORS).test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    return buyer


def test_by_default_no_site_may_frame_the_shop(buyer):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    for path in PAGES:
        headers = buyer.opens(path).headers
        assert frame_ancestors(headers) == ["'none'"], path
        assert headers["X-Frame-Options"] == "DENY", path
    # Not framed, the payment opens where the checkout was: no target.
    assert "target=" not in checkout_form_tag(buyer.reads("/checkout/"))


def test_the_venues_sites_may_frame_the_shop(embedded):
    for path in PAGES:
        headers = embedded.opens(path).headers
        assert frame_ancestors(headers) == [VENUE, "https://venue.example:8443"], path
        # DENY cannot name the venue's sites, and would refuse them in the browsers that still read it.
        assert "X-Frame-Options" not in headers, path
        assert "script-src 'none'" in headers["Content-Security-Policy"], path  # the rest as strict as ever


def tags(html: str, name: str) -> list[str]:
    return re.findall(rf"<{name}\b[^>]*>", html)


def test_embedded_the_checkout_leaves_the_frame_for_the_payment(embedded):
    assert 'target="_top"' in checkout_form_tag(embedded.reads("/checkout/"))
    # Only the checkout: the ticket choice, the cart and the language switch stay in the frame.
    for path in ("/", f"/performances/{DE_STORM_FIRST}", "/cart/"):
        page = embedded.reads(path)
        assert [form for form in tags(page, "form") if "target=" in form] == [], path
        assert [a for a in tags(page, "a") if 'href="/' in a and "target=" in a] == [], path
    # The form's answer is the way to the payment page, which the browser opens at the top.
    embedded.checks_out()
    assert embedded.payment_url


def test_embedded_links_to_other_sites_leave_the_frame(make_app, sandbox):
    """Maps and the venue's own pages refuse to be framed, or would show a site inside itself."""
    buyer = Buyer(make_app(sandbox.url, SHOP_FRAME_ANCESTORS=ANCESTORS, VENUE_PRIVACY_URL=f"{VENUE}/privacy",
                           VENUE_TERMS_URL=f"{VENUE}/terms").test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    for path in (f"/performances/{DE_STORM_FIRST}", "/checkout/"):
        away = [a for a in tags(buyer.reads(path), "a") if 'href="http' in a]
        assert len(away) >= 2 and all('target="_top"' in a for a in away), (path, away)
    # Not embedded, every link opens where it is.
    plain = Buyer(make_app(sandbox.url, VENUE_PRIVACY_URL=f"{VENUE}/privacy").test_client())
    assert [a for a in tags(plain.reads(f"/performances/{DE_STORM_FIRST}"), "a") if "target=" in a] == []


def test_the_order_page_works_at_the_top_without_the_frames_session(embedded, make_app, sandbox):
    """VdM sends the buyer back to the shop's return address at the top of the window, where a
    browser may not have the session the frame had: the order page needs none, only its key."""
    key = embedded.places_order()
    embedded.pays()
    stranger = Buyer(embedded.web.application.test_client())  # no cookies at all
    page = stranger.follows(stranger.opens(f"/order/return?return={key}"))
    assert page.status_code == 200 and "Thank you! Your order is paid" in text(page)


def test_embedding_keeps_the_session_cookie_same_site_lax(embedded):
    """SameSite=None would let any site's forms post with the buyer's session, and still fail in
    browsers that block third-party cookies: a frame on the venue's own site (same site) is what works."""
    cookie = embedded.opens(f"/performances/{DE_STORM_FIRST}").headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("value", [
    "www.venue.example",  # no scheme
    "https://www.venue.example/tickets",  # a path: frame-ancestors takes origins
    "https://www.venue.example;script-src *",  # would end the directive and add another
    "'self' https://www.venue.example",
    "https://user@www.venue.example",
    "ftp://www.venue.example",
])
def test_frame_ancestors_must_be_origins(make_app, sandbox, value):
    with pytest.raises(ConfigError, match="SHOP_FRAME_ANCESTORS"):
        make_app(sandbox.url, SHOP_FRAME_ANCESTORS=value)
