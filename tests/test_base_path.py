"""The shop under a path of the venue's own site, https://venue.example/tickets/: behind a
proxy that says so in X-Forwarded-Prefix (believed only with SHOP_TRUST_PROXY), or with the
path in SHOP_BASE_URL. Every link, form, redirect, file, the return address sent to VdM and
the cookie stay under the path, and a page made for one address never reaches another's
visitor."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import PAY, Buyer, catalogue_ready, choose_on_payment_page, language_link, text

PREFIX = "/tickets"
LOCAL = re.compile(r'(?:href|src|action|content)="(/[^"]*)"')


class ThroughProxy:
    """Flask's test client as a browser at https://venue.example/tickets/, behind a reverse
    proxy that passes the path on and says the prefix in X-Forwarded-Prefix (nginx:
    `location /tickets/ { proxy_pass http://shop; proxy_set_header X-Forwarded-Prefix /tickets; }`).
    The browser's addresses keep the prefix, so its cookies are matched as a browser would."""

    def __init__(self, web, prefix: str = PREFIX, *, header: bool = True, base_url: str = "http://localhost"):
        self.web, self.prefix, self.header, self.base_url = web, prefix, header, base_url

    def _browser_path(self, path: str, options: dict) -> str:
        parts = urlsplit(path)  # a Location may be a full address
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        options["headers"] = {**options.get("headers", {}), **({"X-Forwarded-Prefix": self.prefix} if self.header else {})}
        options["base_url"] = self.base_url
        # The buyer's own steps name the shop's paths (/cart/); what the shop sent has the prefix.
        return path if path.startswith(self.prefix + "/") else self.prefix + path

    def get(self, path: str, **options):
        return self.web.get(self._browser_path(path, options), **options)

    def post(self, path: str, data=None, **options):
        path = self._browser_path(path, options)
        # Over https Flask-WTF also checks that a form came from the shop's own pages.
        options["headers"]["Referer"] = self.base_url + path
        return self.web.post(path, data=data, **options)


def local_addresses(html: str) -> list[str]:
    """Every path on the shop's own site that a page links to, posts to or loads."""
    return LOCAL.findall(html)


def outside(addresses: list[str], prefix: str = PREFIX) -> list[str]:
    return [a for a in addresses if not (a == prefix or a.startswith(prefix + "/"))]


@pytest.fixture
def proxied(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_TRUST_PROXY=1)
    catalogue_ready(app)
    return app


def test_every_link_form_and_file_stays_under_the_prefix(proxied):
    buyer = Buyer(ThroughProxy(proxied.test_client()))
    pages = [buyer.reads(f"{PREFIX}/"), buyer.reads(f"{PREFIX}/shows/{DE_STORM}"),
             buyer.reads(f"{PREFIX}/performances/{DE_STORM_FIRST}")]
    added = buyer.adds(DE_STORM_FIRST, **{STANDARD: 2})
    assert added.status_code == 303 and added.headers["Location"] == f"{PREFIX}/cart/"
    pages += [buyer.cart(), buyer.reads(f"{PREFIX}/checkout/")]
    for page in pages:
        addresses = local_addresses(page)
        assert addresses and outside(addresses) == []
    assert f'href="{PREFIX}/static/shop.css' in pages[0]


def test_the_session_cookie_belongs_to_the_prefix_only(proxied):
    web = proxied.test_client()
    Buyer(ThroughProxy(web)).has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    cookie = web.get_cookie("session", path=PREFIX)
    assert cookie is not None and cookie.path == PREFIX
    assert web.get_cookie("session", path="/") is None


def test_the_language_switch_stays_under_the_prefix(proxied):
    buyer = Buyer(ThroughProxy(proxied.test_client()))
    assert language_link(buyer.reads(f"/shows/{DE_STORM}"), "nl") == f"{PREFIX}/shows/{DE_STORM}?lang=nl"
    assert '<html lang="nl">' in text(buyer.switches_language("nl", on=f"/shows/{DE_STORM}"))


def test_a_proxy_that_takes_the_prefix_off_reaches_the_same_pages(proxied):
    web = proxied.test_client()
    for path in ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/"):
        taken_off = web.get(path, headers={"X-Forwarded-Prefix": PREFIX})
        passed_on = web.get(PREFIX + path, headers={"X-Forwarded-Prefix": PREFIX})
        assert taken_off.status_code == passed_on.status_code == 200, path
        assert outside(local_addresses(text(taken_off))) == [], path


def test_the_header_means_nothing_without_a_trusted_proxy(app):
    page = text(app.test_client().get("/", headers={"X-Forwarded-Prefix": PREFIX}))
    assert outside(local_addresses(page), "") == [] and f"{PREFIX}/" not in page


def test_a_page_made_for_one_prefix_never_reaches_a_visitor_without_it(proxied):
    web = proxied.test_client()
    for path in ("/", f"/shows/{DE_STORM}", "/?genre=theatre"):
        under = text(web.get(path, headers={"X-Forwarded-Prefix": PREFIX}))
        assert outside(local_addresses(under)) == []
        direct = text(web.get(path))
        assert f"{PREFIX}/" not in direct, path
        again = text(web.get(path, headers={"X-Forwarded-Prefix": "/other"}))
        assert outside(local_addresses(again), "/other") == [], path


def test_a_purchase_through_the_proxy_comes_back_under_the_prefix(proxied):
    buyer = Buyer(ThroughProxy(proxied.test_client()))
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    buyer.places_order()
    back = choose_on_payment_page(buyer.payment_url, PAY)  # VdM sends the buyer to the redirectURL
    assert back.startswith(f"http://localhost{PREFIX}/order/return?")
    order_page = buyer.follows(buyer.opens(back))
    assert order_page.status_code == 200
    assert outside(local_addresses(text(order_page))) == []


def test_a_path_in_the_base_url_puts_the_shop_under_it(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_BASE_URL="https://venue.example/tickets")
    catalogue_ready(app)
    web = app.test_client()
    # A proxy may pass the path on or take it off: the same page either way.
    for path in (f"{PREFIX}/", "/"):
        page = text(web.get(path))
        assert "De Storm" in page and outside(local_addresses(page)) == [], path
    # The venue's proxy passes the path on, and says nothing: the setting is enough.
    buyer = Buyer(ThroughProxy(web, header=False, base_url="https://venue.example"))
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    cookie = web.get_cookie("session", domain="venue.example", path=PREFIX)
    assert cookie is not None and cookie.path == PREFIX and cookie.secure
    buyer.places_order()
    back = choose_on_payment_page(buyer.payment_url, PAY)
    assert back.startswith(f"https://venue.example{PREFIX}/order/return?")
    assert buyer.follows(buyer.opens(back)).status_code == 200


def test_the_built_in_sandbox_pays_and_shows_tickets_under_the_prefix(make_app):
    app = make_app(SHOP_TRUST_PROXY=1)  # no VDM_API_URL: the sandbox inside the shop
    catalogue_ready(app)
    buyer = Buyer(ThroughProxy(app.test_client()))
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    buyer.places_order()
    assert buyer.payment_url.startswith(f"{PREFIX}/sandbox/")
    order_page = text(buyer.pays(PAY))
    assert "Paid" in order_page or "paid" in order_page
    assert outside(local_addresses(order_page)) == []


def test_the_friendly_error_page_tries_again_under_the_prefix(make_app, scripted_vdm):
    from shop.vdm import UpstreamUnavailable

    app = make_app(vdm_client=scripted_vdm, SHOP_TRUST_PROXY=1)
    catalogue_ready(app)
    buyer = Buyer(ThroughProxy(app.test_client()))
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    scripted_vdm.fail("cart", UpstreamUnavailable("down"))
    page = buyer.opens("/cart/")
    assert page.status_code == 503 and f'href="{PREFIX}/cart/"' in text(page)
    assert outside(local_addresses(text(page))) == []
