"""Issue 11, finding 5: the cart that is ordered is exactly the cart the buyer confirmed, and
two tabs adding at once share one cart. Real races, over HTTP, against a real sandbox."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import requests
from helpers import LiveServer, checkout_fields, csrf_token

DETAILS = {"email": "ann@example.org", "firstname": "Ann", "lastname": "Smit", "payment_id": "33"}


def held_seats(sandbox) -> dict[str, int]:
    """Seats per cart, and per order ('order:<key>'), in the sandbox's stock."""
    db = sqlite3.connect(sandbox.app.extensions["sandbox"].settings.db)
    try:
        rows = db.execute("SELECT c.cart_id, c.order_key, COUNT(s.seat_id) FROM carts c "
                          "JOIN seats s ON s.cart_id = c.cart_id GROUP BY c.cart_id").fetchall()
    finally:
        db.close()
    return {(f"order:{order}" if order else cart): count for cart, order, count in rows}


def add(browser, shop_url: str, performance_id: int, quantity: int):
    page = browser.get(f"{shop_url}/performances/{performance_id}", timeout=10).text
    return browser.post(f"{shop_url}/performances/{performance_id}", timeout=20, allow_redirects=False,
                        data={"csrf_token": csrf_token(page), "qty_2ePdA8q3BN": str(quantity)})


@pytest.fixture
def slow_orders(start_sandbox):
    """A sandbox whose order/create takes 1.5 s: time for another tab to act meanwhile."""
    sandbox = start_sandbox()
    app = sandbox.server.app

    def slow(environ, start_response):
        if environ["PATH_INFO"].endswith("/order/create"):
            time.sleep(1.5)
        return app(environ, start_response)

    sandbox.server.app = slow
    return sandbox


@pytest.fixture(params=["sqlite", "redis"])
def shop(request, make_app, slow_orders):
    """The shop with its ledger in SQLite (one host) or in Redis (every host)."""
    redis = {"SHOP_REDIS_URL": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    server = LiveServer(make_app(slow_orders.url, **redis))
    yield server
    server.stop()


def test_adding_in_another_tab_while_the_order_is_created_does_not_change_the_order(shop, slow_orders):
    browser = requests.Session()
    assert add(browser, shop.url, 101, 1).status_code == 303
    form = {**checkout_fields(browser.get(shop.url + "/checkout/", timeout=10).text), **DETAILS}
    answers = {}

    def submit():
        answers["order"] = browser.post(shop.url + "/checkout/", data=form, allow_redirects=False, timeout=20)

    ordering = threading.Thread(target=submit)
    ordering.start()
    time.sleep(0.5)  # the order is being created now
    answers["add"] = add(browser, shop.url, 101, 3)
    ordering.join()
    assert answers["order"].status_code == 303 and "/sandbox/pay/" in answers["order"].headers["Location"]
    assert answers["add"].status_code == 303
    seats = held_seats(slow_orders)
    ordered = [count for key, count in seats.items() if key.startswith("order:")]
    assert ordered == [1]  # exactly the one seat the buyer confirmed
    assert sorted(count for key, count in seats.items() if not key.startswith("order:")) == [3]  # a new cart


def test_two_tabs_adding_at_once_share_one_cart(shop, slow_orders):
    browser = requests.Session()
    browser.get(shop.url + "/performances/101", timeout=10)  # the session both tabs share
    answers = []
    tabs = [threading.Thread(target=lambda: answers.append(add(browser, shop.url, 101, 2))) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert list(held_seats(slow_orders).values()) == [4]  # one cart holds both; none is left behind
