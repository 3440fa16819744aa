"""Checkout, order creation, the return from payment and the order page."""

from __future__ import annotations

import re
import sqlite3
import time
from decimal import Decimal

import pytest
import requests
from conftest import LiveServer, checkout_fields, csrf_token, submit, submit_together, text

from shop.vdm import (
    BadResponse,
    Cart,
    ConnectFailed,
    OrderCreated,
    OrderStatus,
    Rejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

STANDARD = "2ePdA8q3BN"
EN = {"Accept-Language": "en"}
DETAILS = {"email": "ann@example.org", "firstname": "Ann", "lastname": "Smit", "payment_id": "34"}


def fill_cart(web, performance_id=101, quantity=2, ticket_type=STANDARD):
    answer = submit(web, f"/performances/{performance_id}", {f"qty_{ticket_type}": str(quantity)}, headers=EN)
    assert answer.status_code == 303


def checkout_form(web) -> dict:
    return checkout_fields(text(web.get("/checkout/", headers=EN)))


def check_out(web, form=None, **details):
    data = {**(form or checkout_form(web)), **DETAILS, **details}
    return web.post("/checkout/", data={k: v for k, v in data.items() if v is not None}, headers=EN)


def orders_in(sandbox) -> list[sqlite3.Row]:
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM orders").fetchall()
    finally:
        db.close()


def choose_on_payment_page(url: str, choice: str) -> str:
    """Act as the buyer on the sandbox's payment page; returns where it sends the browser."""
    session = requests.Session()
    page = session.get(url, timeout=5)
    answer = session.post(url, data={"csrf_token": csrf_token(page.text), choice: "x"}, allow_redirects=False,
                          timeout=5)
    assert answer.status_code == 303
    return answer.headers["Location"]


# --- the form ---------------------------------------------------------------------------------


def test_checkout_page(web):
    fill_cart(web)
    html = text(web.get("/checkout/", headers=EN))
    for name in ("email", "firstname", "lastname", "phone", "address", "city", "zip", "payment_id", "avg_optin",
                 "avg_mailinglist"):
        assert f'name="{name}"' in html, name
    assert re.search(r'<input[^>]*name="avg_optin"[^>]*>', html).group(0).count("checked") == 0
    assert re.search(r'<input[^>]*name="avg_mailinglist"[^>]*>', html).group(0).count("checked") == 0
    assert "Creditcard + €1.50 (total €50.50)" in html and "iDEAL (total €49.00)" in html
    assert "2 × Standaard" in html and "€49.00" in html  # the cart summary
    assert 'autocomplete="email"' in html and 'autocomplete="postal-code"' in html
    assert 'name="terms"' not in html  # no terms URL configured


def test_empty_cart_cannot_be_checked_out(web):
    answer = web.get("/checkout/", headers=EN)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart/")
    assert "nothing to check out" in text(web.get("/cart/", headers=EN))


@pytest.mark.parametrize("change, field, message", [
    ({"email": ""}, "email", "Enter your e-mail address."),
    ({"email": "ann@"}, "email", "Enter an e-mail address like"),
    ({"email": "ann example.org"}, "email", "Enter an e-mail address like"),
    ({"firstname": "   "}, "firstname", "Enter your first name."),
    ({"lastname": None}, "lastname", "Enter your last name."),
    ({"lastname": "x" * 101}, "lastname", "Field cannot be longer than 100 characters."),
    ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
    ({"payment_id": None}, "payment_id", "Choose how you want to pay."),
    ({"payment_id": "999"}, "payment_id", "Not a valid choice"),
    ({"payment_id": "abc"}, "payment_id", "Not a valid choice"),
])
def test_validation_errors_keep_what_was_typed(web, sandbox, change, field, message):
    fill_cart(web)
    typed = {"phone": "030 123 45 67", "city": "Utrecht", "zip": "3511 AB", "avg_mailinglist": "y", **change}
    answer = check_out(web, **typed)
    assert answer.status_code == 422
    html = text(answer)
    assert message in html
    assert 'id="error-summary"' in html and f'href="#{field}"' in html  # in the summary, linked to the field
    assert 'aria-invalid="true"' in html or field == "payment_id"
    assert 'value="Utrecht"' in html and 'value="3511 AB"' in html
    assert re.search(r'<input[^>]*name="avg_mailinglist"[^>]*>', html).group(0).count("checked") == 1
    if field != "email":
        assert 'value="ann@example.org"' in html
    assert orders_in(sandbox) == []


def test_details_are_trimmed_and_consents_sent_as_booleans(web, sandbox):
    fill_cart(web)
    answer = check_out(web, email="  ann@example.org ", firstname=" Ann ", zip=" 3511 AB ", avg_optin="y")
    assert answer.status_code == 303
    [order] = orders_in(sandbox)
    import json

    customer = json.loads(order["customer"])
    assert customer["email"] == "ann@example.org" and customer["firstname"] == "Ann" and customer["zip"] == "3511 AB"
    assert customer["avg_optin"] is True and customer["avg_mailinglist"] is False
    assert order["redirect_url"] == "http://localhost/order/return"
    assert order["payment_id"] == 34 and order["total"] == "49.00"


def test_configured_fields_methods_and_terms(make_app, sandbox):
    web = make_app(sandbox.url, SHOP_FIELDS_REQUIRED="phone,zip", SHOP_FIELDS_HIDDEN="address,city",
                   SHOP_PAYMENT_METHODS="35,33", VENUE_TERMS_URL="https://venue.example/terms",
                   SHOP_BASE_URL="https://tickets.venue.example").test_client()
    # Its session cookie is Secure, and over https Flask-WTF also wants a same-site Referer, as browsers send.
    web.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/checkout/"})
    fill_cart(web)
    html = text(web.get("/checkout/", headers=EN))
    assert 'name="address"' not in html and 'name="city"' not in html
    assert html.index("Bancontact") < html.index("iDEAL") and "Creditcard" not in html
    assert 'name="terms"' in html and 'href="https://venue.example/terms"' in html
    answer = check_out(web, payment_id="33")
    assert answer.status_code == 422
    html = text(answer)
    assert html.count("This field is required.") == 4 and "Accept the terms and conditions" in html  # summary + field
    answer = check_out(web, payment_id="34", phone="0612345678", zip="1234 AB", terms="y")
    assert answer.status_code == 422 and "Not a valid choice" in text(answer)  # not offered here
    answer = check_out(web, payment_id="33", phone="0612345678", zip="1234 AB", terms="y")
    assert answer.status_code == 303
    [order] = orders_in(sandbox)
    assert order["redirect_url"] == "https://tickets.venue.example/order/return"


def test_checkout_without_csrf_token_is_refused(web, sandbox):
    fill_cart(web)
    form = checkout_form(web)
    form.pop("csrf_token")
    assert check_out(web, form=form).status_code == 400
    assert orders_in(sandbox) == []


# --- creating the order -----------------------------------------------------------------------


def test_order_goes_to_payment_and_cart_is_dropped(web, sandbox):
    fill_cart(web)
    answer = check_out(web)
    assert answer.status_code == 303
    [order] = orders_in(sandbox)
    assert answer.headers["Location"] == f"{sandbox.url}/sandbox/pay/{order['order_key']}"
    with web.session_transaction() as session:
        assert "cart_id" not in session and session.get("cart_count", 0) == 0


def test_double_submit_goes_to_the_same_payment_page(web, sandbox):
    fill_cart(web)
    form = checkout_form(web)
    first = check_out(web, form=form)
    again = check_out(web, form=form)  # a reload, or the second click of a double click
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert len(orders_in(sandbox)) == 1


def test_two_tabs_at_once_make_one_order(start_sandbox, make_app):
    sandbox = start_sandbox(SANDBOX_DELAY_MS=300)  # a slow box office widens the race
    shop = LiveServer(make_app(sandbox.url))
    try:
        answers = submit_together([shop.url] * 4, DETAILS)
        assert len(orders_in(sandbox)) == 1
        assert {a.status_code for a in answers} == {303} and len({a.headers["Location"] for a in answers}) == 1
    finally:
        shop.stop()


def test_a_quick_double_click_never_ends_on_an_expired_cart(sandbox, make_app):
    """Issue 11, finding 4: with no added delay, one of two quick submits used to find the cart
    already ordered by the other and say it had expired."""
    shop = LiveServer(make_app(sandbox.url, SHOP_RATE_LIMIT_ORDER="1000 per minute",
                               SHOP_RATE_LIMIT_CART="1000 per minute", SHOP_HOLD_MAX_PER_PERFORMANCE="100",
                               SHOP_HOLD_MAX="100"))
    try:
        for _ in range(20):
            answers = submit_together([shop.url] * 2, DETAILS)
            locations = {a.headers.get("Location", "") for a in answers}
            assert {a.status_code for a in answers} == {303} and len(locations) == 1, locations
            assert "/sandbox/pay/" in locations.pop()
    finally:
        shop.stop()
    assert len(orders_in(sandbox)) == 20


def test_cart_changed_meanwhile_asks_again(web, sandbox):
    fill_cart(web, quantity=1)
    form = checkout_form(web)
    fill_cart(web, performance_id=301, ticket_type="Cn7StdR4xZ", quantity=1)  # another tab
    answer = check_out(web, form=form, city="Utrecht")
    assert answer.status_code == 409
    html = text(answer)
    assert "Your cart changed since you saw it" in html and "Messiah" in html and 'value="Utrecht"' in html
    assert orders_in(sandbox) == []
    new_version = checkout_fields(html)["cart_version"]
    assert new_version != form["cart_version"]
    assert check_out(web, form={**form, "cart_version": new_version}).status_code == 303
    assert orders_in(sandbox)[0]["total"] == "56.50"


def test_connection_failure_keeps_the_form_and_can_be_retried(app, web, sandbox, monkeypatch):
    fill_cart(web)
    client = app.extensions["box_office"].client()
    real = client.create_order
    monkeypatch.setattr(client, "create_order", lambda *a, **k: (_ for _ in ()).throw(ConnectFailed("refused")))
    answer = check_out(web, city="Utrecht")
    assert answer.status_code == 503
    assert "nothing was ordered" in text(answer) and 'value="Utrecht"' in text(answer)
    monkeypatch.setattr(client, "create_order", real)
    assert check_out(web).status_code == 303
    assert len(orders_in(sandbox)) == 1


@pytest.mark.parametrize("error", [UpstreamTimeout("slow"), UpstreamUnavailable("500", status=500),
                                   BadResponse("garbled")])
def test_uncertain_outcome_is_never_a_silent_duplicate(app, web, sandbox, monkeypatch, error):
    fill_cart(web)
    client = app.extensions["box_office"].client()
    real, calls = client.create_order, []

    def failing(*args, **kwargs):
        calls.append(args)
        raise error

    monkeypatch.setattr(client, "create_order", failing)
    form = checkout_form(web)
    answer = check_out(web, form=form, city="Utrecht")
    assert answer.status_code == 503 and len(calls) == 1
    html = text(answer)
    assert "may have been created" in html and 'value="Utrecht"' in html
    assert 'name="retry" type="hidden" value="1"' in html
    # The same submit again (a reload, an older tab) does not try again by itself.
    assert check_out(web, form=form).status_code == 503 and len(calls) == 1
    # Only when the buyer confirms.
    monkeypatch.setattr(client, "create_order", real)
    assert check_out(web, form={**form, "retry": "1"}).status_code == 303
    assert len(orders_in(sandbox)) == 1


def test_real_time_out_then_confirmed_retry_makes_no_second_order(sandbox, make_app):
    web = make_app(sandbox.url, VDM_READ_TIMEOUT="1").test_client()
    fill_cart(web)
    form = checkout_form(web)
    app = sandbox.server.app

    def slow_order_create(environ, start_response):
        if environ["PATH_INFO"].endswith("/order/create"):
            time.sleep(1.5)
        return app(environ, start_response)

    sandbox.server.app = slow_order_create
    assert check_out(web, form=form).status_code == 503  # VdM made the order, but too late for us
    time.sleep(0.8)
    answer = check_out(web, form={**form, "retry": "1"})
    # The sandbox's cart became that order: the retry finds it gone instead of ordering again,
    # and tells the buyer it was most likely ordered (not that the cart "expired").
    assert answer.status_code == 503 and "most likely means your order was created" in text(answer)
    assert "expired" not in text(answer) and "try again" not in text(answer).lower().split("</h1>", 1)[1]
    assert len(orders_in(sandbox)) == 1


def test_refused_order_says_why(app, web, sandbox, monkeypatch):
    fill_cart(web)
    client = app.extensions["box_office"].client()
    monkeypatch.setattr(client, "create_order",
                        lambda *a, **k: (_ for _ in ()).throw(Rejected("Payment method unavailable")))
    answer = check_out(web)
    assert answer.status_code == 422 and "did not accept the order." in text(answer)
    assert '<q lang="en">Payment method unavailable</q>' in text(answer)  # VdM's own words, marked as such


@pytest.mark.parametrize("url", ["ftp://pay.example/x", "javascript:alert(1)", "//pay.example", "http://pay.example/x"])
def test_only_https_payment_urls_are_followed(make_app, sandbox, monkeypatch, url):
    app = make_app(sandbox.url)
    web = app.test_client()
    fill_cart(web)
    client = app.extensions["box_office"].client()
    monkeypatch.setattr(client, "create_order", lambda *a, **k: OrderCreated("AAAAA-BBBBB", url))
    app.config["VDM_API_URL"] = "https://api.voordemensen.nl/v1"  # as if this were the real VdM
    answer = check_out(web)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/order/AAAAA-BBBBB")
    with app.test_request_context():
        from shop.views.checkout import payment_url_allowed

        assert payment_url_allowed("https://pay.example/x")


# --- the return and the order page --------------------------------------------------------------


@pytest.fixture
def live_shop(start_sandbox, make_app):
    """The shop served over HTTP, so that the sandbox's payment page can be used for real."""
    sandbox = start_sandbox(SANDBOX_PENDING_SECONDS=1)
    shop = LiveServer(make_app(sandbox.url))
    yield shop, sandbox
    shop.stop()


def buy(shop_url: str, choice: str) -> tuple[requests.Session, str]:
    """A buyer: tickets in the cart, checkout, a choice on the payment page, back at the shop."""
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    page = browser.get(shop_url + "/performances/101", timeout=10).text
    browser.post(shop_url + "/performances/101", data={"csrf_token": csrf_token(page), f"qty_{STANDARD}": "2",
                                                       "qty_AYDJK7JlkX": "1"}, timeout=10)
    html = browser.get(shop_url + "/checkout/", timeout=10).text
    form = {**checkout_fields(html), **DETAILS}
    to_pay = browser.post(shop_url + "/checkout/", data=form, allow_redirects=False, timeout=10)
    assert to_pay.status_code == 303
    back = choose_on_payment_page(to_pay.headers["Location"], choice)
    assert back.startswith(shop_url + "/order/return?return=")
    return browser, back


def test_paid(live_shop):
    shop, _ = live_shop
    browser, back = buy(shop.url, "pay")
    page = browser.get(back, timeout=10)
    assert page.status_code == 200 and page.url.startswith(shop.url + "/order/")
    html = page.text
    assert "Your order is paid" in html and "You bought 3 tickets." in html and "3 tickets: De Storm" in html
    assert 'http-equiv="refresh"' not in html
    links = re.findall(r'<a class="button[^"]*" href="([^"]+)">(Show my tickets|Receipt)</a>', html)
    assert [name for _, name in links] == ["Show my tickets", "Receipt"]
    for url, _ in links:
        assert requests.get(url, timeout=5).status_code == 200


def test_pending_follows_the_status_to_paid(live_shop):
    shop, _ = live_shop
    browser, back = buy(shop.url, "pending")
    page = browser.get(back, timeout=10)
    assert "being processed" in page.text
    refresh = re.search(r'<meta http-equiv="refresh" content="(\d+); url=([^"]+)">', page.text)
    assert refresh and int(refresh.group(1)) == 10 and refresh.group(2).endswith("?check=1")
    time.sleep(1.1)  # the sandbox's pending delay passes, but the shop's 10 s status cache has not
    assert "being processed" in browser.get(shop.url + refresh.group(2), timeout=10).text
    with shop.app.app_context():
        shop.app.extensions["box_office"].gates.clear()  # as if the 10 seconds had passed
    assert "Your order is paid" in browser.get(shop.url + refresh.group(2), timeout=10).text


@pytest.mark.parametrize("choice, heading", [("cancel", "Your payment was cancelled"),
                                             ("partial", "Your order is partly paid")])
def test_cancelled_and_partial(live_shop, choice, heading):
    shop, _ = live_shop
    browser, back = buy(shop.url, choice)
    html = browser.get(back, timeout=10).text
    assert heading in html and 'http-equiv="refresh"' not in html
    if choice == "cancel":
        assert "no tickets were bought" in html and "Back to the programme" in html
        assert "Back to my cart" not in html  # the sandbox's cart became the order and is gone
    else:
        assert "Show my tickets" not in html and "Receipt" in html


def test_not_yet_paid_links_back_to_payment(web, sandbox):
    fill_cart(web)
    payment_url = check_out(web).headers["Location"]
    key = payment_url.rsplit("/", 1)[1]
    html = text(web.get(f"/order/{key}", headers=EN))
    assert "waiting for payment" in html and f'href="{payment_url}"' in html
    assert 'content="10; url=/order/' in html


@pytest.mark.parametrize("check, seconds", [("0", 10), ("1", 10), ("2", 15), ("3", 20), ("4", 30), ("5", 60),
                                            ("-5", 10), ("abc", 10), ("9", 60)])
def test_refresh_interval_grows_gently(web, sandbox, check, seconds):
    fill_cart(web)
    key = check_out(web).headers["Location"].rsplit("/", 1)[1]
    html = text(web.get(f"/order/{key}?check={check}", headers=EN))
    assert re.search(r'content="(\d+);', html).group(1) == str(seconds)


@pytest.mark.parametrize("check", ["10", "9999"])
def test_refresh_stops_after_a_while(web, sandbox, check):
    fill_cart(web)
    key = check_out(web).headers["Location"].rsplit("/", 1)[1]
    html = text(web.get(f"/order/{key}?check={check}", headers=EN))
    assert 'http-equiv="refresh"' not in html
    assert "taking longer than usual" in html and f'href="/order/{key}">Check again' in html


def test_the_buyer_can_turn_refreshing_off(web, sandbox):
    fill_cart(web)
    key = check_out(web).headers["Location"].rsplit("/", 1)[1]
    html = text(web.get(f"/order/{key}", headers=EN))
    assert f'href="/order/{key}?auto=0">Stop checking automatically' in html
    html = text(web.get(f"/order/{key}?auto=0", headers=EN))
    assert 'http-equiv="refresh"' not in html and "Automatic checking is off" in html


def test_status_is_asked_at_most_once_per_10_seconds(app, web, sandbox, monkeypatch):
    fill_cart(web)
    key = check_out(web).headers["Location"].rsplit("/", 1)[1]
    calls = []
    app.extensions["box_office"].client().on_call = lambda method, path, s: calls.append(path)
    others = [app.test_client() for _ in range(3)]
    for _ in range(20):
        for browser in [web, *others]:
            assert browser.get(f"/order/{key}").status_code == 200
    assert calls.count(f"order/{key}") == 1
    gates = app.extensions["box_office"].gates
    later = gates.clock() + 10.5
    monkeypatch.setattr(gates, "clock", lambda: later)
    web.get(f"/order/{key}")
    assert calls.count(f"order/{key}") == 2


def test_return_route(web):
    assert web.get("/order/return?return=AbC12-xYz").headers["Location"] == "/order/AbC12-xYz"
    assert web.get("/order/return?response=AbC12-xYz").headers["Location"] == "/order/AbC12-xYz"


@pytest.mark.parametrize("query", ["", "?return=", "?return=../../x", "?return=%3Cscript%3E", "?return=" + "a" * 65,
                                   "?return=a%2Fb", "?other=1"])
def test_bad_or_missing_return_key(web, query):
    answer = web.get("/order/return" + query, headers=EN)
    assert answer.status_code == 400 and "This link is not valid" in text(answer)


def test_unknown_order_is_404(web):
    assert web.get("/order/AAAAA-BBBBB-CCCCC-DDDDD").status_code == 404
    assert web.get("/order/bad%20key").status_code == 404


def test_unknown_status_value_is_a_neutral_page(app, web, monkeypatch):
    client = app.extensions["box_office"].client()
    monkeypatch.setattr(client, "order_status", lambda key: OrderStatus(key, "refunded", 1, None, None, ()))
    answer = web.get("/order/SOME-KEY", headers=EN)
    assert answer.status_code == 200 and "We are checking your order" in text(answer)
    assert 'http-equiv="refresh"' in text(answer)


def test_status_upstream_failure_keeps_checking(app, web, monkeypatch):
    client = app.extensions["box_office"].client()
    monkeypatch.setattr(client, "order_status", lambda key: (_ for _ in ()).throw(UpstreamTimeout("slow")))
    answer = web.get("/order/SOME-KEY", headers=EN)
    assert answer.status_code == 503 and "We are checking your order" in text(answer)
    assert 'content="10;' in text(answer)


def test_cancelled_order_with_a_usable_cart_can_go_back_to_it(app, web, sandbox, monkeypatch):
    fill_cart(web)
    key = check_out(web).headers["Location"].rsplit("/", 1)[1]
    client = app.extensions["box_office"].client()
    entry = app.extensions["ledger"].by_order(key)
    from shop.vdm import Seat
    from shop.vdm.models import now

    seat = Seat("s1", 101, "De Storm", "Grote Zaal", now(), Decimal("24.50"), STANDARD, "Standaard", "", "0", "0")
    cart = Cart(entry.cart_id, (seat,), Decimal("24.50"))
    monkeypatch.setattr(client, "order_status", lambda k: OrderStatus(k, "cancelled", 1, None, None, ()))
    monkeypatch.setattr(client, "cart", lambda cart_id: cart)
    html = text(web.get(f"/order/{key}", headers=EN))
    assert "Back to my cart" in html
    answer = submit(web, f"/order/{key}/restore-cart", {}, page=f"/order/{key}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart/")
    with web.session_transaction() as session:
        assert session["cart_id"] == entry.cart_id
    assert app.extensions["ledger"].get(entry.cart_id) is None  # a new checkout makes a new order
