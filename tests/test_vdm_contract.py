"""Contract tests of the VdM client, over real HTTP.

They run against the sandbox; with VDM_LIVE_CLIENT=<client name> they also run
against the real VdM API (cart tests make carts there; orders are only created
in the sandbox).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from demo import (
    AFTER_MIDNIGHT,
    CREDITCARD,
    DE_STORM,
    DE_STORM_FIRST,
    DE_STORM_MATINEE,
    FOYER,
    FOYER_STANDARD,
    GROTE_ZAAL,
    IDEAL,
    JAZZ,
    KLEINE_ZAAL,
    MESSIAH,
    MESSIAH_FIRST,
    MESSIAH_MATINEE,
    NOT_ON_SALE_YET,
    PAST,
    SOLD_OUT,
    STADSPAS,
    STANDARD,
    VIER_SEIZOENEN,
    ZWANENMEER,
    ZWANENMEER_FIRST,
    ZWANENMEER_SECOND,
)

from shop.vdm import (
    VENUE_TZ,
    BadResponse,
    Cart,
    CartNotFound,
    Customer,
    Event,
    Location,
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


def test_halls_and_genres_are_a_list_or_an_error_the_shop_can_live_without(api):
    # Undocumented endpoints (vdm-api.md): a list when VdM has them, else NotFound or BadResponse.
    for call in (api.locations, api.event_types):
        try:
            answer = call()
        except (NotFound, BadResponse):
            assert api.kind == "live", "the sandbox serves halls and genres"
            continue
        assert isinstance(answer, list)
        if call == api.locations:
            assert all(isinstance(hall, Location) and isinstance(hall.id, int) for hall in answer)
        else:
            assert all(isinstance(name, str) and name for name in answer)


# --- sandbox-only: these need the demo venue's known data, or create orders ------------


@pytest.fixture
def demo(vdm):
    return vdm


def test_sold_out_nosal_and_past_performances(demo):
    assert demo.performance(SOLD_OUT).free == 0 and not demo.performance(SOLD_OUT).on_sale()
    nosal = demo.performance(NOT_ON_SALE_YET)
    assert nosal.status == "nosal" and not nosal.on_sale()
    past = demo.performance(PAST)
    assert past.is_past() and not past.on_sale()
    assert demo.performance(DE_STORM_FIRST).on_sale()


def test_performance_ending_after_midnight(demo):
    late = demo.performance(AFTER_MIDNIGHT)
    assert late.ends_at.date() > late.starts_at.date()
    assert (late.ends_at - late.starts_at).total_seconds() == 2 * 3600 + 15 * 60


def test_every_discount_type(demo):
    prices = {t.name: (t.discount_type, t.price) for t in demo.ticket_types(DE_STORM_FIRST)}
    assert prices["Standaard"] == ("€", Decimal("24.50"))
    assert prices["Stadspas"] == ("%", Decimal("18.38"))
    assert prices["65+"] == ("€", Decimal("22.00"))
    student = {t.name: t for t in demo.ticket_types(MESSIAH_FIRST)}["Student"]
    assert (student.discount_type, student.price, student.has_discount) == ("=", Decimal("12.50"), True)


@pytest.mark.parametrize(
    "event_id, quantity, discount, error",
    [
        (DE_STORM_FIRST, 11, STANDARD, Rejected),  # over event_free
        (DE_STORM_FIRST, 1, "nosuchtype", Rejected),
        (NOT_ON_SALE_YET, 1, FOYER_STANDARD, Rejected),  # nosal
        (PAST, 1, FOYER_STANDARD, Rejected),  # past
        (SOLD_OUT, 1, STANDARD, Rejected),  # sold out
        (987654, 1, STANDARD, NotFound),
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
        demo.add_to_cart("nope", DE_STORM_FIRST, 1, STANDARD)


def test_order_create_and_status(demo):
    cart_id = demo.create_cart()
    demo.add_to_cart(cart_id, DE_STORM_FIRST, 2, STADSPAS)
    customer = Customer(email="a@example.org", firstname="Ann", lastname="Smit", avg_optin=True)
    created = demo.create_order(cart_id, CREDITCARD, "http://shop.example/return", customer)
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


# --- halls and genres (undocumented endpoints, served by the sandbox) --------------------


def test_locations_are_the_halls_of_the_performances_with_addresses(demo):
    halls = {hall.id: hall for hall in demo.locations()}
    assert sorted(halls) == [GROTE_ZAAL, KLEINE_ZAAL, FOYER]
    assert halls[GROTE_ZAAL].address_lines == ["Lindeboomplein 1", "3512 LB Utrecht"]
    assert halls[KLEINE_ZAAL].address_lines == ["Achter de Linde 14", "Ingang via het binnenplein", "3512 LD Utrecht"]
    assert all(h.country == "NL" and h.phone and h.zip and h.city for h in halls.values())
    for event in demo.events():
        for p in event.performances:
            assert halls[p.location_id].name == p.location_name


def test_event_types_are_the_genres_of_the_venue(demo):
    assert demo.event_types() == ["Toneel", "Cabaret", "Muziek", "Dans", "Jeugd"]


def test_every_event_and_performance_has_its_genres(demo):
    genres = set(demo.event_types())
    for event in demo.events():
        assert event.genres and set(event.genres) <= genres
        assert all(p.genres == event.genres for p in event.performances)
    assert demo.event(ZWANENMEER).genres == ("Dans", "Jeugd")
    assert demo.performance(ZWANENMEER_FIRST).genres == ("Dans", "Jeugd")  # a sub event alone has them too
    assert all(e.genres for e in demo.upcoming_events())


def test_events_of_a_type(demo):
    assert sorted(e.id for e in demo.events_of_type("Muziek")) == [MESSIAH, JAZZ, VIER_SEIZOENEN]
    [youth] = demo.events_of_type("Jeugd")
    assert youth.id == ZWANENMEER and [p.id for p in youth.performances] == [ZWANENMEER_FIRST, ZWANENMEER_SECOND]
    assert all("Cabaret" in e.genres for e in demo.events_of_type("Cabaret"))
    # Every show is in the list of each of its genres.
    every = {e.id for name in demo.event_types() for e in demo.events_of_type(name)}
    assert every == {e.id for e in demo.events()}


def test_events_of_an_unknown_type_are_none(demo):
    assert demo.events_of_type("Poppenkast") == []  # the sandbox's assumption: an empty list
    assert demo.events_of_type("muziek") == []  # names are matched exactly


def test_genres_of_one_performance_only(start_sandbox, demo_catalogue):
    # The catalogue may give a performance genres of its own; VdM puts `event_type` on sub events.
    demo_catalogue["events"][2]["sub_events"][1]["event_type"] = ["Muziek", "Jeugd"]  # MESSIAH_MATINEE: a family matinee
    vdm = VdmClient(start_sandbox(demo_catalogue).url + "/v1", "demo", backoff=0)
    messiah = vdm.event(MESSIAH)
    assert messiah.genres == ("Muziek", "Jeugd")  # the show's and its performances' together
    assert [p.genres for p in messiah.performances] == [("Muziek",), ("Muziek", "Jeugd")]
    youth = {e.id: [p.id for p in e.performances] for e in vdm.events_of_type("Jeugd")}
    assert youth == {MESSIAH: [MESSIAH_MATINEE], ZWANENMEER: [ZWANENMEER_FIRST, ZWANENMEER_SECOND]}  # of the concert, only the matinee


def test_halls_without_an_address(start_sandbox, demo_catalogue):
    demo_catalogue["locations"] = [{"location_id": 1, "location_name": "Grote Zaal", "capacity": 240},
                                   {"location_id": 2, "location_name": "Kleine Zaal"},
                                   {"location_id": 3, "location_name": "Foyer", "location_city": "Utrecht"}]
    server = start_sandbox(demo_catalogue)
    halls = VdmClient(server.url + "/v1", "demo", backoff=0).locations()
    assert [(h.id, h.address_lines) for h in halls] == [(1, []), (2, []), (3, ["Utrecht"])]
    raw = requests.get(server.url + "/v1/demo/locations", timeout=5).json()
    assert raw[0]["location_address"] is None and raw[0]["location_phone"] is None


# --- the sandbox's raw answers keep VdM's quirks ----------------------------------------


def test_raw_quirks(sandbox):
    base = sandbox.url + "/v1/demo/"
    event = requests.get(base + f"events/{DE_STORM}", timeout=5).json()
    assert isinstance(event, list) and event[0]["sub_events"][0]["event_date"].count("-") == 2
    assert len(event[0]["sub_events"][0]["event_date"].split("-")[0]) == 4  # YYYY-MM-DD

    created = requests.post(base + "cart/", timeout=5)
    assert created.status_code == 201 and created.headers["Location"].endswith(created.json()["cart_id"])
    cart_id = created.json()["cart_id"]
    assert requests.get(base + f"cart/{cart_id}", timeout=5).json() == [{"cart": 0}]

    # Form-encoded bodies are accepted as well as JSON.
    cart = requests.post(base + f"cart/{cart_id}", data={"event_id": str(DE_STORM_FIRST), "numberoftickets": "1",
                                                         "discount_id": STANDARD}, timeout=5).json()
    assert cart[-1] == {"totalprice": "24.50"}
    assert len(cart[0]["event_date"].split("-")[2]) == 4  # DD-MM-YYYY
    assert len(cart[0]["event_time"]) == 5  # HH:MM

    order = requests.post(base + "order/create", json={
        "cart_id": cart_id, "payment_id": IDEAL, "redirectURL": "https://shop.example/r", "email": "a@example.org",
        "firstname": "A", "lastname": "B", "avg_optin": False, "avg_mailinglist": False}, timeout=5)
    assert order.status_code == 200 and isinstance(order.json(), list) and set(order.json()[0]) == {"url", "order_key"}

    missing = requests.get(base + "events/424242", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"message": "Event not found"}
    nowhere = requests.get(base + "no/such/endpoint", timeout=5)
    assert nowhere.status_code == 404 and "message" in nowhere.json()


HALL_FIELDS = {"location_id", "location_name", "location_address", "location_address1", "location_zip",
               "location_city", "location_country", "location_phone"}


def test_raw_halls_and_genres(sandbox):
    base = sandbox.url + "/v1/demo/"
    halls = requests.get(base + "locations", timeout=5).json()
    assert isinstance(halls, list) and [set(h) for h in halls] == [HALL_FIELDS] * 3
    assert all(isinstance(h["location_id"], int) for h in halls)
    assert all(v is None or isinstance(v, str) for h in halls for k, v in h.items() if k != "location_id")
    one = requests.get(base + f"locations/{KLEINE_ZAAL}", timeout=5)
    assert one.status_code == 200 and one.json() == [halls[1]]  # one hall, in a list
    for unknown in ("99", "abc"):
        missing = requests.get(base + f"locations/{unknown}", timeout=5)
        assert missing.status_code == 404 and missing.json() == {"message": "Location not found"}

    types = requests.get(base + "eventtypes", timeout=5).json()
    assert types[0] == {"eventtype_name": "Toneel"} and all(set(t) == {"eventtype_name"} for t in types)
    youth = requests.get(base + "eventtypes/Jeugd", timeout=5).json()
    assert [e["event_id"] for e in youth] == [ZWANENMEER]
    assert set(youth[0]) == set(requests.get(base + f"events/{ZWANENMEER}", timeout=5).json()[0])  # the shape of events
    unknown = requests.get(base + "eventtypes/Onbekend", timeout=5)
    assert unknown.status_code == 200 and unknown.json() == []


@pytest.mark.parametrize("path", ["events", "events/upcoming", f"events/{ZWANENMEER}", "eventtypes/Dans"])
def test_raw_event_type_on_main_and_sub_events(sandbox, path):
    events = requests.get(sandbox.url + "/v1/demo/" + path, timeout=5).json()
    assert events
    for event in events:
        assert isinstance(event["event_type"], list) and event["event_type"]
        for sub in event["sub_events"]:
            assert sub["event_type"] == event["event_type"]


def test_raw_event_type_on_a_sub_event_alone(sandbox):
    [sub] = requests.get(sandbox.url + f"/v1/demo/events/{ZWANENMEER_FIRST}", timeout=5).json()
    assert sub["event_rep"] == "sub" and sub["event_type"] == ["Dans", "Jeugd"]


def test_raw_view_end_as_the_catalogue_sets_it(start_sandbox, demo_catalogue):
    # `event_view_end` is "0000-00-00 00:00:00" when unused (vdm-api.md); a catalogue may set it.
    demo_catalogue["events"][0]["sub_events"][0]["event_view_end"] = "2031-06-01 23:30:00"
    demo_catalogue["events"][0]["sub_events"][1]["view_end_days_from_today"] = 11
    server = start_sandbox(demo_catalogue)
    base = server.url + "/v1/demo/"
    today = datetime.now(VENUE_TZ).date()
    expected = {DE_STORM_FIRST: "2031-06-01 23:30:00", SOLD_OUT: f"{today + timedelta(days=11)} 00:00:00",
                DE_STORM_MATINEE: "0000-00-00 00:00:00"}
    for path in ("events", "events/upcoming", f"events/{DE_STORM}", "eventtypes/Toneel"):
        [storm] = [e for e in requests.get(base + path, timeout=5).json() if e["event_id"] == DE_STORM]
        assert {s["event_id"]: s["event_view_end"] for s in storm["sub_events"]} == expected
    assert requests.get(base + f"events/{DE_STORM_FIRST}", timeout=5).json()[0]["event_view_end"] == expected[DE_STORM_FIRST]
    vdm = VdmClient(server.url + "/v1", "demo", backoff=0)
    assert vdm.performance(DE_STORM_FIRST).view_end == datetime(2031, 6, 1, 23, 30, tzinfo=VENUE_TZ)
    assert vdm.performance(DE_STORM_MATINEE).view_end is None
