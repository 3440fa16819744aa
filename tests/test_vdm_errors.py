"""The client against a misbehaving upstream: every failure is one of its own errors,
GET is retried and POST order/create never is."""

from __future__ import annotations

import socket
import time

import pytest

from shop.vdm import (
    BadResponse,
    CartNotFound,
    ConnectFailed,
    Customer,
    NotFound,
    Rejected,
    UpstreamTimeout,
    UpstreamUnavailable,
    VdmClient,
    VdmError,
)

CUSTOMER = Customer(email="a@example.org", firstname="A", lastname="B")


def test_get_is_retried_on_5xx(fake_upstream, fake_client):
    fake_upstream.answer("GET", "events", status=503, body={"message": "busy"})
    with pytest.raises(UpstreamUnavailable):
        fake_client.events()
    assert fake_upstream.count("GET", "events") == 3  # one try and two retries


def test_get_retry_can_succeed(fake_upstream, fake_client):
    calls = {"n": 0}
    original = fake_upstream.wsgi

    def flaky(environ, start_response):
        calls["n"] += 1
        if calls["n"] == 1:
            start_response("502 Bad Gateway", [("Content-Type", "text/html")])
            return [b"<html>bad gateway</html>"]
        return original(environ, start_response)

    fake_upstream.server.app = flaky
    fake_upstream.answer("GET", "paymentmethods", body=[{"payment_id": 1, "payment_desc": "iDEAL", "payment_cost": "0.00"}])
    assert [m.id for m in fake_client.payment_methods()] == [1]
    assert calls["n"] == 2


def test_order_create_is_never_retried_on_5xx(fake_upstream, fake_client):
    fake_upstream.answer("POST", "order/create", status=503)
    with pytest.raises(UpstreamUnavailable):
        fake_client.create_order("cart", 33, "https://shop.example/r", CUSTOMER)
    assert fake_upstream.count("POST", "order/create") == 1


def test_order_create_time_out_is_reported_as_such(fake_upstream, fake_client):
    fake_upstream.answer("POST", "order/create", body=[{"url": "https://pay", "order_key": "k"}], delay=1.5)
    with pytest.raises(UpstreamTimeout):
        fake_client.create_order("cart", 33, "https://shop.example/r", CUSTOMER)
    assert fake_upstream.count("POST", "order/create") == 1


def test_get_time_out_is_not_retried(fake_upstream, fake_client):
    fake_upstream.answer("GET", "events", body=[], delay=1)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        fake_client.events()
    assert fake_upstream.count("GET", "events") == 1
    assert time.monotonic() - started < 1  # the read time-out (0.5 s) bounds the wait


def test_trickling_answer_times_out(fake_upstream, fake_client):
    # Every chunk comes within the read time-out, but the whole answer does not.
    fake_upstream.answer("GET", "paymentmethods", body=b"[" + b" " * 200 + b"]", trickle=0.02)
    with pytest.raises(UpstreamTimeout):
        fake_client.payment_methods()


def test_huge_answer_is_refused(fake_upstream, fake_client):
    fake_upstream.answer("GET", "paymentmethods", body=b"[" + b" " * (6 * 1024 * 1024) + b"]")
    with pytest.raises(BadResponse):
        fake_client.payment_methods()


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = VdmClient(f"http://127.0.0.1:{port}/v1", "demo", retries=1, backoff=0)
    with pytest.raises(ConnectFailed):
        client.events()
    with pytest.raises(ConnectFailed):  # certainly not sent: safe to say no order was made
        client.create_order("cart", 33, "https://shop.example/r", CUSTOMER)


def test_html_error_page_keeps_its_status(fake_upstream, fake_client):
    fake_upstream.answer("GET", "order/abc", status=404, body=b"<html>nope</html>", content_type="text/html")
    with pytest.raises(NotFound):
        fake_client.order_status("abc")


def test_rejected_with_message(fake_upstream, fake_client):
    fake_upstream.answer("POST", "cart/c1", status=400, body={"message": "Not enough tickets"})
    with pytest.raises(Rejected) as caught:
        fake_client.add_to_cart("c1", 101, 5, "x")
    assert caught.value.message == "Not enough tickets"


def test_error_object_on_get_cart_means_cart_gone(fake_upstream, fake_client):
    fake_upstream.answer("GET", "cart/c1", body={"message": "cart expired"})
    with pytest.raises(CartNotFound):
        fake_client.cart("c1")


def test_ids_in_paths_are_quoted(fake_upstream, fake_client):
    with pytest.raises(NotFound):
        fake_client.order_status("../events?x=1#y")
    raw = fake_upstream.raw_paths[-1]
    assert raw.startswith("/v1/demo/order/..%2Fevents%3F") and "?" not in raw and "#" not in raw
    assert fake_upstream.calls[-1] == ("GET", "/v1/demo/order/../events?x=1#y")  # one path segment


GOOD_SUB = {"event_id": 2, "event_date": "2027-01-01", "event_time": "20:00:00", "event_status": "pub", "event_free": 3}
MALFORMED = [
    ("GET", "events", "events", b"not json"),
    ("GET", "events", "events", {"message": "oops"}),
    ("GET", "events", "events", {"events": []}),
    ("GET", "events", "events", [1, 2]),
    ("GET", "events", "events", [{"event_name": "no id", "sub_events": []}]),
    ("GET", "events", "events", [{"event_id": 1, "sub_events": [{**GOOD_SUB, "event_date": "tomorrow"}]}]),
    ("GET", "events", "events", [{"event_id": 1, "sub_events": [{**GOOD_SUB, "event_time": None}]}]),
    ("GET", "events", "events", [{"event_id": 1, "sub_events": {"a": 1}}]),
    ("GET", "events", "events", [{"event_id": "x", "sub_events": []}]),
    ("GET", "events", "events", b"[" * 5000 + b"]" * 5000),
    ("GET", "events/upcoming", "upcoming_events", None),
    ("GET", "tickettypes/5", "ticket_types", [{"discount_id": "a", "discounted_price": "cheap"}]),
    ("GET", "tickettypes/5", "ticket_types", [{"discount_id": "a", "discounted_price": "-3.00"}]),
    ("GET", "tickettypes/5", "ticket_types", [{"discount_id": "a", "discounted_price": "NaN"}]),
    ("GET", "tickettypes/5", "ticket_types", [{"discounted_price": "3.00"}]),
    ("GET", "tickettypes/5", "ticket_types", [{"discount_id": "a", "discounted_price": True}]),
    ("GET", "paymentmethods", "payment_methods", [{"payment_desc": "iDEAL"}]),
    ("GET", "paymentmethods", "payment_methods", "iDEAL"),
    ("GET", "cart/c", "cart", [{"seat_id": "s"}, {"totalprice": "1.00"}]),
    ("GET", "cart/c", "cart", [{"seat_id": "s", "event_id": 1, "event_date": "01-04-2026", "event_time": "20:30",
                                "seat_price": "1.00"}]),
    ("GET", "cart/c", "cart", [{"something": "else"}]),
    ("GET", "cart/c", "cart", [{"totalprice": {"amount": 1}}]),
    ("GET", "cart/c", "cart", {"cart": 0}),
    ("GET", "cart/c", "cart", 12),
    ("POST", "cart/", "create_cart", {"id": "x"}),
    ("POST", "cart/", "create_cart", []),
    ("POST", "order/create", "create_order", []),
    ("POST", "order/create", "create_order", [{"url": "https://pay"}]),
    ("POST", "order/create", "create_order", [{"url": "a", "order_key": "b"}, {"url": "c", "order_key": "d"}]),
    ("POST", "order/create", "create_order", "ok"),
    ("GET", "order/k", "order_status", {"order_tickets_nr": 1}),
    ("GET", "order/k", "order_status", {"order_payment_status": "paid", "seats": "many"}),
    ("GET", "order/k", "order_status", {"order_payment_status": "paid", "order_tickets_nr": "lots"}),
    ("GET", "order/k", "order_status", [1]),
]
CALLS = {
    "events": lambda c: c.events(),
    "upcoming_events": lambda c: c.upcoming_events(),
    "ticket_types": lambda c: c.ticket_types(5),
    "payment_methods": lambda c: c.payment_methods(),
    "cart": lambda c: c.cart("c"),
    "create_cart": lambda c: c.create_cart(),
    "create_order": lambda c: c.create_order("c", 1, "https://shop.example/r", CUSTOMER),
    "order_status": lambda c: c.order_status("k"),
}


@pytest.mark.parametrize("method, path, call, body", MALFORMED)
def test_malformed_answers_raise_bad_response(fake_upstream, fake_client, method, path, call, body):
    fake_upstream.answer(method, path, body=b"" if body is None else body)
    with pytest.raises(BadResponse):
        CALLS[call](fake_client)


@pytest.mark.parametrize("status", [301, 302, 418, 500, 501])
def test_odd_statuses_are_client_errors(fake_upstream, fake_client, status):
    fake_upstream.answer("GET", "events", status=status, body=b"")
    with pytest.raises(VdmError):
        fake_client.events()


def test_tolerant_of_extra_and_missing_optional_fields(fake_upstream, fake_client):
    fake_upstream.answer("GET", "events", body=[{
        "event_id": 1, "brand_new_field": {"x": 1}, "event_image": None,
        "sub_events": [{"event_id": 2, "event_date": "2099-05-01", "event_time": "20:00", "event_free": "4",
                        "event_status": "PUB", "event_end": None, "event_view_end": "2099-05-02 00:00:00"}],
    }])
    [event] = fake_client.events()
    assert event.name == "" and event.image is None
    [p] = event.performances
    assert p.on_sale() and p.free == 4 and p.ends_at is None and p.view_end.year == 2099


@pytest.mark.parametrize("body, error", [
    ({"message": "Seat not found"}, NotFound),
    ({"message": "Cart not found"}, CartNotFound),
    (b"", CartNotFound),
])
def test_a_404_on_a_seat_is_told_from_a_gone_cart(fake_upstream, fake_client, body, error):
    fake_upstream.answer("DELETE", "cart/c1/s1", status=404, body=body)
    with pytest.raises(NotFound) as caught:
        fake_client.remove_seat("c1", "s1")
    assert type(caught.value) is error


def test_lone_surrogates_are_replaced(fake_upstream, fake_client):
    fake_upstream.answer("GET", "paymentmethods", body=b'[{"payment_id": 1, "payment_desc": "iD\\ud800EAL"}]')
    [method] = fake_client.payment_methods()
    assert method.description.encode("utf-8") == b"iD?EAL"


@pytest.mark.parametrize("bad", ["--5", "²", "٣", "1" * 40, " 7x"])
def test_odd_numbers_are_bad_responses(fake_upstream, fake_client, bad):
    fake_upstream.answer("GET", "paymentmethods", body=[{"payment_id": bad, "payment_desc": "iDEAL"}])
    with pytest.raises(BadResponse):
        fake_client.payment_methods()


def test_the_last_day_of_the_calendar_ending_after_midnight(fake_upstream, fake_client):
    fake_upstream.answer("GET", "events", body=[{"event_id": 1, "sub_events": [
        {"event_id": 2, "event_date": "9999-12-31", "event_time": "22:00:00", "event_end": "01:00:00"}]}])
    [event] = fake_client.events()
    assert event.performances[0].ends_at is None


def test_a_long_trickle_is_cut_at_the_read_time_out(fake_upstream, fake_client):
    # 100 KB in 4-byte pieces: each piece is quick, the whole would take minutes.
    fake_upstream.answer("GET", "events", body=b"[" + b" " * 100_000 + b"]", trickle=0.002)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        fake_client.events()
    assert time.monotonic() - started < 2


def test_redirects_are_not_followed(fake_upstream, fake_client):
    fake_upstream.routes[("POST", "/v1/demo/order/create")] = (302, b"", 0, "text/html", 0)
    with pytest.raises(VdmError):
        fake_client.create_order("cart", 33, "https://shop.example/r", CUSTOMER)
    assert [c for c in fake_upstream.calls if c[0] == "GET"] == []


def test_garbage_is_not_fetched_again(fake_upstream, fake_client):
    fake_upstream.answer("GET", "events", body=b"<html>not json</html>")
    with pytest.raises(BadResponse):
        fake_client.events()
    assert fake_upstream.count("GET", "events") == 1


# --- halls and genres: undocumented endpoints that may be missing or answer anything -------

OPTIONAL = {
    "locations": lambda c: c.locations(),
    "eventtypes": lambda c: c.event_types(),
    "eventtypes/Toneel": lambda c: c.events_of_type("Toneel"),
}


@pytest.mark.parametrize("path", OPTIONAL)
@pytest.mark.parametrize("body", [{"message": "Not found"}, b"", b"<html>Not Found</html>"])
def test_missing_halls_and_genres_are_not_found(fake_upstream, fake_client, path, body):
    fake_upstream.answer("GET", path, status=404, body=body)
    with pytest.raises(NotFound):
        OPTIONAL[path](fake_client)
    assert fake_upstream.count("GET", path) == 1  # a 404 is not retried


@pytest.mark.parametrize("path", OPTIONAL)
@pytest.mark.parametrize("body", [
    {"message": "Unknown endpoint"},  # an error object with 200
    b"<html>not json</html>",
    b"",
    {"locations": []},
    "Toneel",
    42,
])
def test_halls_and_genres_as_garbage_are_bad_responses(fake_upstream, fake_client, path, body):
    fake_upstream.answer("GET", path, body=body)
    with pytest.raises(BadResponse) as caught:
        OPTIONAL[path](fake_client)
    assert isinstance(caught.value, VdmError)


def test_junk_hall_items_are_skipped(fake_upstream, fake_client):
    fake_upstream.answer("GET", "locations", body=[
        1, "Grote Zaal", None, [], {"location_name": "no id"}, {"location_id": None, "location_name": "null id"},
        {"message": "error inside the list"},
        {"location_id": "7", "location_name": " Kleine Zaal ", "location_address": "Kade 1", "location_zip": 1234,
         "location_city": None, "location_phone": {"x": 1}, "unknown": True},
    ])
    [hall] = fake_client.locations()
    assert (hall.id, hall.name, hall.address, hall.zip, hall.city, hall.phone) == (7, "Kleine Zaal", "Kade 1", "1234", "", "")
    assert hall.address_lines == ["Kade 1", "1234"]


def test_junk_genre_items_are_skipped(fake_upstream, fake_client):
    fake_upstream.answer("GET", "eventtypes", body=[
        {"eventtype_name": "Toneel"}, "Dans", None, {"name": "Opera"}, {"eventtype_name": None},
        {"eventtype_name": ""}, {"eventtype_name": "   "}, {"eventtype_name": ["Jeugd"]},
        {"eventtype_name": " Cabaret "}, {"eventtype_name": "Toneel"},
    ])
    assert fake_client.event_types() == ["Toneel", "Cabaret"]


def test_junk_event_items_of_a_genre_are_skipped(fake_upstream, fake_client):
    fake_upstream.answer("GET", "eventtypes/Toneel", body=[
        {"message": "oops"}, 3, {"event_name": "no id"},
        {"event_id": 1, "event_type": ["Toneel"], "sub_events": [GOOD_SUB]},
    ])
    [event] = fake_client.events_of_type("Toneel")
    assert event.id == 1 and event.genres == ("Toneel",)


def test_an_unusable_event_of_a_genre_is_a_bad_response(fake_upstream, fake_client):
    # Junk without an id is skipped; an event with an id but broken performances is not.
    fake_upstream.answer("GET", "eventtypes/Toneel", body=[{"event_id": 1, "sub_events": [{**GOOD_SUB, "event_date": "x"}]}])
    with pytest.raises(BadResponse):
        fake_client.events_of_type("Toneel")


@pytest.mark.parametrize("name, raw", [
    ("Jazz & Blues", "/v1/demo/eventtypes/Jazz%20%26%20Blues"),
    ("Muziek/Theater", "/v1/demo/eventtypes/Muziek%2FTheater"),
    ("Één?#", "/v1/demo/eventtypes/%C3%89%C3%A9n%3F%23"),
])
def test_genre_names_are_quoted_in_the_path(fake_upstream, fake_client, name, raw):
    # WSGI gives the decoded path as latin-1 characters of the UTF-8 bytes.
    fake_upstream.answer("GET", f"eventtypes/{name}".encode().decode("latin-1"), body=[])
    assert fake_client.events_of_type(name) == []
    assert fake_upstream.raw_paths[-1] == raw


@pytest.mark.parametrize("main, sub, genres", [
    (["Toneel"], None, ("Toneel",)),
    (None, None, ()),
    ("Toneel", None, ()),  # not a list
    ({"Toneel": 1}, None, ()),
    ([1, None, "", "  ", "Dans", "Dans", ["x"]], None, ("Dans",)),
    (["Toneel"], ["Toneel", "Jeugd"], ("Toneel", "Jeugd")),  # the show's and its performances'
    ([], ["Jeugd"], ("Jeugd",)),
])
def test_genres_on_events_are_read_leniently(fake_upstream, fake_client, main, sub, genres):
    event = {"event_id": 1, "sub_events": [{**GOOD_SUB, "event_id": 2}, {**GOOD_SUB, "event_id": 3}]}
    if main is not None:
        event["event_type"] = main
    if sub is not None:
        event["sub_events"][1]["event_type"] = sub
    fake_upstream.answer("GET", "events", body=[event])
    [parsed] = fake_client.events()
    assert parsed.genres == genres
    assert parsed.performance(2).genres == ()
