"""Secure defaults: headers, cookies, the proxy setting, CSRF on every POST, no open
redirects, rate limits, and logs without personal details."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

import pytest
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import Buyer, csrf_token, language_link, orders_in, text

from shop.infra.security import RedactPersonalData

PERFORMANCE = f"/performances/{DE_STORM_FIRST}"


def test_security_headers_on_every_page(web):
    for url in ("/", f"/shows/{DE_STORM}", PERFORMANCE, "/cart/", "/nope", "/branding.css", "/static/shop.css"):
        headers = web.get(url).headers
        csp = headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'none'", "style-src 'self'", "frame-ancestors 'none'",
                     "object-src 'none'", "base-uri 'none'"):
            assert part in csp, (url, part)
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # plain http: no HSTS


def test_pages_need_no_inline_script_or_style(web):
    for url in ("/", f"/shows/{DE_STORM}", PERFORMANCE, "/cart/"):
        html = text(web.get(url))
        # JSON-LD for search engines is data, never run (and CSP's script-src 'none' allows it): the only script element.
        assert set(re.findall(r"<script[^>]*>", html)) <= {'<script type="application/ld+json">'}
        assert "<style" not in html and " style=" not in html and " on" + "click" not in html


def test_images_allowed_from_the_configured_hosts(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_IMAGE_HOSTS="https://img.voordemensen.example, https://cdn.example")
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    img = re.search(r"img-src ([^;]+)", csp).group(1).split()
    assert img == ["'self'", "https://img.voordemensen.example", "https://cdn.example", sandbox.url]


def test_hsts_and_secure_cookie_over_https(make_app, sandbox):
    app = make_app(sandbox.url, SHOP_BASE_URL="https://tickets.example")
    web = app.test_client()
    web.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/"})
    page = web.get(PERFORMANCE)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_defaults(web):
    cookie = web.get(PERFORMANCE).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("trust, expected", [(None, "http://localhost/order/return"),
                                             ("1", "https://tickets.venue.example/order/return")])
def test_forwarded_headers_only_when_trusted(make_app, sandbox, trust, expected):
    web = make_app(sandbox.url, **({"SHOP_TRUST_PROXY": trust} if trust else {})).test_client()
    web.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "tickets.venue.example",
                             "HTTP_X_FORWARDED_FOR": "203.0.113.7",
                             "HTTP_REFERER": "https://tickets.venue.example/checkout/"})
    buyer = Buyer(web)
    assert ("Strict-Transport-Security" in buyer.opens(PERFORMANCE).headers) == bool(trust)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    buyer.places_order()
    [order] = orders_in(sandbox)
    assert order["redirect_url"] == expected


def test_every_post_needs_a_csrf_token(app, web):
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) >= 5
    for rule in posts:
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        answer = web.post(url, data={f"qty_{STANDARD}": "1", "seat_id": "x", "pay": "1", "next": "/"})
        assert answer.status_code == 400, rule.rule


@pytest.mark.parametrize("url", [
    "/order/return?return=https://evil.example", "/order/return?return=//evil.example",
    "/order/return?response=javascript:alert(1)",
])
def test_no_open_redirect_through_the_return(web, url):
    answer = web.get(url)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_the_language_links_stay_on_the_site(buyer):
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil", "http:evil"):
        link = language_link(buyer.reads("/?" + urlencode({"next": target})), "nl")
        assert link.startswith("/?") and urlsplit(link).netloc == "", link




def test_adding_to_the_cart_is_rate_limited_per_address(make_app, sandbox):
    web = make_app(sandbox.url, SHOP_RATE_LIMIT_CART="3 per minute").test_client()
    buyer, elsewhere = Buyer(web), Buyer(web, address="192.0.2.55")
    token = csrf_token(buyer.reads(PERFORMANCE))
    add = {"csrf_token": token, f"qty_{STANDARD}": "1"}
    statuses = [buyer.posts(PERFORMANCE, add).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    page = buyer.posts(PERFORMANCE, add)
    assert page.status_code == 429 and "wait a minute" in text(page)
    assert buyer.opens(PERFORMANCE).status_code == 200  # looking is not limited
    assert elsewhere.posts(PERFORMANCE, add).status_code == 303


def test_order_creation_is_rate_limited(make_app, sandbox):
    buyer = Buyer(make_app(sandbox.url, SHOP_RATE_LIMIT_ORDER="2 per minute").test_client())
    token = csrf_token(buyer.reads(PERFORMANCE))
    answers = [buyer.posts("/checkout/", {"csrf_token": token}) for _ in range(3)]
    # The first two are handled (an empty cart: back to it), the third is refused before that.
    assert [(a.status_code, a.headers.get("Location")) for a in answers] == [(303, "/cart/"), (303, "/cart/"),
                                                                             (429, None)]


def test_personal_details_are_redacted_in_logs():
    record = logging.LogRecord("shop", logging.WARNING, __file__, 1,
                               "order for %s, phone %s, at %s", ("ann.smit@example.org", "+31 6 1234 5678",
                                                                 "/order/AbC12-xYz"), None)
    RedactPersonalData().filter(record)
    message = record.getMessage()
    assert "ann.smit@example.org" not in message and "a…@example.org" in message
    assert "1234 5678" not in message and "…78" in message
    assert "/order/AbC12-xYz" in message


def test_a_whole_purchase_logs_no_personal_details(buyer, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    buyer.places_order(email="ann.smit@example.org", phone="0612345678", address="Lindeboomstraat 12")
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("ann.smit@example.org", "0612345678", "Lindeboomstraat"):
        assert secret not in logged


def test_sandbox_pages_in_the_shop_need_csrf_too(tmp_path):
    from shop import create_app

    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    rules = [r.rule for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert "/sandbox/pay/<order_key>" in rules
    assert app.test_client().post("/sandbox/pay/AAAAA", data={"pay": "1"}).status_code == 400


def test_a_refused_form_gets_a_friendly_page(web):
    answer = web.post("/checkout/", data={"email": "a@example.org"}, headers={"Accept-Language": "en"})
    assert answer.status_code == 400 and "Please try that again" in text(answer) and "Nothing was changed" in text(answer)


def test_no_host_header_decides_where_the_built_in_sandbox_sends_buyers(tmp_path):
    from shop import create_app

    web = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    buyer = Buyer(web)
    buyer.opens("/", headers={"Host": "evil.example"})  # the very first request starts the sandbox
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    answer = buyer.checks_out()
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sandbox/pay/")
    assert buyer.opens(answer.headers["Location"]).status_code == 200
    assert "Your order is paid" in text(buyer.pays())  # on the shop's own address, back to the shop
