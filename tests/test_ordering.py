"""Placing an order, without HTTP: one cart, at most one order, exactly the cart the buyer
confirmed, and every outcome named. The VdM side is a fake; the ledger is the real one."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from demo import DE_STORM, DE_STORM_FIRST, GROTE_ZAAL, IDEAL, STADSPAS, STANDARD

from shop.domain import ordering
from shop.domain.ledger import CREATED, UNCERTAIN, Ledger
from shop.domain.ordering import Order, Placement
from shop.infra.snapshot import Snapshot
from shop.vdm import (
    BudgetSpent,
    Cart,
    CartNotFound,
    ConnectFailed,
    Customer,
    Event,
    OrderCreated,
    PaymentMethod,
    Performance,
    Rejected,
    UpstreamTimeout,
)
from shop.vdm.models import VENUE_TZ, Seat, now

ANN = Customer(email="ann@example.org", firstname="Ann", lastname="Smit")


def seat(seat_id: str, price: str = "24.50") -> Seat:
    return Seat(seat_id, DE_STORM_FIRST, "De Storm", "Grote Zaal", now(), Decimal(price), STANDARD, "Standaard", "", "",
                "")


class BoxOffice:
    """VdM's cart and order/create as the placement sees them."""

    def __init__(self, seats=("s1",)):
        self.carts = {"cart-1": Cart("cart-1", tuple(seat(s) for s in seats), Decimal("24.50") * len(seats))}
        self.orders: list[str] = []
        self.fail_with: Exception | None = None
        self.slow = 0.0
        self.payment_url = "https://pay.example/1"

    def cart(self, cart_id: str) -> Cart:
        if cart_id not in self.carts:
            raise CartNotFound("Cart not found")
        return self.carts[cart_id]

    def create_order(self, cart_id, payment_id, redirect_url, customer) -> OrderCreated:
        time.sleep(self.slow)
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        if cart_id not in self.carts:
            raise CartNotFound("Cart not found")
        del self.carts[cart_id]  # the sandbox's and (we assume) VdM's way: the cart became the order
        self.orders.append(cart_id)
        return OrderCreated(f"KEY-{len(self.orders)}", self.payment_url)


def version(cart: Cart) -> str:
    return ",".join(s.id for s in cart.seats)


@pytest.fixture
def vdm():
    return BoxOffice()


@pytest.fixture
def ledger(tmp_path):
    return Ledger(str(tmp_path / "ledger.sqlite3"), stale_after=0.5)


@pytest.fixture
def placement(ledger, vdm):
    return Placement(ledger, vdm, version_of=version, payment_url_allowed=lambda url: url.startswith("https://"),
                     wait_seconds=2)


def confirmed(version_seen: str = "s1", retry: bool = False) -> Order:
    return Order("cart-1", version_seen, IDEAL, ANN, "https://shop.example/order/return", retry=retry)


def test_the_confirmed_cart_becomes_one_order_and_the_buyer_goes_to_pay(placement, ledger, vdm):
    outcome = placement.place(confirmed())
    assert isinstance(outcome, ordering.ToPayment) and outcome.entry.payment_url == "https://pay.example/1"
    assert vdm.orders == ["cart-1"] and ledger.get("cart-1").state == CREATED


def test_sending_it_again_goes_to_the_same_payment_page(placement, vdm):
    first, again = placement.place(confirmed()), placement.place(confirmed())
    assert again.entry == first.entry and vdm.orders == ["cart-1"]


def test_a_cart_changed_by_another_tab_is_not_ordered(placement, ledger, vdm):
    vdm.carts["cart-1"] = Cart("cart-1", (seat("s1"), seat("s2")), Decimal("49.00"))
    outcome = placement.place(confirmed("s1"))
    assert isinstance(outcome, ordering.CartChanged) and version(outcome.cart) == "s1,s2"
    assert vdm.orders == [] and ledger.get("cart-1") is None  # free to confirm again
    assert isinstance(placement.place(confirmed("s1,s2")), ordering.ToPayment)


def test_a_refusal_orders_nothing_and_says_why(placement, ledger, vdm):
    vdm.fail_with = Rejected("Payment method unavailable")
    outcome = placement.place(confirmed())
    assert outcome == ordering.Refused("Payment method unavailable") and ledger.get("cart-1") is None


@pytest.mark.parametrize("error", [ConnectFailed("refused"), BudgetSpent("no time left")])
def test_a_request_never_sent_orders_nothing(placement, ledger, vdm, error):
    vdm.fail_with = error
    assert isinstance(placement.place(confirmed()), ordering.NothingOrdered) and ledger.get("cart-1") is None
    assert isinstance(placement.place(confirmed()), ordering.ToPayment) and vdm.orders == ["cart-1"]


def test_an_uncertain_order_is_only_tried_again_when_the_buyer_confirms(placement, ledger, vdm):
    vdm.fail_with = UpstreamTimeout("slow")
    assert isinstance(placement.place(confirmed()), ordering.MayExist)
    assert isinstance(placement.place(confirmed()), ordering.MayExist)  # a reload, a double click
    assert ledger.get("cart-1").state == UNCERTAIN and vdm.orders == []
    assert isinstance(placement.place(confirmed(retry=True)), ordering.ToPayment) and vdm.orders == ["cart-1"]


def test_after_an_uncertain_try_a_vanished_cart_most_likely_became_the_order(placement, ledger, vdm):
    vdm.fail_with = UpstreamTimeout("slow")
    placement.place(confirmed())
    del vdm.carts["cart-1"]  # VdM did create it, and the cart with it
    assert isinstance(placement.place(confirmed(retry=True)), ordering.ProbablyCreated)
    assert ledger.get("cart-1").state == UNCERTAIN  # never "expired", never ordered again


def test_a_cart_gone_without_any_order_is_gone(placement, ledger, vdm):
    del vdm.carts["cart-1"]
    assert isinstance(placement.place(confirmed()), ordering.CartGone) and ledger.get("cart-1") is None


def test_a_payment_url_the_shop_will_not_follow_leads_to_the_order_page(placement, vdm):
    vdm.payment_url = "http://pay.example/1"
    outcome = placement.place(confirmed())
    assert outcome.unsafe_payment_url and outcome.entry.payment_url is None and outcome.entry.order_key == "KEY-1"


def test_a_request_that_died_while_creating_leaves_an_uncertain_order(placement, ledger, vdm):
    assert ledger.claim("cart-1")  # and then the worker was killed
    # The next submit waits for it; the claim goes stale (0.5 s here, 120 s in the shop) meanwhile.
    assert isinstance(placement.place(confirmed()), ordering.MayExist) and vdm.orders == []


def test_a_claim_still_being_worked_on_is_waited_for_not_doubled(ledger, vdm):
    impatient = Placement(ledger, vdm, version_of=version, payment_url_allowed=lambda url: True, wait_seconds=0.1)
    assert ledger.claim("cart-1")  # another request is creating the order right now
    assert isinstance(impatient.place(confirmed()), ordering.StillCreating) and vdm.orders == []


def test_many_submits_at_once_make_one_order(placement, vdm):
    vdm.slow = 0.3
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(placement.place(confirmed()))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert vdm.orders == ["cart-1"]
    assert {type(o) for o in outcomes} == {ordering.ToPayment} and len({o.entry for o in outcomes}) == 1


def test_the_settled_state_of_a_cart_never_ordered_is_none(placement):
    assert placement.settled("cart-1") is None


# --- what was bought, kept with the order (issue 13) --------------------------------------------------

STARTS = datetime(2026, 12, 6, 20, 15, tzinfo=VENUE_TZ)


def catalogue() -> Snapshot:
    """The catalogue as the shop had it: the show's name differs from the cart's seat names, so
    that a test can tell where a line's show came from."""
    storm = Performance(DE_STORM_FIRST, DE_STORM, "De Storm (catalogue)", "", "", None, None, STARTS,
                        STARTS + timedelta(hours=2, minutes=15), None, "pub", 10, GROTE_ZAAL, "Grote Zaal")
    return Snapshot(time.time(), (Event(DE_STORM, "De Storm (catalogue)", "", "", None, (storm,)),),
                    payment_methods=(PaymentMethod(IDEAL, "iDEAL", Decimal("0.35")),))


def mixed_cart() -> Cart:
    seats = (seat("s1"), seat("s2"), replace(seat("s3", "18.38"), discount_id=STADSPAS, discount_name="Stadspas"))
    return Cart("cart-1", seats, Decimal("67.38"))


def test_the_order_keeps_the_lines_of_the_cart_the_buyer_confirmed(ledger, vdm):
    vdm.carts["cart-1"] = mixed_cart()
    placement = Placement(ledger, vdm, version_of=version, payment_url_allowed=lambda url: True, wait_seconds=2,
                          catalogue=catalogue)
    outcome = placement.place(confirmed("s1,s2,s3"))
    kept = ledger.by_order("KEY-1").purchase
    assert outcome.entry.purchase == kept  # what the buyer is sent on with is what the ledger holds
    standard, stadspas = kept.lines
    assert (standard.ticket_type, standard.price, standard.quantity) == ("Standaard", Decimal("24.50"), 2)
    assert (stadspas.ticket_type, stadspas.price, stadspas.quantity) == ("Stadspas", Decimal("18.38"), 1)
    assert standard.show == "De Storm (catalogue)" and standard.show_id == DE_STORM and standard.hall == "Grote Zaal"
    assert standard.starts_at == STARTS and standard.ends_at == STARTS + timedelta(hours=2, minutes=15)
    assert standard.starts_at.tzinfo == VENUE_TZ and standard.location_id == GROTE_ZAAL and standard.seat is None
    assert (kept.total, kept.payment_cost, kept.total_paid) == (Decimal("67.38"), Decimal("0.35"), Decimal("67.73"))
    assert [len(lines) for lines in kept.by_performance()] == [2]


def test_without_the_catalogue_the_lines_come_from_the_cart_alone(placement, ledger):
    placement.place(confirmed())
    (line,) = ledger.get("cart-1").purchase.lines
    assert (line.performance_id, line.show, line.hall, line.show_id, line.ends_at) == (
        DE_STORM_FIRST, "De Storm", "Grote Zaal", None, None)
    assert ledger.get("cart-1").purchase.payment_cost == Decimal("0.00")


def test_a_failure_to_describe_the_cart_never_stops_the_order(ledger, vdm):
    def broken():
        raise RuntimeError("no catalogue")

    placement = Placement(ledger, vdm, version_of=version, payment_url_allowed=lambda url: True, wait_seconds=2,
                          catalogue=broken)
    outcome = placement.place(confirmed())
    assert isinstance(outcome, ordering.ToPayment) and vdm.orders == ["cart-1"]
    assert ledger.get("cart-1").state == CREATED and ledger.get("cart-1").purchase is None


def test_a_purchase_the_ledger_cannot_read_leaves_the_order_without_lines(placement, ledger):
    placement.place(confirmed())
    db = sqlite3.connect(ledger.path)
    db.execute("UPDATE ledger SET purchase = ? WHERE cart_id = ?", ('{"lines": [{"show": "half"}]}', "cart-1"))
    db.commit()
    db.close()
    entry = ledger.by_order("KEY-1")
    assert entry.state == CREATED and entry.purchase is None
