"""Contract tests of the client's authenticated ("Peppered") calls: halls, seating plans and the
richer cart, and of the box office's seat features built on them.

They run against the sandbox (which serves the Peppered API as docs/integration.md's
assumptions describe it), against a fake upstream for what the sandbox never sends (money as
numbers, ids as integers, a 403), and, opt-in, against the real API: with VDM_LIVE_API_KEY (and
VDM_LIVE_CLIENT, default demo) the data-independent checks run there too. Those never order,
and empty every cart they fill.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from decimal import Decimal

import pytest
from demo import DE_STORM_FIRST, GROTE_ZAAL, KLEINE_ZAAL, NACHTVLINDERS_FIRST, STANDARD
from helpers import catalogue_ready, record_paths

from shop.infra.snapshot import Catalogue, MemoryStore, with_addresses
from shop.vdm import (
    DONATION,
    VENUE_TZ,
    CartNotFound,
    Hall,
    HeldCart,
    KeyRefused,
    Location,
    NewItem,
    NotFound,
    Rejected,
    SeatPlan,
    SeatsTaken,
    UpstreamUnavailable,
    VdmClient,
)

KEY = "sandbox-key-for-the-peppered-contract-tests-0123456789"
LIVE_URL = "https://api.voordemensen.nl/v1"
UNKNOWN_CART = "thiscartdoesnotexist0000000000000"


def free_seats(plan: SeatPlan):
    return [seat for section in plan.sections for row in section.rows for seat in row.seats if seat.available]


def ticket_for(plan: SeatPlan, seat, event_id: int) -> NewItem:
    level = plan.levels_for(seat.rank_id)[0]
    return NewItem(level.price_id, seat.rank_id, event_id=event_id, seat_id=seat.id)


# --- the sandbox, and (opt-in) the real API: the same data-independent checks -----------------


@pytest.fixture(params=["sandbox", "live"])
def api(request):
    if request.param == "live":
        key = os.environ.get("VDM_LIVE_API_KEY", "").strip()
        if not key:
            pytest.skip("the real Peppered API is opt-in: set VDM_LIVE_API_KEY=<the venue's key> "
                        "(and VDM_LIVE_CLIENT=<its client name>, default demo) to run this contract test against it")
        base, name = LIVE_URL, os.environ.get("VDM_LIVE_CLIENT") or "demo"
        client = VdmClient(base, name, api_key=key)
    else:
        base, name = request.getfixturevalue("start_sandbox")(SANDBOX_API_KEY=KEY).url + "/v1", "demo"
        client = VdmClient(base, name, backoff=0, api_key=KEY)
    client.kind, client.base, client.name = request.param, base, name
    yield client
    client.close()


def plans(api: VdmClient, at_most: int = 6):
    """The seating plans of the first performances on sale (None for a hall without numbered seats)."""
    found = []
    for event in api.upcoming_events():
        for performance in event.performances:
            if performance.on_sale() and len(found) < at_most:
                found.append((performance, api.seat_plan(performance.id)))
    assert found, "no performance on sale"
    return found


@pytest.fixture
def cart(api):
    """A public cart, emptied of whatever the test put in it through Peppered."""
    cart_id = api.create_cart()
    yield cart_id
    try:
        for item in api.held_cart(cart_id).items:
            api.remove_item(cart_id, item.item_id)
    except CartNotFound:
        pass


def test_halls_are_typed(api):
    halls = api.halls()
    assert halls and all(isinstance(h, Hall) and isinstance(h.id, int) for h in halls)
    assert len({h.id for h in halls}) == len(halls)


def test_seating_plans_hang_together(api):
    for performance, plan in plans(api):
        if plan is None:
            continue
        assert plan.numbered and plan.event_id == performance.id
        assert all(isinstance(level.amount, Decimal) and level.amount >= 0 for level in plan.price_levels)
        seats = [seat for section in plan.sections for row in section.rows for seat in row.seats]
        assert len({seat.id for seat in seats}) == len(seats), "seat ids are unique within a plan"
        for seat in seats:
            assert isinstance(seat.id, str) and isinstance(seat.number, str) and isinstance(seat.available, bool)
            assert plan.find(seat.id)[2] == seat
        assert plan.available is None or plan.available == len(free_seats(plan))


def test_unknown_event_has_no_plan(api):
    assert api.seat_plan(987654321) is None


def test_a_public_cart_is_the_peppered_cart(api, cart):
    held = api.held_cart(cart)
    assert isinstance(held, HeldCart)
    assert (held.cart_id, held.items, held.number_of_items, held.amount) == (cart, (), 0, 0)
    assert held.time_out is None or held.time_out.tzinfo is not None
    summary = api.cart_summary(cart)
    assert (summary.cart_id, summary.items, summary.number_of_items) == (cart, (), 0)


def test_a_chosen_seat_is_held_and_removed(api, cart):
    chosen = next(((p, plan, free_seats(plan)[0]) for p, plan in plans(api) if plan and free_seats(plan)), None)
    if chosen is None:
        pytest.skip("no performance on sale has a free numbered seat")
    performance, plan, seat = chosen
    item = ticket_for(plan, seat, performance.id)
    held = api.add_items(cart, [item])
    [line] = held.items
    section, row, _ = plan.find(seat.id)
    assert (line.kind, line.seat_id, line.event_id, line.price_id) == ("ticket", seat.id, performance.id, item.price_id)
    assert (line.section, line.row, line.seat_number) == (section.name, row.number, seat.number)
    assert line.amount == plan.levels_for(seat.rank_id)[0].amount == held.amount
    assert held.time_out is not None and held.time_out > datetime.now(VENUE_TZ)
    # The public cart lists the same line, by the same id.
    assert [s.id for s in api.cart(cart).seats] == [line.item_id]
    assert not api.remove_item(cart, line.item_id).items
    assert api.cart(cart).is_empty


def test_unknown_cart(api):
    for call in (api.held_cart, api.cart_summary):
        with pytest.raises(CartNotFound):
            call(UNKNOWN_CART)


def test_a_wrong_key_is_refused(api):
    wrong = VdmClient(api.base, api.name, api_key="not-the-key-0123456789", retries=0)
    with pytest.raises(KeyRefused) as refused:
        wrong.halls()
    assert refused.value.status in (401, 403)
    assert "not-the-key" not in str(refused.value)
    wrong.close()


# --- the sandbox only: the demo venue's known plan, and carts filled for real ----------------


@pytest.fixture
def keyed_sandbox(start_sandbox):
    return start_sandbox(SANDBOX_API_KEY=KEY)


@pytest.fixture
def demo(keyed_sandbox):
    client = VdmClient(keyed_sandbox.url + "/v1", "demo", read_timeout=5, backoff=0, api_key=KEY)
    yield client
    client.close()


def test_the_demo_halls_are_its_locations(demo):
    halls = {hall.id: hall for hall in demo.halls()}
    grote = halls[GROTE_ZAAL]
    assert (grote.name, grote.address, grote.zip, grote.city) == ("Grote Zaal", "Lindeboomplein 1", "3512 LB", "Utrecht")
    assert KLEINE_ZAAL in halls


def test_the_grote_zaal_is_numbered_and_the_kleine_zaal_is_not(demo):
    plan = demo.seat_plan(DE_STORM_FIRST)
    assert plan.hall_id == GROTE_ZAAL
    assert [section.name for section in plan.sections] == ["Parket", "Balkon"]
    assert STANDARD in {level.price_id for level in plan.price_levels}
    assert all(plan.levels_for(seat.rank_id) for section in plan.sections for row in section.rows
               for seat in row.seats), "every seat can be sold as some ticket type"
    assert demo.seat_plan(NACHTVLINDERS_FIRST) is None


def test_seats_and_a_donation_in_one_call(demo):
    cart_id = demo.create_cart()
    plan = demo.seat_plan(DE_STORM_FIRST)
    first, second = free_seats(plan)[:2]
    held = demo.add_items(cart_id, [ticket_for(plan, first, DE_STORM_FIRST), ticket_for(plan, second, DE_STORM_FIRST),
                                    NewItem(DONATION, 0, amount=Decimal("5.00"))])
    tickets = [item for item in held.items if not item.is_donation]
    assert {item.seat_id for item in tickets} == {first.id, second.id}
    assert held.donation == Decimal("5.00")
    assert held.amount == sum(item.amount for item in tickets) + Decimal("5.00")
    assert held.number_of_items == 3
    # The public cart lists the seats, not the donation, and its total leaves the donation out.
    public = demo.cart(cart_id)
    assert {seat.id for seat in public.seats} == {item.item_id for item in tickets}
    assert public.total == held.amount - Decimal("5.00")
    # Held seats are no longer free for anyone.
    after = demo.seat_plan(DE_STORM_FIRST)
    assert not after.find(first.id)[2].available and not after.find(second.id)[2].available
    summary = demo.cart_summary(cart_id)
    assert (summary.amount, summary.number_of_items, summary.items) == (held.amount, 3, ())
    donation = next(item for item in held.items if item.is_donation)
    assert demo.remove_item(cart_id, donation.item_id).donation == 0


def test_a_taken_seat_refuses_the_whole_call(demo):
    plan = demo.seat_plan(DE_STORM_FIRST)
    taken, other = free_seats(plan)[:2]
    demo.add_items(demo.create_cart(), [ticket_for(plan, taken, DE_STORM_FIRST)])
    late = demo.create_cart()
    with pytest.raises(SeatsTaken) as refused:
        demo.add_items(late, [ticket_for(plan, other, DE_STORM_FIRST), ticket_for(plan, taken, DE_STORM_FIRST)])
    assert refused.value.seat_ids == (taken.id,)
    assert demo.held_cart(late).items == ()
    assert demo.seat_plan(DE_STORM_FIRST).find(other.id)[2].available


def test_best_available_and_chosen_seats_sell_from_one_stock(demo):
    cart_id = demo.create_cart()
    before = len(free_seats(demo.seat_plan(DE_STORM_FIRST)))
    demo.add_to_cart(cart_id, DE_STORM_FIRST, 2, STANDARD)
    assert len(free_seats(demo.seat_plan(DE_STORM_FIRST))) == before - 2


@pytest.mark.parametrize("item", [
    NewItem("nosuchprice", 1, event_id=DE_STORM_FIRST, seat_id="x"),
    NewItem(DONATION, 0, amount=Decimal("-5.00")),
], ids=["unknown price", "negative donation"])
def test_other_refusals_are_rejected(demo, item):
    cart_id = demo.create_cart()
    if item.seat_id:
        plan = demo.seat_plan(DE_STORM_FIRST)
        seat = free_seats(plan)[0]
        item = NewItem("nosuchprice", seat.rank_id, event_id=DE_STORM_FIRST, seat_id=seat.id)
    with pytest.raises(Rejected) as refused:
        demo.add_items(cart_id, [item])
    assert not isinstance(refused.value, (SeatsTaken, CartNotFound))
    assert demo.held_cart(cart_id).items == ()


def test_adding_to_an_unknown_cart(demo):
    with pytest.raises(CartNotFound):
        demo.add_items(UNKNOWN_CART, [NewItem(DONATION, 0, amount=Decimal("5.00"))])


def test_no_key_no_call(keyed_sandbox):
    paths = record_paths(keyed_sandbox)
    keyless = VdmClient(keyed_sandbox.url + "/v1", "demo")
    assert not keyless.has_key
    for call, args in ((keyless.halls, ()), (keyless.seat_plan, (DE_STORM_FIRST,)), (keyless.held_cart, ("abc",)),
                       (keyless.cart_summary, ("abc",)), (keyless.remove_item, ("abc", "def")),
                       (keyless.add_items, ("abc", [NewItem(DONATION, 0, amount=Decimal("5"))]))):
        with pytest.raises(KeyRefused) as refused:
            call(*args)
        assert refused.value.status is None
    assert paths == []


# --- what the sandbox never sends: a fake upstream ------------------------------------------


@pytest.fixture
def keyed(fake_upstream):
    client = VdmClient(fake_upstream.url + "/v1", "demo", connect_timeout=1, read_timeout=0.5, backoff=0, api_key=KEY)
    yield client
    client.close()


PLAN = {"eventId": 95, "hallId": 1,
        "priceLevels": [{"priceId": "2ePdA8q3BN", "rankId": 42, "name": "Rang 1", "amount": 24.5},
                        {"priceId": "AYDJK7JlkX", "rankId": 42, "name": "Rang 1", "amount": "18.38"}],
        "sections": [{"sectionId": 5, "sectionName": "Parket", "rows": [{"rowNr": 1, "seats": [
            {"seatId": "abc", "seatNr": 1, "rankId": 42, "available": True},
            {"seatId": 2904, "seatNr": "2", "rankId": "42", "available": False}]}]}],
        "available": 120}

CART = {"cartId": "4DSMDACyPo8wLr8vFnTVUR6HzWC5tWGi", "timeOut": "2026-04-22T14:35:00+02:00",
        "numberOfItems": 2, "amount": 29.50,
        "cartItems": [{"itemType": "ticket", "itemId": "azL0bNZdD1", "eventId": 95, "priceId": "2ePdA8q3BN",
                       "priceName": "Standard", "description": "Hamlet", "amount": "24.50", "rankId": 42,
                       "seatId": 2904, "sectionName": "Parket", "rowNr": 5, "seatNr": 12},
                      {"itemType": "donation", "itemId": 77, "priceId": "donation", "rankId": 0,
                       "description": "Donation", "amount": 5}]}


def test_money_as_number_or_string_and_ids_of_either_type(fake_upstream, keyed):
    fake_upstream.answer("GET", "peppered/seating/95", body=PLAN)
    plan = keyed.seat_plan(95)
    assert [level.amount for level in plan.price_levels] == [Decimal("24.50"), Decimal("18.38")]
    assert [str(level.amount) for level in plan.price_levels] == ["24.50", "18.38"]
    section, row, seat = plan.find("2904")
    assert (section.id, row.number, seat.number, seat.rank_id, seat.available) == ("5", "1", "2", 42, False)
    assert plan.levels_for(42) == plan.price_levels and plan.available == 120

    fake_upstream.answer("GET", "peppered/cart/4DSMDACyPo8wLr8vFnTVUR6HzWC5tWGi", body=CART)
    held = keyed.held_cart("4DSMDACyPo8wLr8vFnTVUR6HzWC5tWGi")
    ticket, donation = held.items
    assert (ticket.seat_id, ticket.row, ticket.seat_number, ticket.amount) == ("2904", "5", "12", Decimal("24.50"))
    assert (donation.item_id, donation.is_donation, donation.amount) == ("77", True, Decimal("5.00"))
    assert (held.amount, held.donation) == (Decimal("29.50"), Decimal("5.00"))
    assert held.time_out == datetime(2026, 4, 22, 14, 35, tzinfo=VENUE_TZ) and held.time_out.tzinfo == VENUE_TZ


def test_a_plan_without_seats_or_a_404_is_no_plan(fake_upstream, keyed):
    fake_upstream.answer("GET", "peppered/seating/95", body={**PLAN, "sections": []})
    fake_upstream.answer("GET", "peppered/seating/96", status=404, body={"message": "Event not found"})
    assert keyed.seat_plan(95) is None and keyed.seat_plan(96) is None


def test_the_key_goes_on_peppered_calls_only(fake_upstream, keyed):
    fake_upstream.answer("GET", "events/upcoming", body=[])
    fake_upstream.answer("GET", "peppered/hall", body=[{"hallId": 1, "hallName": "Zaal"}])
    fake_upstream.answer("POST", "cart/", status=201, body={"cart_id": "abc"})
    keyed.upcoming_events()
    keyed.halls()
    keyed.create_cart()
    assert fake_upstream.authorizations == [("GET", "/v1/demo/events/upcoming", None),
                                            ("GET", "/v1/demo/peppered/hall", KEY),
                                            ("POST", "/v1/demo/cart/", None)]


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key(fake_upstream, keyed, status, caplog):
    fake_upstream.answer("GET", "peppered/hall", status=status, body={"message": f"Invalid key {KEY}"})
    with pytest.raises(KeyRefused) as refused:
        keyed.halls()
    assert refused.value.status == status
    assert KEY not in str(refused.value) and KEY not in repr(refused.value) and KEY not in repr(keyed)
    assert fake_upstream.count("GET", "peppered/hall") == 1, "a refusal is not retried"
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_seats_taken_names_the_seats(fake_upstream, keyed):
    fake_upstream.answer("POST", "peppered/cart/abc", status=409,
                         body={"message": "Seats not available", "seatIds": [2904, "def", None]})
    with pytest.raises(SeatsTaken) as taken:
        keyed.add_items("abc", [NewItem("p", 42, event_id=95, seat_id="2904"), NewItem("p", 42, event_id=95, seat_id="def")])
    assert isinstance(taken.value, Rejected) and taken.value.seat_ids == ("2904", "def")


def test_what_is_sent(fake_upstream, keyed):
    fake_upstream.answer("POST", "peppered/cart/abc", body=CART)
    keyed.add_items("abc", [NewItem("2ePdA8q3BN", 42, event_id=95, seat_id="2904"),
                            NewItem("2ePdA8q3BN", 42, event_id=95, number_of_tickets=2),
                            NewItem(DONATION, 0, amount=Decimal("12.34"))])
    import json

    assert json.loads(fake_upstream.bodies[-1]) == [
        {"priceId": "2ePdA8q3BN", "rankId": 42, "eventId": 95, "seatId": "2904"},
        {"priceId": "2ePdA8q3BN", "rankId": 42, "eventId": 95, "numberOfTickets": 2},
        {"priceId": "donation", "rankId": 0, "amount": 12.34}]
    # The amount is a JSON number written from the Decimal's own digits, never through a float.
    assert b'"amount": 12.34}' in fake_upstream.bodies[-1]
    assert json.loads(fake_upstream.bodies[-1], parse_float=Decimal)[2]["amount"] == Decimal("12.34")


def test_money_goes_out_as_written():
    from shop.vdm.client import json_body

    body = {"amount": Decimal("0.10"), "large": Decimal("123456789.99"), "text": "12.34", "list": [Decimal("5.00")]}
    assert json_body(body) == b'{"amount": 0.10, "large": 123456789.99, "text": "12.34", "list": [5.00]}'
    with pytest.raises(TypeError):
        json_body({"amount": Decimal("NaN")})


def test_gets_are_retried_and_changes_never(fake_upstream, keyed, caplog):
    for method, path in (("GET", "peppered/hall"), ("POST", "peppered/cart/abc"), ("DELETE", "peppered/cart/abc/x")):
        fake_upstream.answer(method, path, status=503, body=b"down")
    with pytest.raises(UpstreamUnavailable):
        keyed.halls()
    with pytest.raises(UpstreamUnavailable):
        keyed.add_items("abc", [NewItem(DONATION, 0, amount=Decimal("5"))])
    with pytest.raises(UpstreamUnavailable):
        keyed.remove_item("abc", "x")
    assert [fake_upstream.count(m, p) for m, p in (("GET", "peppered/hall"), ("POST", "peppered/cart/abc"),
                                                   ("DELETE", "peppered/cart/abc/x"))] == [3, 1, 1]
    assert caplog.records and all(KEY not in record.getMessage() for record in caplog.records)


def test_unknown_cart_and_item(fake_upstream, keyed):
    fake_upstream.answer("DELETE", "peppered/cart/abc/x", status=404, body={"message": "Item not found"})
    fake_upstream.answer("DELETE", "peppered/cart/gone/x", status=404, body={"message": "Cart not found"})
    with pytest.raises(NotFound) as unknown_item:
        keyed.remove_item("abc", "x")
    assert not isinstance(unknown_item.value, CartNotFound)
    with pytest.raises(CartNotFound):
        keyed.remove_item("gone", "x")
    with pytest.raises(CartNotFound):  # the sandbox's default answer: 404 {"message": "Not found"}
        keyed.held_cart("abc")


@pytest.mark.parametrize("item_id", ["..", ".", ""])
def test_no_id_takes_a_call_to_another_path(keyed, item_id):
    with pytest.raises(ValueError):
        keyed.remove_item("abc", item_id)


def test_a_key_a_header_cannot_carry_is_refused_without_quoting_it():
    with pytest.raises(ValueError) as refused:
        VdmClient("http://127.0.0.1:9/v1", "demo", api_key="abc\ndef")
    assert "abc" not in str(refused.value)


# --- the snapshot: the halls' addresses where the public locations have none -----------------


def test_hall_addresses_fill_the_gaps_only():
    bare = Location(1, "Grote Zaal", "", "", "", "", "", "")
    full = Location(2, "Kleine Zaal", "Achter de Linde 14", "", "3512 LD", "Utrecht", "NL", "")
    halls = [Hall(1, "Grote zaal", "Lindeboomplein 1", "3512 LB", "Utrecht", "030 012 3400", "https://x.example"),
             Hall(2, "Kleine", "Elders 1", "1000 AA", "Amsterdam", "", ""),
             Hall(9, "Buitenpodium", "Park 2", "3512 AA", "Utrecht", "", "")]
    merged = with_addresses({1: bare, 2: full}, [hall.as_location() for hall in halls])
    assert merged[1].name == "Grote Zaal" and merged[1].address_lines == ["Lindeboomplein 1", "3512 LB Utrecht"]
    assert merged[1].phone == "030 012 3400"
    assert merged[2] == full
    assert merged[9].name == "Buitenpodium" and merged[9].address_lines == ["Park 2", "3512 AA Utrecht"]


def test_the_snapshot_asks_for_halls_hourly_and_keeps_their_addresses_when_they_fail(monkeypatch):
    from fakes import FakeVdm, venue

    fake = FakeVdm(venue(1))
    fake.locations = lambda: [Location(1, "Zaal 1", "", "", "", "", "", "")]
    answers = [[Hall(1, "Zaal 1", "Plein 1", "3511 AB", "Utrecht", "", "")], None]
    asked = []

    def halls():
        asked.append(1)
        return answers[len(asked) - 1]

    catalogue = Catalogue(lambda: fake, MemoryStore(), interval=10, concurrency=1, halls=halls)
    first = catalogue.refresh()
    assert first.locations[1].address_lines == ["Plein 1", "3511 AB Utrecht"]
    assert catalogue.refresh() and len(asked) == 1, "halls are asked for once an hour"
    monkeypatch.setattr("shop.infra.snapshot.SLOW_PARTS_SECONDS", 0)
    assert catalogue.refresh().locations[1].address_lines == ["Plein 1", "3511 AB Utrecht"]
    assert len(asked) == 2


# --- the box office ------------------------------------------------------------------------


def test_seat_plans_are_kept_a_few_seconds_and_a_failure_is_none(make_app, fake_upstream, keyed, caplog):
    fake_upstream.answer("GET", "peppered/seating/95", body=PLAN)
    fake_upstream.answer("GET", "peppered/seating/96", status=500, body=b"oops")
    app = make_app(vdm_client=keyed)
    office = app.extensions["box_office"]
    with app.app_context():
        assert office.seats_enabled
        assert office.seat_plan(95) == office.seat_plan(95) == keyed.seat_plan(95)
        assert fake_upstream.count("GET", "peppered/seating/95") == 2  # the box office's one, and the direct one
        assert office.seat_plan(96) is None and office.seat_plan(96) is None
        assert fake_upstream.count("GET", "peppered/seating/96") == 3  # one call, retried twice: then kept
        assert office.held_cart("nosuchcart") is None
    assert any("seating plan of performance 96" in r.getMessage() for r in caplog.records)


def test_without_a_key_seats_are_off_and_nothing_is_asked(make_app, fake_upstream):
    keyless = VdmClient(fake_upstream.url + "/v1", "demo", backoff=0)
    app = make_app(vdm_client=keyless)
    office = app.extensions["box_office"]
    with app.app_context():
        assert not office.seats_enabled
        assert office.seat_plan(95) is None and office.held_cart("abc") is None and office.halls() == []
    assert not [c for c in fake_upstream.calls if "/peppered/" in c[1]]


@pytest.fixture
def shop_log(caplog):
    """Every log line, the request log's (which does not propagate) included."""
    requests_log = logging.getLogger("shop.requests")
    requests_log.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield caplog
    requests_log.removeHandler(caplog.handler)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_turns_seats_off_once_for_the_whole_shop(make_app, fake_upstream, status, shop_log):
    from fakes import FakeVdm, venue

    fake_upstream.answer("GET", "peppered/seating/95", status=status, body={"message": f"bad key {KEY}"})
    fake_upstream.answer("POST", "peppered/cart/abc", status=status, body={"message": "no"})
    fake = FakeVdm(venue(1))  # the catalogue; the seat calls go over HTTP with the key
    keyed = VdmClient(fake_upstream.url + "/v1", "demo", backoff=0, api_key=KEY)
    for name in ("seat_plan", "held_cart", "add_items", "remove_item", "halls", "has_key"):
        setattr(fake, name, getattr(keyed, name))
    app = make_app(vdm_client=fake)
    office = app.extensions["box_office"]
    with app.app_context():
        assert office.seats_enabled
        assert office.seat_plan(95) is None
        assert not office.seats_enabled
        assert office.seat_plan(95) is None and office.held_cart("abc") is None
        with pytest.raises(KeyRefused):
            office.add_items("abc", [NewItem(DONATION, 0, amount=Decimal("5"))])
    assert fake_upstream.count("GET", "peppered/seating/95") == 1
    assert fake_upstream.count("POST", "peppered/cart/abc") == 0, "no more authenticated calls once refused"
    refusals = [r for r in shop_log.records if "VDM_API_KEY was refused" in r.getMessage()]
    assert len(refusals) == 1 and f"({status})" in refusals[0].getMessage()
    assert all(KEY not in r.getMessage() for r in shop_log.records)


def test_a_refused_key_through_the_shop_on_the_sandbox(make_app, keyed_sandbox, shop_log):
    wrong = "a-key-the-sandbox-does-not-know-0123456789"
    paths = record_paths(keyed_sandbox)
    app = make_app(keyed_sandbox.url, VDM_API_KEY=wrong)
    catalogue_ready(app)
    web = app.test_client()
    for _ in range(3):
        assert web.get(f"/performances/{DE_STORM_FIRST}").status_code == 200
        with app.app_context():
            app.extensions["box_office"].seat_plan(DE_STORM_FIRST)
    assert not app.extensions["box_office"].seats_enabled
    assert len([p for p in paths if "/peppered/" in p]) == 1, "the halls' call or the first plan's, and no more"
    refusals = [r for r in shop_log.records if "VDM_API_KEY was refused" in r.getMessage()]
    assert len(refusals) == 1
    assert any(r.name == "shop.requests" for r in shop_log.records), "the request log was looked at too"
    assert all(wrong not in r.getMessage() for r in shop_log.records)


def test_the_built_in_sandbox_shares_its_key_with_the_shop(make_app):
    app = make_app()
    office = app.extensions["box_office"]
    with app.app_context():
        assert office.seats_enabled
        assert office.seat_plan(DE_STORM_FIRST).numbered
        assert office.seat_plan(NACHTVLINDERS_FIRST) is None
    assert "VDM_API_KEY" in app.config and app.config["VDM_API_KEY"] == ""
    assert app.extensions["settings"].sandbox_settings.api_key not in repr(app.extensions["settings"])


def test_a_key_in_settings_is_kept_out_of_their_repr(make_app, keyed_sandbox):
    app = make_app(keyed_sandbox.url, VDM_API_KEY=f"  {KEY} ")
    settings = app.extensions["settings"]
    assert settings.vdm_api_key == KEY and KEY not in repr(settings)
    with app.app_context():
        assert app.extensions["box_office"].seat_plan(DE_STORM_FIRST).numbered


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value", [
    ("SHOP_DONATION", "yes"), ("SHOP_DONATION", "2"), ("SHOP_DONATION_MAX", "0.99"), ("SHOP_DONATION_MAX", "abc"),
    ("SHOP_DONATION_MAX", "10.005"), ("SHOP_DONATION_MAX", "Infinity"), ("VDM_API_KEY", "abc\u00e9def"),
])
def test_unusable_settings_stop_the_start(tmp_path, name, value):
    from shop.settings import ConfigError, Settings

    with pytest.raises(ConfigError, match=name) as refused:
        Settings.load({}, str(tmp_path), {name: value})
    assert name != "VDM_API_KEY" or "abc" not in str(refused.value)


def test_donation_settings(tmp_path):
    from shop.settings import Settings

    default, _ = Settings.load({}, str(tmp_path))
    assert (default.shop_donation, default.shop_donation_max, default.vdm_api_key) == (False, Decimal("500.00"), "")
    on, _ = Settings.load({"SHOP_DONATION": "1", "SHOP_DONATION_MAX": "250"}, str(tmp_path))
    assert (on.shop_donation, on.shop_donation_max) == (True, Decimal("250.00"))
    typed, _ = Settings.load({}, str(tmp_path), {"SHOP_DONATION": True, "SHOP_DONATION_MAX": 1})
    assert (typed.shop_donation, typed.shop_donation_max) == (True, Decimal("1.00"))
