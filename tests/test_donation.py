"""A donation at checkout (SHOP_DONATION, with the authenticated cart that holds it): the field's
bounds and the Dutch comma, the donation put in the cart under the claim right before
order/create and never twice however often the buyer tries, a refused donation ordering
nothing, and the donation in every total through to the sandbox's payment page and receipt."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
import requests
from demo import CREDITCARD, DE_STORM_FIRST, STANDARD
from helpers import Buyer, in_front_of, orders_in, text

from shop.domain import ordering
from shop.domain.ledger import CREATED, Ledger
from shop.domain.ordering import Order, Placement
from shop.vdm import VENUE_TZ, Cart, Customer, OrderCreated, Seat, UpstreamTimeout, VdmClient
from shop.vdm.peppered import HeldCart, HeldItem

KEY = "a-test-api-key-of-the-sandbox"


@pytest.fixture
def seated_sandbox(start_sandbox):
    return start_sandbox(SANDBOX_API_KEY=KEY)


@pytest.fixture
def shop(make_app, seated_sandbox):
    return make_app(seated_sandbox.url, VDM_API_KEY=KEY, SHOP_DONATION="1", SHOP_DONATION_MAX="250")


@pytest.fixture
def ann(shop) -> Buyer:
    buyer = Buyer(shop.test_client(), "en")
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2})  # €49.00
    return buyer


def held(sandbox, buyer: Buyer) -> HeldCart:
    """The buyer's cart as VdM's authenticated API shows it."""
    cart_id = re.search(r'name="cart_id" type="hidden" value="([^"]+)"', buyer.reads("/checkout/")).group(1)
    client = VdmClient(sandbox.url + "/v1", "demo", api_key=KEY)
    try:
        return client.held_cart(cart_id)
    finally:
        client.close()


def donations(cart: HeldCart) -> list[Decimal]:
    return [item.amount for item in cart.items if item.is_donation]


# --- the field -------------------------------------------------------------------------------------


def test_asked_for_only_when_the_venue_wants_it_and_the_cart_can_hold_it(make_app, seated_sandbox, sandbox):
    def form(shop) -> str:
        buyer = Buyer(shop.test_client(), "en")
        buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
        return buyer.reads("/checkout/")

    assert 'name="donation"' in form(make_app(seated_sandbox.url, VDM_API_KEY=KEY, SHOP_DONATION="1"))
    assert 'name="donation"' not in form(make_app(seated_sandbox.url, VDM_API_KEY=KEY))  # off by default
    assert 'name="donation"' not in form(make_app(sandbox.url, SHOP_DONATION="1"))  # no key: no authenticated cart
    page = form(make_app(seated_sandbox.url, VDM_API_KEY=KEY, SHOP_DONATION="1", SHOP_DONATION_MAX="250"))
    assert "Any amount from €1.00 to €250.00, in euros." in page
    assert re.search(r'<input aria-describedby="donation-hint"[^>]*inputmode="decimal"', page)


@pytest.mark.parametrize("typed, message", [
    ("0,99", "Enter an amount from €1.00 to €250.00."),
    ("250,01", "Enter an amount from €1.00 to €250.00."),
    ("5,555", "Enter an amount in whole cents, like 7,50."),
    ("vijf", "Enter an amount in euros, like 10 or 7,50."),
    ("-5", "Enter an amount in euros, like 10 or 7,50."),
    ("1.000,00", "Enter an amount in euros, like 10 or 7,50."),
])
def test_a_wrong_amount_is_explained_and_kept_as_typed(ann, seated_sandbox, typed, message):
    answer = ann.checks_out(donation=typed)
    assert answer.status_code == 422
    page = text(answer)
    assert f'<a href="#donation">Donation: {message}</a>' in page
    assert f'<p class="field-error" id="donation-error">{message}</p>' in page
    assert f'value="{typed}"' in page and 'aria-invalid="true"' in page
    assert orders_in(seated_sandbox) == [] and donations(held(seated_sandbox, ann)) == []


@pytest.mark.parametrize("typed, amount", [("7,50", "7.50"), ("7.5", "7.50"), ("€ 12", "12.00"), ("1", "1.00"),
                                           ("250", "250.00"), ("", None)])
def test_the_amount_goes_with_the_order(ann, shop, seated_sandbox, typed, amount):
    key = ann.places_order(donation=typed)
    order = seated_sandbox.app.extensions["sandbox"].store.order(key)
    assert order.donation == Decimal(amount or "0.00") and order.total == Decimal("49.00")
    assert shop.extensions["ledger"].by_order(key).purchase.donation == Decimal(amount or "0.00")


# --- in every total, through to the payment page and receipt ------------------------------------------


def test_the_donation_in_every_total(ann, seated_sandbox):
    # A mistake elsewhere on the form: the page counts the donation typed in its summary and totals.
    again = text(ann.checks_out(donation="7,50", email="ann@", payment_id=str(CREDITCARD)))
    assert re.search(r'<span>Donation</span> <span>€7.50</span>', again)
    assert "Total: <strong>€56.50</strong>" in again  # 49.00 + 7.50
    assert "Creditcard + €1.50 (total €58.00)" in again

    key = ann.places_order(donation="7,50", payment_id=str(CREDITCARD))
    payment_page = requests.get(ann.payment_url, timeout=5).text
    assert "Donation" in payment_page and "7.50" in payment_page and "58.00" in payment_page
    order_page = text(ann.pays())
    assert "Donation: €7.50" in order_page and "Total paid: <strong>€58.00</strong>" in order_page
    receipt = requests.get(f"{seated_sandbox.url}/sandbox/order/{key}/receipt", timeout=5).text
    assert re.search(r"Donation</th><td[^>]*>€ 7.50<", receipt)


def test_an_earlier_try_s_donation_is_offered_again(ann, seated_sandbox):
    refuse_orders(seated_sandbox)
    assert ann.checks_out(donation="5").status_code == 422
    page = ann.reads("/checkout/")
    assert re.search(r'name="donation"[^>]*value="5.00"', page) and "Total: <strong>€54.00</strong>" in page


# --- never twice, and nothing ordered without it --------------------------------------------------------


def refuse_orders(sandbox) -> None:
    """VdM refuses every order/create from now on (and changes nothing)."""
    def refused(environ, start_response):
        start_response("422 Unprocessable Entity", [("Content-Type", "application/json")])
        return [json.dumps({"message": "Sales are paused"}).encode()]

    in_front_of(sandbox, lambda method, path: path.endswith("/order/create"), refused)


def test_a_retry_never_adds_a_second_donation(ann, seated_sandbox):
    refuse_orders(seated_sandbox)
    first = ann.checks_out(donation="5")
    assert first.status_code == 422 and "Sales are paused" in text(first)
    assert donations(held(seated_sandbox, ann)) == [Decimal("5.00")]  # VdM keeps it in the cart
    ann.checks_out(donation="5,00")
    assert donations(held(seated_sandbox, ann)) == [Decimal("5.00")]  # the same: kept, not doubled
    ann.checks_out(donation="8")
    assert donations(held(seated_sandbox, ann)) == [Decimal("8.00")]  # another amount: replaced
    ann.checks_out(donation="")
    assert donations(held(seated_sandbox, ann)) == []  # none now: taken out
    seated_sandbox.server.app = seated_sandbox.app
    key = ann.places_order(donation="6")
    assert seated_sandbox.app.extensions["sandbox"].store.order(key).donation == Decimal("6.00")


def test_a_donation_that_cannot_be_added_orders_nothing(ann, seated_sandbox):
    def no_gifts(environ, start_response):
        start_response("422 Unprocessable Entity", [("Content-Type", "application/json")])
        return [json.dumps({"message": "Donations are closed"}).encode()]

    in_front_of(seated_sandbox, lambda method, path: method == "POST" and "/peppered/cart/" in path, no_gifts)
    answer = ann.checks_out(donation="10")
    assert answer.status_code == 422
    page = text(answer)
    assert "Your donation could not be added, so nothing was ordered." in page
    assert '<q lang="en">Donations are closed</q>' in page and 'value="10"' in page
    assert orders_in(seated_sandbox) == []
    seated_sandbox.server.app = seated_sandbox.app
    assert ann.places_order(donation="10")  # the cart was let go: the next try orders


# --- the rule itself, without HTTP: a try that timed out adding the donation --------------------------


class Box:
    """VdM for one cart of one ticket: its donations, and an add that may time out after adding."""

    def __init__(self):
        self.gifts: list[tuple[str, Decimal]] = []
        self.time_out_adding = False
        self.orders: list[str] = []

    def cart(self, cart_id: str) -> Cart:
        seat = Seat("s1", 95, "Hamlet", "Grote Zaal", datetime(2026, 4, 1, 20, 30, tzinfo=VENUE_TZ),
                    Decimal("24.50"), STANDARD, "Standaard", "", "", "")
        return Cart(cart_id, (seat,), Decimal("24.50"))

    def held_cart(self, cart_id: str) -> HeldCart:
        items = tuple(HeldItem("donation", item_id, None, "donation", "", "Donation", amount, 0, None, "", "", "")
                      for item_id, amount in self.gifts)
        return HeldCart(cart_id, None, len(items) + 1, Decimal("24.50") + sum(a for _, a in self.gifts), items)

    def add_items(self, cart_id, items):
        self.gifts.append((f"gift-{len(self.gifts)}", items[0].amount))
        if self.time_out_adding:
            raise UpstreamTimeout("no answer in time")
        return self.held_cart(cart_id)

    def remove_item(self, cart_id, item_id):
        self.gifts = [gift for gift in self.gifts if gift[0] != item_id]
        return self.held_cart(cart_id)

    def create_order(self, cart_id, payment_id, redirect_url, customer) -> OrderCreated:
        self.orders.append(cart_id)
        return OrderCreated("KEY-1", "https://pay.example/KEY-1")


def test_a_donation_added_by_a_try_that_timed_out_is_not_added_again(tmp_path):
    box, ledger = Box(), Ledger(str(tmp_path / "ledger.sqlite3"))
    placement = Placement(ledger, box, version_of=lambda cart: "v1", payment_url_allowed=lambda url: True,
                          wait_seconds=1, held_cart=box.held_cart)
    order = Order("cart-1", "v1", 33, Customer("ann@example.org", "Ann", "Smit"), "https://shop.example/return",
                  donation=Decimal("5.00"))
    box.time_out_adding = True
    failed = placement.place(order)
    assert failed == ordering.DonationFailed("no answer in time") and box.orders == []
    assert ledger.get("cart-1") is None  # released: nothing was ordered
    box.time_out_adding = False
    done = placement.place(order)
    assert isinstance(done, ordering.ToPayment) and box.orders == ["cart-1"]
    assert [amount for _, amount in box.gifts] == [Decimal("5.00")]
    assert ledger.get("cart-1").state == CREATED and ledger.get("cart-1").purchase.donation == Decimal("5.00")
    assert ledger.get("cart-1").purchase.total_paid == Decimal("29.50")


def test_without_donations_the_cart_s_are_left_alone(tmp_path):
    box, ledger = Box(), Ledger(str(tmp_path / "ledger.sqlite3"))
    box.gifts = [("given-elsewhere", Decimal("3.00"))]
    placement = Placement(ledger, box, version_of=lambda cart: "v1", payment_url_allowed=lambda url: True,
                          wait_seconds=1, held_cart=box.held_cart)
    order = Order("cart-1", "v1", 33, Customer("ann@example.org", "Ann", "Smit"), "https://shop.example/return")
    assert isinstance(placement.place(order), ordering.ToPayment)
    assert box.gifts == [("given-elsewhere", Decimal("3.00"))]
