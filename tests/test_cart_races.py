"""Issue 11, finding 5: the cart that is ordered is exactly the cart the buyer confirmed, and
two tabs adding at once share one cart. Real races, over HTTP, against a real sandbox."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from demo import DE_STORM_FIRST, STANDARD
from helpers import ANN, Buyer, LiveServer, in_front_of, slow_by


def held_seats(sandbox) -> dict[str, int]:
    """Seats per cart, and per order ('order:<key>'), in the sandbox's stock."""
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    try:
        rows = db.execute("SELECT c.cart_id, c.order_key, COUNT(s.seat_id) FROM carts c "
                          "JOIN seats s ON s.cart_id = c.cart_id GROUP BY c.cart_id").fetchall()
    finally:
        db.close()
    return {(f"order:{order}" if order else cart): count for cart, order, count in rows}


@pytest.fixture
def slow_orders(start_sandbox):
    """A sandbox whose order/create takes 1.5 s: time for another tab to act meanwhile."""
    sandbox = start_sandbox()
    in_front_of(sandbox, lambda method, path: path.endswith("/order/create"), slow_by(1.5, sandbox))
    return sandbox


@pytest.fixture(params=["sqlite", "redis"])
def shop(request, make_app, slow_orders):
    """The shop with its ledger in SQLite (one host) or in Redis (every host)."""
    redis = {"SHOP_REDIS_URL": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    server = LiveServer(make_app(slow_orders.url, **redis))
    yield server
    server.stop()


def test_adding_in_another_tab_while_the_order_is_created_does_not_change_the_order(shop, slow_orders):
    buyer = Buyer.at(shop.url)
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    form = {**buyer.checkout_form(), **ANN}
    answers = {}

    def submit():
        answers["order"] = buyer.posts("/checkout/", form)

    ordering = threading.Thread(target=submit)
    ordering.start()
    time.sleep(0.5)  # the order is being created now
    answers["add"] = buyer.adds(DE_STORM_FIRST, **{STANDARD: 3})
    ordering.join()
    assert answers["order"].status_code == 303 and "/sandbox/pay/" in answers["order"].headers["Location"]
    assert answers["add"].status_code == 303
    seats = held_seats(slow_orders)
    ordered = [count for key, count in seats.items() if key.startswith("order:")]
    assert ordered == [1]  # exactly the one seat the buyer confirmed
    assert sorted(count for key, count in seats.items() if not key.startswith("order:")) == [3]  # a new cart


def test_two_tabs_adding_at_once_share_one_cart(shop, slow_orders):
    buyer = Buyer.at(shop.url)
    buyer.opens(f"/performances/{DE_STORM_FIRST}")  # the session both tabs share
    answers = []
    tabs = [threading.Thread(target=lambda: answers.append(buyer.adds(DE_STORM_FIRST, **{STANDARD: 2})))
            for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert list(held_seats(slow_orders).values()) == [4]  # one cart holds both; none is left behind
