"""Checkout, order creation, the return from payment and the order page."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal

import pytest
import requests
from demo import BANCONTACT, CONCERT_STANDARD, CREDITCARD, DE_STORM_FIRST, IDEAL, MESSIAH_FIRST, STADSPAS, STANDARD
from helpers import (
    CANCEL,
    PARTIAL,
    PAY,
    PENDING,
    Buyer,
    Clock,
    LiveServer,
    checkout_fields,
    in_front_of,
    orders_in,
    slow_by,
    submit_together,
    text,
    vdm_calls,
)

from shop.vdm import (
    BadResponse,
    Cart,
    ConnectFailed,
    OrderCreated,
    OrderStatus,
    Rejected,
    Seat,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from shop.vdm.models import now

PENDING_SECONDS = 5  # how long the sandbox keeps a payment pending (SANDBOX_PENDING_SECONDS)
STATUS_INTERVAL = 10  # the shop asks VdM for an order's status at most this often (SHOP_STATUS_INTERVAL)


@pytest.fixture
def scripted_shop(make_app, sandbox, scripted_vdm) -> Buyer:
    """A buyer at a shop whose VdM client is the test's own (fakes.ScriptedVdm) on the sandbox."""
    return Buyer(make_app(sandbox.url, vdm_client=scripted_vdm).test_client())


# --- the form ---------------------------------------------------------------------------------


def test_checkout_page(buyer):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    html = buyer.reads("/checkout/")
    for name in ("email", "firstname", "lastname", "phone", "address", "city", "zip", "payment_id", "avg_optin",
                 "avg_mailinglist"):
        assert f'name="{name}"' in html, name
    assert re.search(r'<input[^>]*name="avg_optin"[^>]*>', html).group(0).count("checked") == 0
    assert re.search(r'<input[^>]*name="avg_mailinglist"[^>]*>', html).group(0).count("checked") == 0
    assert "Creditcard + €1.50 (total €50.50)" in html and "iDEAL (total €49.00)" in html
    assert "2 × Standaard" in html and "€49.00" in html  # the cart summary
    assert 'autocomplete="email"' in html and 'autocomplete="postal-code"' in html
    assert 'name="terms"' not in html  # no terms URL configured


def test_empty_cart_cannot_be_checked_out(buyer):
    answer = buyer.opens("/checkout/")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart/")
    assert "nothing to check out" in buyer.cart()


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
def test_validation_errors_keep_what_was_typed(buyer, sandbox, change, field, message):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    typed = {"phone": "030 123 45 67", "city": "Utrecht", "zip": "3511 AB", "avg_mailinglist": "y", **change}
    answer = buyer.checks_out(**typed)
    assert answer.status_code == 422
    html = text(answer)
    assert 'id="error-summary"' in html and f'<li><a href="#{field}">' in html  # in the summary, linked to the field
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)  # and beside the field itself
    # Exactly that field is marked invalid: the text box, or the radio buttons' group.
    invalid = re.findall(r'<input[^>]*aria-invalid="true"[^>]*name="([^"]+)"', html)
    if field == "payment_id":
        # The summary's link (#payment_id) lands on the group, which points at its error.
        assert invalid == [] and '<fieldset class="choices" id="payment_id" tabindex="-1" aria-describedby="payment_id-error">' in html
        assert 'href="#payment_id"' in html
    else:
        assert invalid == [field]
    assert 'value="Utrecht"' in html and 'value="3511 AB"' in html
    assert re.search(r'<input[^>]*name="avg_mailinglist"[^>]*>', html).group(0).count("checked") == 1
    if field != "email":
        assert 'value="ann@example.org"' in html
    assert orders_in(sandbox) == []


def test_details_are_trimmed_and_consents_sent_as_booleans(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    answer = buyer.checks_out(email="  ann@example.org ", firstname=" Ann ", zip=" 3511 AB ", avg_optin="y",
                              payment_id=str(CREDITCARD))
    assert answer.status_code == 303
    [order] = orders_in(sandbox)
    customer = json.loads(order["customer"])
    assert customer["email"] == "ann@example.org" and customer["firstname"] == "Ann" and customer["zip"] == "3511 AB"
    assert customer["avg_optin"] is True and customer["avg_mailinglist"] is False
    assert order["redirect_url"] == "http://localhost/order/return"
    assert order["payment_id"] == CREDITCARD and order["total"] == "49.00"


def test_configured_fields_methods_and_terms(make_app, sandbox):
    web = make_app(sandbox.url, SHOP_FIELDS_REQUIRED="phone,zip", SHOP_FIELDS_HIDDEN="address,city",
                   SHOP_PAYMENT_METHODS=f"{BANCONTACT},{IDEAL}", VENUE_TERMS_URL="https://venue.example/terms",
                   SHOP_BASE_URL="https://tickets.venue.example").test_client()
    # Its session cookie is Secure, and over https Flask-WTF also wants a same-site Referer, as browsers send.
    web.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/checkout/"})
    buyer = Buyer(web)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    html = buyer.reads("/checkout/")
    assert 'name="address"' not in html and 'name="city"' not in html
    assert html.index("Bancontact") < html.index("iDEAL") and "Creditcard" not in html
    assert 'name="terms"' in html and 'href="https://venue.example/terms"' in html
    answer = buyer.checks_out(payment_id=str(IDEAL))
    assert answer.status_code == 422
    html = text(answer)
    assert html.count("This field is required.") == 4 and "Accept the terms and conditions" in html  # summary + field
    answer = buyer.checks_out(payment_id=str(CREDITCARD), phone="0612345678", zip="1234 AB", terms="y")
    assert answer.status_code == 422 and "Not a valid choice" in text(answer)  # not offered here
    answer = buyer.checks_out(payment_id=str(IDEAL), phone="0612345678", zip="1234 AB", terms="y")
    assert answer.status_code == 303
    [order] = orders_in(sandbox)
    assert order["redirect_url"] == "https://tickets.venue.example/order/return"


def test_checkout_without_csrf_token_is_refused(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    form = buyer.checkout_form()
    form.pop("csrf_token")
    assert buyer.checks_out(form=form).status_code == 400
    assert orders_in(sandbox) == []


# --- creating the order -----------------------------------------------------------------------


def test_order_goes_to_payment_and_cart_is_dropped(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    answer = buyer.checks_out()
    assert answer.status_code == 303
    [order] = orders_in(sandbox)
    assert answer.headers["Location"] == f"{sandbox.url}/sandbox/pay/{order['order_key']}"
    with buyer.web.session_transaction() as session:
        assert "cart_id" not in session and session.get("cart_count", 0) == 0


def test_double_submit_goes_to_the_same_payment_page(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    form = buyer.checkout_form()
    first = buyer.checks_out(form=form)
    again = buyer.checks_out(form=form)  # a reload, or the second click of a double click
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert len(orders_in(sandbox)) == 1


def test_two_tabs_at_once_make_one_order(start_sandbox, make_app):
    sandbox = start_sandbox(SANDBOX_DELAY_MS=300)  # a slow box office widens the race
    shop = LiveServer(make_app(sandbox.url))
    try:
        answers = submit_together([shop.url] * 4)
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
            answers = submit_together([shop.url] * 2)
            locations = {a.headers.get("Location", "") for a in answers}
            assert {a.status_code for a in answers} == {303} and len(locations) == 1, locations
            assert "/sandbox/pay/" in locations.pop()
    finally:
        shop.stop()
    assert len(orders_in(sandbox)) == 20


def test_cart_changed_meanwhile_asks_again(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    form = buyer.checkout_form()
    buyer.has_tickets(MESSIAH_FIRST, **{CONCERT_STANDARD: 1})  # in another tab
    answer = buyer.checks_out(form=form, city="Utrecht")
    assert answer.status_code == 409
    html = text(answer)
    assert "Your cart changed since you saw it" in html and "Messiah" in html and 'value="Utrecht"' in html
    assert orders_in(sandbox) == []
    new_version = checkout_fields(html)["cart_version"]
    assert new_version != form["cart_version"]
    assert buyer.checks_out(form={**form, "cart_version": new_version}).status_code == 303
    assert orders_in(sandbox)[0]["total"] == "56.50"


def test_connection_failure_keeps_the_form_and_can_be_retried(scripted_shop, scripted_vdm, sandbox):
    buyer = scripted_shop
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    scripted_vdm.fail("create_order", ConnectFailed("refused"))
    answer = buyer.checks_out(city="Utrecht")
    assert answer.status_code == 503
    assert "nothing was ordered" in text(answer) and 'value="Utrecht"' in text(answer)
    scripted_vdm.heal()
    assert buyer.checks_out().status_code == 303
    assert len(orders_in(sandbox)) == 1


@pytest.mark.parametrize("error", [UpstreamTimeout("slow"), UpstreamUnavailable("500", status=500),
                                   BadResponse("garbled")])
def test_uncertain_outcome_is_never_a_silent_duplicate(scripted_shop, scripted_vdm, sandbox, error):
    buyer = scripted_shop
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    scripted_vdm.fail("create_order", error)
    form = buyer.checkout_form()
    answer = buyer.checks_out(form=form, city="Utrecht")
    assert answer.status_code == 503 and scripted_vdm.calls["create_order"] == 1
    html = text(answer)
    assert "may have been created" in html and 'value="Utrecht"' in html
    assert 'name="retry" type="hidden" value="1"' in html
    # The same submit again (a reload, an older tab) does not try again by itself.
    assert buyer.checks_out(form=form).status_code == 503 and scripted_vdm.calls["create_order"] == 1
    # Only when the buyer confirms.
    scripted_vdm.heal()
    assert buyer.checks_out(form={**form, "retry": "1"}).status_code == 303
    assert scripted_vdm.calls["create_order"] == 2 and len(orders_in(sandbox)) == 1


def test_real_time_out_then_confirmed_retry_makes_no_second_order(sandbox, make_app):
    buyer = Buyer(make_app(sandbox.url, VDM_READ_TIMEOUT="1").test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    form = buyer.checkout_form()
    in_front_of(sandbox, lambda method, path: path.endswith("/order/create"), slow_by(1.5, sandbox))
    assert buyer.checks_out(form=form).status_code == 503  # VdM made the order, but too late for us
    time.sleep(0.8)  # until the slow sandbox has made it
    answer = buyer.checks_out(form={**form, "retry": "1"})
    # The sandbox's cart became that order: the retry finds it gone instead of ordering again,
    # and tells the buyer it was most likely ordered (not that the cart "expired").
    assert answer.status_code == 503 and "most likely means your order was created" in text(answer)
    assert "expired" not in text(answer) and "try again" not in text(answer).lower().split("</h1>", 1)[1]
    assert len(orders_in(sandbox)) == 1


def test_refused_order_says_why(scripted_shop, scripted_vdm):
    buyer = scripted_shop
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    scripted_vdm.fail("create_order", Rejected("Payment method unavailable"))
    answer = buyer.checks_out()
    assert answer.status_code == 422 and "did not accept the order." in text(answer)
    assert '<q lang="en">Payment method unavailable</q>' in text(answer)  # VdM's own words, marked as such


@pytest.mark.parametrize("url, followed", [("ftp://pay.example/x", False), ("javascript:alert(1)", False),
                                           ("//pay.example", False), ("http://pay.example/x", False),
                                           ("/sandbox/pay/AAAAA-BBBBB", False), ("https://pay.example/x", True)])
def test_only_https_payment_urls_are_followed(make_app, sandbox, scripted_vdm, url, followed):
    # Configured as for the real VdM (so no sandbox pages on the shop's own site), on the sandbox all the same.
    web = make_app(vdm_client=scripted_vdm, VDM_API_URL="https://api.voordemensen.nl/v1",
                   SHOP_BASE_URL="https://tickets.venue.example").test_client()
    web.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/checkout/"})
    buyer = Buyer(web)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    scripted_vdm.answer("create_order", lambda *args: OrderCreated("AAAAA-BBBBB", url))
    answer = buyer.checks_out()
    # Any other payment URL is not followed: the buyer goes to the order page, on the shop.
    assert answer.status_code == 303 and answer.headers["Location"] == (url if followed else "/order/AAAAA-BBBBB")


# --- the return and the order page --------------------------------------------------------------


@pytest.fixture
def live_shop(start_sandbox, make_app):
    """The shop served over HTTP, so that the sandbox's payment page can be used for real. The
    sandbox's pending payments and the shop's status gates go by one clock the test moves."""
    clock = Clock()
    sandbox = start_sandbox(clock=clock, SANDBOX_PENDING_SECONDS=PENDING_SECONDS)
    shop = LiveServer(make_app(sandbox.url, clock=clock))
    yield shop, clock
    shop.stop()


def buys_and_chooses(shop_url: str, choice: str) -> tuple[Buyer, requests.Response]:
    """A buyer: tickets in the cart, checkout, a choice on the payment page; back at the shop."""
    buyer = Buyer.at(shop_url)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: 1})
    buyer.places_order(payment_id=str(CREDITCARD))
    page = buyer.pays(choice)
    assert page.status_code == 200 and page.url.startswith(shop_url + "/order/"), page.url
    return buyer, page


def test_paid(live_shop):
    shop, _ = live_shop
    _, page = buys_and_chooses(shop.url, PAY)
    html = page.text
    assert "Your order is paid" in html and "You bought 3 tickets." in html and "<h3>De Storm</h3>" in html
    assert 'http-equiv="refresh"' not in html
    links = re.findall(r'<a class="button[^"]*" href="([^"]+)">(Show my tickets|Receipt)</a>', html)
    assert [name for _, name in links] == ["Show my tickets", "Receipt"]
    for url, _ in links:
        assert requests.get(url, timeout=5).status_code == 200


def test_pending_follows_the_status_to_paid(live_shop):
    shop, clock = live_shop
    buyer, page = buys_and_chooses(shop.url, PENDING)
    assert "being processed" in page.text
    refresh = re.search(r'<meta http-equiv="refresh" content="(\d+); url=([^"]+)">', page.text)
    assert refresh and int(refresh.group(1)) == 10 and refresh.group(2).endswith("?check=1")
    clock.advance(PENDING_SECONDS)  # the sandbox says paid now, but the shop asked it less than 10 s ago
    assert "being processed" in buyer.reads(refresh.group(2))
    clock.advance(STATUS_INTERVAL - PENDING_SECONDS)  # the shop's 10 seconds are up: it asks again
    assert "Your order is paid" in buyer.reads(refresh.group(2))


@pytest.mark.parametrize("choice, heading", [(CANCEL, "Your payment was cancelled"),
                                             (PARTIAL, "Your order is partly paid")])
def test_cancelled_and_partial(live_shop, choice, heading):
    shop, _ = live_shop
    _, page = buys_and_chooses(shop.url, choice)
    html = page.text
    assert heading in html and 'http-equiv="refresh"' not in html
    if choice == CANCEL:
        assert "no tickets were bought" in html and "Back to the programme" in html
        assert "Back to my cart" not in html  # the sandbox's cart became the order and is gone
    else:
        assert "Show my tickets" not in html and "Receipt" in html


def test_not_yet_paid_links_back_to_payment(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    key = buyer.places_order()
    html = buyer.reads(f"/order/{key}")
    assert "waiting for payment" in html and f'href="{buyer.payment_url}"' in html
    assert 'content="10; url=/order/' in html


@pytest.mark.parametrize("check, seconds", [("0", 10), ("1", 10), ("2", 15), ("3", 20), ("4", 30), ("5", 60),
                                            ("-5", 10), ("abc", 10), ("9", 60)])
def test_refresh_interval_grows_gently(buyer, sandbox, check, seconds):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    key = buyer.places_order()
    html = buyer.reads(f"/order/{key}?check={check}")
    assert re.search(r'content="(\d+);', html).group(1) == str(seconds)


@pytest.mark.parametrize("check", ["10", "9999"])
def test_refresh_stops_after_a_while(buyer, sandbox, check):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    key = buyer.places_order()
    html = buyer.reads(f"/order/{key}?check={check}")
    assert 'http-equiv="refresh"' not in html
    assert "taking longer than usual" in html and f'href="/order/{key}">Check again' in html


def test_the_buyer_can_turn_refreshing_off(buyer, sandbox):
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    key = buyer.places_order()
    html = buyer.reads(f"/order/{key}")
    assert f'href="/order/{key}?auto=0">Stop checking automatically' in html
    html = buyer.reads(f"/order/{key}?auto=0")
    assert 'http-equiv="refresh"' not in html and "Automatic checking is off" in html


def test_status_is_asked_at_most_once_per_10_seconds(make_app, sandbox):
    clock = Clock()
    app = make_app(sandbox.url, clock=clock)
    buyer = Buyer(app.test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    key = buyer.places_order()
    calls = vdm_calls(app)
    browsers = [buyer, *(Buyer(app.test_client()) for _ in range(3))]
    for _ in range(20):
        for browser in browsers:
            assert browser.opens(f"/order/{key}").status_code == 200
    assert calls.count(f"order/{key}") == 1
    clock.advance(STATUS_INTERVAL - 0.5)
    buyer.opens(f"/order/{key}")
    assert calls.count(f"order/{key}") == 1  # not yet
    clock.advance(1)
    buyer.opens(f"/order/{key}")
    assert calls.count(f"order/{key}") == 2


def test_return_route(buyer):
    assert buyer.opens("/order/return?return=AbC12-xYz").headers["Location"] == "/order/AbC12-xYz"
    assert buyer.opens("/order/return?response=AbC12-xYz").headers["Location"] == "/order/AbC12-xYz"


@pytest.mark.parametrize("query", ["", "?return=", "?return=../../x", "?return=%3Cscript%3E", "?return=" + "a" * 65,
                                   "?return=a%2Fb", "?other=1"])
def test_bad_or_missing_return_key(buyer, query):
    answer = buyer.opens("/order/return" + query)
    assert answer.status_code == 400 and "This link is not valid" in text(answer)


def test_unknown_order_is_404(buyer):
    assert buyer.opens("/order/AAAAA-BBBBB-CCCCC-DDDDD").status_code == 404
    assert buyer.opens("/order/bad%20key").status_code == 404


def test_unknown_status_value_is_a_neutral_page(scripted_shop, scripted_vdm):
    scripted_vdm.answer("order_status", lambda key: OrderStatus(key, "refunded", 1, None, None, ()))
    answer = scripted_shop.opens("/order/SOME-KEY")
    assert answer.status_code == 200 and "We are checking your order" in text(answer)
    assert 'http-equiv="refresh"' in text(answer)


def test_status_upstream_failure_keeps_checking(scripted_shop, scripted_vdm):
    scripted_vdm.fail("order_status", UpstreamTimeout("slow"))
    answer = scripted_shop.opens("/order/SOME-KEY")
    assert answer.status_code == 503 and "We are checking your order" in text(answer)
    assert 'content="10;' in text(answer)


def test_cancelled_order_with_a_usable_cart_can_go_back_to_it(scripted_shop, scripted_vdm):
    buyer = scripted_shop
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})
    key = buyer.places_order()
    ledger = buyer.web.application.extensions["ledger"]
    entry = ledger.by_order(key)
    seat = Seat("s1", DE_STORM_FIRST, "De Storm", "Grote Zaal", now(), Decimal("24.50"), STANDARD, "Standaard", "",
                "0", "0")
    # VdM says the payment was cancelled, and the cart that became the order is usable again.
    scripted_vdm.answer("order_status", lambda k: OrderStatus(k, "cancelled", 1, None, None, ()))
    scripted_vdm.answer("cart", lambda cart_id: Cart(entry.cart_id, (seat,), Decimal("24.50")))
    assert "Back to my cart" in buyer.reads(f"/order/{key}")
    answer = buyer.sends(f"/order/{key}/restore-cart", {}, page=f"/order/{key}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart/")
    with buyer.web.session_transaction() as session:
        assert session["cart_id"] == entry.cart_id
    assert ledger.get(entry.cart_id) is None  # a new checkout makes a new order
