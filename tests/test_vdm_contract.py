"""Contract tests of the VdM client, over real HTTP.

They run against the sandbox; with VDM_LIVE_CLIENT=<client name> they also run
against the real VdM API (cart tests make carts there; orders are only created
in the sandbox).
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal

import pytest
import requests

from shop.vdm import (
    VENUE_TZ,
    Cart,
    CartNotFound,
    Customer,
    Event,
    NotFound,
    OrderStatus,
    Rejected,
    VdmClient,
)

LIVE_URL = "https://api.voordemensen.nl/v1"


@pytest.fixture(params=["sandbox", "live"])
def api(request):
    if request.param == "live":
        name = os.environ.get("VDM_LIVE_CLIENT")
        if not name:
            pytest.skip("the real VdM API is opt-in: set VDM_LIVE_CLIENT=demo to run this contract test against it")
        client = VdmClient(LIVE_URL, name)
    else:
        client = VdmClient(request.getfixturevalue("sandbox").url + "/v1", "demo", backoff=0)
    client.kind = request.param
    yield client
    client.close()


def sellable(api: VdmClient):
    for event in api.upcoming_events():
        for performance in event.performances:
            if performance.on_sale():
                return event, performance
    pytest.fail("no performance on sale")


def test_events_are_typed_and_sorted(api):
    events = api.events()
    assert events and all(isinstance(e, Event) for e in events)
    for event in events:
        starts = [p.starts_at for p in event.performances]
        assert starts == sorted(starts)
        for p in event.performances:
            assert p.starts_at.tzinfo == VENUE_TZ
            assert p.ends_at is None or p.ends_at > p.starts_at
            assert p.free >= 0


def test_upcoming_events_hold_only_future_performances(api):
    moment = datetime.now(VENUE_TZ)
    upcoming = api.upcoming_events()
    assert upcoming
    assert all(p.starts_at > moment for e in upcoming for p in e.performances)


def test_one_event_by_main_and_by_sub_id(api):
    event, performance = sellable(api)
    by_main = api.event(event.id)
    assert by_main.id == event.id and by_main.name == event.name
    by_sub = api.event(performance.id)
    assert [p.id for p in by_sub.performances] == [performance.id]
    assert api.performance(performance.id).starts_at == performance.starts_at


def test_unknown_event_is_not_found(api):
    with pytest.raises(NotFound):
        api.event(987654321)


def test_ticket_types_have_decimal_prices(api):
    _, performance = sellable(api)
    types = api.ticket_types(performance.id)
    assert types
    for t in types:
        assert isinstance(t.price, Decimal) and isinstance(t.base_price, Decimal)
        assert t.discount_type in ("€", "%", "=")
        assert t.price <= t.base_price or t.discount_type == "="


def test_ticket_types_of_unknown_performance(api):
    with pytest.raises(NotFound):
        api.ticket_types(987654321)


def test_payment_methods(api):
    methods = api.payment_methods()
    assert methods
    assert all(isinstance(m.id, int) and isinstance(m.cost, Decimal) for m in methods)


def test_cart_lifecycle(api):
    event, performance = sellable(api)
    ticket_type = api.ticket_types(performance.id)[0]
    cart_id = api.create_cart()
    assert isinstance(cart_id, str) and cart_id

    empty = api.cart(cart_id)
    assert isinstance(empty, Cart) and empty.is_empty and empty.total == 0

    cart = api.add_to_cart(cart_id, performance.id, 2, ticket_type.id)
    assert cart.count == 2
    assert cart.total == 2 * ticket_type.price
    seat = cart.seats[0]
    assert seat.event_id == performance.id and seat.price == ticket_type.price
    # The cart gives dates as DD-MM-YYYY and HH:MM: parsed, they match the event's.
    assert seat.starts_at == performance.starts_at

    after = api.remove_seat(cart_id, seat.id)
    assert after.count == 1 and after.total == ticket_type.price
    assert api.cart(cart_id).count == 1


def test_unknown_cart_is_gone(api):
    with pytest.raises(CartNotFound):
        api.cart("thiscartdoesnotexist0000000000000")


# --- sandbox-only: these need the demo venue's known data, or create orders ------------


@pytest.fixture
def demo(vdm):
    return vdm


def test_sold_out_nosal_and_past_performances(demo):
    assert demo.performance(102).free == 0 and not demo.performance(102).on_sale()
    nosal = demo.performance(503)
    assert nosal.status == "nosal" and not nosal.on_sale()
    past = demo.performance(501)
    assert past.is_past() and not past.on_sale()
    assert demo.performance(101).on_sale()


def test_performance_ending_after_midnight(demo):
    late = demo.performance(601)
    assert late.ends_at.date() > late.starts_at.date()
    assert (late.ends_at - late.starts_at).total_seconds() == 2 * 3600 + 15 * 60


def test_every_discount_type(demo):
    prices = {t.name: (t.discount_type, t.price) for t in demo.ticket_types(101)}
    assert prices["Standaard"] == ("€", Decimal("24.50"))
    assert prices["Stadspas"] == ("%", Decimal("18.38"))
    assert prices["65+"] == ("€", Decimal("22.00"))
    student = {t.name: t for t in demo.ticket_types(301)}["Student"]
    assert (student.discount_type, student.price, student.has_discount) == ("=", Decimal("12.50"), True)


@pytest.mark.parametrize(
    "event_id, quantity, discount, error",
    [
        (101, 11, "2ePdA8q3BN", Rejected),  # over event_free
        (101, 1, "nosuchtype", Rejected),
        (503, 1, "Fy5StdT6eF", Rejected),  # nosal
        (501, 1, "Fy5StdT6eF", Rejected),  # past
        (102, 1, "2ePdA8q3BN", Rejected),  # sold out
        (987654, 1, "2ePdA8q3BN", NotFound),
    ],
)
def test_refused_additions(demo, event_id, quantity, discount, error):
    cart_id = demo.create_cart()
    with pytest.raises(error) as caught:
        demo.add_to_cart(cart_id, event_id, quantity, discount)
    assert not isinstance(caught.value, CartNotFound)
    assert demo.cart(cart_id).is_empty


def test_adding_to_unknown_cart(demo):
    with pytest.raises(CartNotFound):
        demo.add_to_cart("nope", 101, 1, "2ePdA8q3BN")


def test_order_create_and_status(demo):
    cart_id = demo.create_cart()
    demo.add_to_cart(cart_id, 101, 2, "AYDJK7JlkX")
    customer = Customer(email="a@example.org", firstname="Ann", lastname="Smit", avg_optin=True)
    created = demo.create_order(cart_id, 34, "http://shop.example/return", customer)
    assert created.url.startswith("http") and created.order_key in created.url
    status = demo.order_status(created.order_key)
    assert isinstance(status, OrderStatus)
    assert (status.status, status.tickets_nr, len(status.seats)) == ("none", 2, 2)
    assert status.seats[0].event_name == "De Storm"
    assert status.tickets_url and status.receipt_url
    # The cart became the order: it cannot be used again.
    with pytest.raises(CartNotFound):
        demo.cart(cart_id)


def test_unknown_order_is_not_found(demo):
    with pytest.raises(NotFound):
        demo.order_status("AAAAA-BBBBB-CCCCC-DDDDD")


# --- the sandbox's raw answers keep VdM's quirks ----------------------------------------


def test_raw_quirks(sandbox):
    base = sandbox.url + "/v1/demo/"
    event = requests.get(base + "events/100", timeout=5).json()
    assert isinstance(event, list) and event[0]["sub_events"][0]["event_date"].count("-") == 2
    assert len(event[0]["sub_events"][0]["event_date"].split("-")[0]) == 4  # YYYY-MM-DD

    created = requests.post(base + "cart/", timeout=5)
    assert created.status_code == 201 and created.headers["Location"].endswith(created.json()["cart_id"])
    cart_id = created.json()["cart_id"]
    assert requests.get(base + f"cart/{cart_id}", timeout=5).json() == [{"cart": 0}]

    # Form-encoded bodies are accepted as well as JSON.
    cart = requests.post(base + f"cart/{cart_id}", data={"event_id": "101", "numberoftickets": "1",
                                                         "discount_id": "2ePdA8q3BN"}, timeout=5).json()
    assert cart[-1] == {"totalprice": "24.50"}
    assert len(cart[0]["event_date"].split("-")[2]) == 4  # DD-MM-YYYY
    assert len(cart[0]["event_time"]) == 5  # HH:MM

    order = requests.post(base + "order/create", json={
        "cart_id": cart_id, "payment_id": 33, "redirectURL": "https://shop.example/r", "email": "a@example.org",
        "firstname": "A", "lastname": "B", "avg_optin": False, "avg_mailinglist": False}, timeout=5)
    assert order.status_code == 200 and isinstance(order.json(), list) and set(order.json()[0]) == {"url", "order_key"}

    missing = requests.get(base + "events/424242", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"message": "Event not found"}
    nowhere = requests.get(base + "no/such/endpoint", timeout=5)
    assert nowhere.status_code == 404 and "message" in nowhere.json()
