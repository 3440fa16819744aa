"""Issue 13: the order page tells what was bought. The shop keeps the lines of the cart the buyer
confirmed with the order in its ledger (SQLite or Redis), and the order page lists them for
every status: show, date, time, hall, ticket type, price, and the total. Nothing about the buyer
is kept with them, and a ledger from before still opens and its orders still show."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from decimal import Decimal

import pytest
from demo import CREDITCARD, DE_STORM_FIRST, IDEAL, NACHTVLINDERS_FIRST, SENIOR, STADSPAS, STANDARD
from helpers import (
    ANN,
    CANCEL,
    PARTIAL,
    PAY,
    PENDING,
    Buyer,
    catalogue_ready,
    choose_on_payment_page,
    in_front_of,
    orders_in,
    text,
)

from shop.domain.ledger import CREATED, Ledger, RedisLedger
from shop.vdm import Customer

PHONE = "0612345678"


def section(html: str) -> str:
    """The order page's list of tickets, as a reader reads it: tags gone, one space between words."""
    found = re.search(r'<section class="order-lines".*?</section>', html, re.S)
    assert found, "the order page lists no tickets"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def when(snapshot, performance_id: int) -> str:
    """A performance's date, time and hall as the English order page writes them."""
    _show, performance = snapshot.performance(performance_id)
    start, end = performance.starts_at, performance.ends_at
    return f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M} – {end:%H:%M}, {performance.location_name}"


def buys_two_shows(buyer: Buyer) -> str:
    """Two De Storm tickets at the standard price and one with a Stadspas, one Nachtvlinders
    ticket for a senior, paid by credit card (1.50 on top). Returns the order's key."""
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: 1})
    buyer.has_tickets(NACHTVLINDERS_FIRST, **{SENIOR: 1})
    return buyer.places_order(payment_id=str(CREDITCARD), phone=PHONE)


def assert_lists_what_was_bought(html: str, snapshot, total_label: str) -> None:
    listed = section(html)
    # Soonest first: Nachtvlinders (in 5 days) before De Storm (in 9).
    assert listed.index("Nachtvlinders") < listed.index("De Storm")
    assert f"Nachtvlinders {when(snapshot, NACHTVLINDERS_FIRST)}" in listed
    assert "65+ 1 €22.00 €22.00" in listed
    assert f"De Storm {when(snapshot, DE_STORM_FIRST)}" in listed
    assert "Standaard 2 €24.50 €49.00" in listed and "Stadspas 1 €18.38 €18.38" in listed
    assert "Payment costs: €1.50" in listed
    assert f"{total_label}: €90.88" in listed  # 49.00 + 18.38 + 22.00 + 1.50


@pytest.mark.parametrize(("choice", "title", "total_label"), [
    (PAY, "Your order is paid", "Total paid"),
    (PENDING, "Your payment is being processed", "Total"),
    (CANCEL, "Your payment was cancelled", "Total"),
    (PARTIAL, "Your order is partly paid", "Total"),
])
def test_the_order_page_lists_what_was_bought(app, buyer, sandbox, choice, title, total_label):
    snapshot = catalogue_ready(app)
    buys_two_shows(buyer)
    page = buyer.pays(choice)
    assert page.status_code == 200 and title in text(page)
    assert_lists_what_was_bought(text(page), snapshot, total_label)
    (order,) = orders_in(sandbox)  # what VdM charges is what the page says
    assert Decimal(order["total"]) + Decimal(order["payment_cost"]) == Decimal("90.88")


def test_before_any_payment_attempt_too(app, buyer):
    snapshot = catalogue_ready(app)
    key = buys_two_shows(buyer)
    html = buyer.reads(f"/order/{key}")
    assert "Your order is waiting for payment" in html
    assert_lists_what_was_bought(html, snapshot, "Total")


def test_while_the_status_is_unknown_the_lines_still_show(app, buyer, sandbox):
    snapshot = catalogue_ready(app)
    key = buys_two_shows(buyer)

    def broken(environ, start_response):
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"down"]

    in_front_of(sandbox, lambda method, path: path.endswith(f"/order/{key}"), broken)
    page = buyer.opens(f"/order/{key}")
    assert page.status_code == 503 and "We are checking your order" in text(page)
    assert_lists_what_was_bought(text(page), snapshot, "Total")


def test_the_stored_lines_hold_nothing_about_the_buyer(app, buyer, sandbox):
    catalogue_ready(app)
    key = buys_two_shows(buyer)
    (order,) = orders_in(sandbox)
    customer = json.loads(order["customer"])
    assert customer["email"] == ANN["email"] and customer["phone"] == PHONE  # VdM did get them
    db = sqlite3.connect(app.config["SHOP_LEDGER_DB"])
    (stored,) = db.execute("SELECT purchase FROM ledger WHERE order_key = ?", (key,)).fetchone()
    db.close()
    for personal in (ANN["email"], ANN["firstname"], ANN["lastname"], PHONE, "example.org"):
        assert personal not in stored
    lines = json.loads(stored)["lines"]
    assert {name for line in lines for name in line} == {
        "performance_id", "show_id", "show", "starts_at", "ends_at", "hall", "location_id", "ticket_type", "price",
        "quantity", "seat"}
    assert {line["price"] for line in lines} == {"24.50", "18.38", "22.00"}  # money as text, never a float


# --- a ledger from before the shop kept what was bought -----------------------------------------------

OLD_SCHEMA = """
CREATE TABLE ledger (cart_id TEXT PRIMARY KEY, state TEXT NOT NULL, order_key TEXT, payment_url TEXT,
                     updated_at REAL NOT NULL);
CREATE INDEX ledger_by_order ON ledger (order_key);
CREATE TABLE session_carts (session TEXT PRIMARY KEY, cart_id TEXT NOT NULL, updated_at REAL NOT NULL);
"""


def order_at_vdm(vdm) -> tuple[str, str]:
    """An order made and paid before the upgrade: one De Storm ticket. Returns its cart id and key."""
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 1, STANDARD)
    created = vdm.create_order(cart_id, IDEAL, "https://shop.example/order/return",
                               Customer(email=ANN["email"], firstname="Ann", lastname="Smit"))
    choose_on_payment_page(created.url, PAY)
    return cart_id, created.order_key


def test_an_old_sqlite_ledger_opens_and_its_orders_still_show(make_app, sandbox, vdm, tmp_path):
    cart_id, key = order_at_vdm(vdm)
    path = tmp_path / "old-ledger.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO ledger VALUES (?, ?, ?, ?, ?)", (cart_id, CREATED, key, None, time.time()))
    db.commit()
    db.close()

    app = make_app(sandbox.url, SHOP_LEDGER_DB=str(path))
    entry = app.extensions["ledger"].by_order(key)
    assert entry.cart_id == cart_id and entry.state == CREATED and entry.purchase is None
    html = Buyer(app.test_client()).reads(f"/order/{key}")
    assert "Your order is paid" in html and "1 ticket: De Storm" in html  # what VdM's status tells, as before
    assert "order-lines" not in html and "calendar.ics" not in html
    assert Buyer(app.test_client()).opens(f"/order/{key}/calendar.ics").status_code == 404  # no lines, no file
    Ledger(str(path))  # opening it again (another worker) finds the column there
    db = sqlite3.connect(path)
    assert "purchase" in [row[1] for row in db.execute("PRAGMA table_info(ledger)")]
    db.close()


def test_an_old_redis_entry_still_shows(make_app, sandbox, vdm, redis_url):
    import redis

    cart_id, key = order_at_vdm(vdm)
    prefix = "vdmshop:demo:ledger:"  # what open_ledger uses for the client "demo"
    store = redis.Redis.from_url(redis_url)
    # As an older shop wrote it: no purchase in the entry.
    store.set(f"{prefix}cart:{cart_id}", json.dumps({"state": CREATED, "order_key": key, "payment_url": None,
                                                     "updated_at": time.time()}))
    store.set(f"{prefix}order:{key}", cart_id)

    app = make_app(sandbox.url, SHOP_REDIS_URL=redis_url)
    assert isinstance(app.extensions["ledger"], RedisLedger)
    entry = app.extensions["ledger"].by_order(key)
    assert entry.state == CREATED and entry.purchase is None
    html = Buyer(app.test_client()).reads(f"/order/{key}")
    assert "Your order is paid" in html and "1 ticket: De Storm" in html and "order-lines" not in html


def test_with_redis_the_lines_are_kept_too(make_app, sandbox, redis_url):
    import redis

    app = make_app(sandbox.url, SHOP_REDIS_URL=redis_url)
    snapshot = catalogue_ready(app)
    buyer = Buyer(app.test_client())
    key = buys_two_shows(buyer)
    assert_lists_what_was_bought(buyer.reads(f"/order/{key}"), snapshot, "Total")
    store = redis.Redis.from_url(redis_url)
    stored = b"".join(store.get(name) for name in store.keys("vdmshop:demo:ledger:cart:*")).decode()
    assert "Stadspas" in stored
    for personal in (ANN["email"], ANN["firstname"], ANN["lastname"], PHONE):
        assert personal not in stored
