"""The sandbox: real stock, concurrency, persistence, the payment page and its pages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
from demo import (
    CREDITCARD,
    DE_STORM,
    DE_STORM_FIRST,
    IDEAL,
    JAZZ,
    JAZZ_ON_SALE,
    NOT_ON_SALE_YET,
    PAST,
    SOLD_OUT,
    STANDARD,
    UNPUBLISHED,
    VIER_SEIZOENEN,
)
from helpers import CANCEL, PARTIAL, PAY, PENDING, Clock, csrf_token

from shop.vdm import CartNotFound, Customer, Rejected, VdmClient

CHOICES = (PAY, PENDING, CANCEL, PARTIAL)
CUSTOMER = Customer(email="buyer@example.org", firstname="Bo", lastname="Buyer")


def small_hall(demo_catalogue, capacity=10, max_per_order=10):
    """The demo venue with DE_STORM_FIRST in a hall of `capacity` seats."""
    sub = demo_catalogue["events"][0]["sub_events"][0]
    sub.update(capacity=capacity, max_per_order=max_per_order)
    return demo_catalogue


def client_for(server, **kwargs) -> VdmClient:
    return VdmClient(server.url + "/v1", "demo", backoff=0, **kwargs)


def order(vdm, quantity=2, redirect="http://shop.example/return?lang=en"):
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, quantity, STANDARD)
    return vdm.create_order(cart_id, CREDITCARD, redirect, CUSTOMER)


def test_stock_follows_carts_and_orders(start_sandbox, demo_catalogue):
    vdm = client_for(start_sandbox(small_hall(demo_catalogue, capacity=10)))
    assert vdm.performance(DE_STORM_FIRST).free == 10
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 4, STANDARD)
    assert vdm.performance(DE_STORM_FIRST).free == 6  # carts hold seats

    created = vdm.create_order(cart_id, IDEAL, "https://shop.example/r", CUSTOMER)
    assert vdm.performance(DE_STORM_FIRST).free == 6  # a new order keeps them

    other = vdm.create_cart()
    vdm.add_to_cart(other, DE_STORM_FIRST, 6, STANDARD)
    assert vdm.performance(DE_STORM_FIRST).free == 0 and not vdm.performance(DE_STORM_FIRST).on_sale()
    with pytest.raises(Rejected):
        vdm.add_to_cart(vdm.create_cart(), DE_STORM_FIRST, 1, STANDARD)

    _choose(vdm, created.url, CANCEL)  # a cancelled order releases its seats
    assert vdm.performance(DE_STORM_FIRST).free == 4


def test_event_free_is_capped_per_order(start_sandbox, demo_catalogue):
    vdm = client_for(start_sandbox(small_hall(demo_catalogue, capacity=50, max_per_order=6)))
    assert vdm.performance(DE_STORM_FIRST).free == 6
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 4, STANDARD)
    with pytest.raises(Rejected, match="At most 6"):
        vdm.add_to_cart(cart_id, DE_STORM_FIRST, 3, STANDARD)
    assert vdm.cart(cart_id).count == 4


def test_expired_cart_is_gone_and_releases_its_seats(start_sandbox, demo_catalogue):
    clock = Clock()
    vdm = client_for(start_sandbox(small_hall(demo_catalogue, capacity=5), clock=clock))  # carts live 30 minutes
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 5, STANDARD)
    clock.advance(29 * 60)
    assert vdm.performance(DE_STORM_FIRST).free == 0 and vdm.cart(cart_id).count == 5
    clock.advance(61)
    assert vdm.performance(DE_STORM_FIRST).free == 5
    with pytest.raises(CartNotFound):
        vdm.cart(cart_id)


def test_a_change_keeps_a_cart_alive(start_sandbox, demo_catalogue):
    clock = Clock()
    vdm = client_for(start_sandbox(small_hall(demo_catalogue, capacity=5), clock=clock))
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 1, STANDARD)
    clock.advance(20 * 60)
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 1, STANDARD)  # 30 minutes from now, not from the first seat
    clock.advance(20 * 60)
    assert vdm.cart(cart_id).count == 2 and vdm.performance(DE_STORM_FIRST).free == 3
    clock.advance(10 * 60 + 1)
    assert vdm.performance(DE_STORM_FIRST).free == 5


def test_the_clock_also_says_which_performances_have_started(start_sandbox):
    clock = Clock()
    vdm = client_for(start_sandbox(clock=clock))
    assert vdm.performance(DE_STORM_FIRST).on_sale()  # nine days away, at 20:15
    clock.advance(10 * 24 * 3600)
    assert vdm.performance(DE_STORM_FIRST).free == 0
    assert DE_STORM_FIRST not in [p.id for e in vdm.upcoming_events() for p in e.performances]
    with pytest.raises(Rejected, match="not for sale"):
        vdm.add_to_cart(vdm.create_cart(), DE_STORM_FIRST, 1, STANDARD)


def test_parallel_adds_never_oversell(start_sandbox, demo_catalogue):
    server = start_sandbox(small_hall(demo_catalogue, capacity=10))
    vdm = client_for(server)
    carts = [vdm.create_cart() for _ in range(30)]

    def buy(cart_id):
        try:
            vdm.add_to_cart(cart_id, DE_STORM_FIRST, 1, STANDARD)
            return 1
        except Rejected:
            return 0

    with ThreadPoolExecutor(max_workers=15) as pool:
        sold = sum(pool.map(buy, carts))
    assert sold == 10
    assert vdm.performance(DE_STORM_FIRST).free == 0
    assert sum(vdm.cart(c).count for c in carts) == 10


def test_state_survives_a_restart(start_sandbox, tmp_path):
    first = start_sandbox()
    vdm = client_for(first)
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 2, STANDARD)
    first.stop()
    second = start_sandbox()  # same database file, new process state
    assert client_for(second).cart(cart_id).count == 2


def _pay_page(url: str) -> tuple[requests.Session, str, str]:
    session = requests.Session()
    page = session.get(url, timeout=5)
    assert page.status_code == 200
    return session, page.text, csrf_token(page.text)


def _choose(vdm, url: str, choice: str) -> requests.Response:
    session, _, token = _pay_page(url)
    return session.post(url, data={"csrf_token": token, choice: "x"}, allow_redirects=False, timeout=5)


@pytest.mark.parametrize("choice, status", [(PAY, "paid"), (PENDING, "pending"), (CANCEL, "cancelled"),
                                            (PARTIAL, "partial")])
def test_payment_page_choices(vdm, choice, status):
    created = order(vdm)
    _, text, _ = _pay_page(created.url)
    assert "€ 50.50" in text  # 2 × 24.50 plus 1.50 for the credit card
    answer = _choose(vdm, created.url, choice)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"http://shop.example/return?lang=en&return={created.order_key}"
    assert vdm.order_status(created.order_key).status == status


def test_payment_page_refuses_without_csrf(vdm):
    created = order(vdm)
    answer = requests.post(created.url, data={PAY: "x"}, allow_redirects=False, timeout=5)
    assert answer.status_code == 400
    assert vdm.order_status(created.order_key).status == "none"


def test_pending_becomes_paid_after_the_delay(start_sandbox):
    clock = Clock()
    vdm = client_for(start_sandbox(SANDBOX_PENDING_SECONDS=45, clock=clock))
    created = order(vdm)
    _choose(vdm, created.url, PENDING)
    assert vdm.order_status(created.order_key).status == "pending"
    clock.advance(44)
    assert vdm.order_status(created.order_key).status == "pending"
    clock.advance(1)
    assert vdm.order_status(created.order_key).status == "paid"


def test_a_settled_order_cannot_be_paid_again(vdm):
    created = order(vdm)
    session, _, token = _pay_page(created.url)
    cancel = session.post(created.url, data={"csrf_token": token, CANCEL: "x"}, allow_redirects=False, timeout=5)
    assert cancel.status_code == 303
    assert "cannot be paid again" in requests.get(created.url, timeout=5).text
    # The same form sent again (a second click, the back button): back to the shop, nothing changes.
    again = session.post(created.url, data={"csrf_token": token, PAY: "x"}, allow_redirects=False, timeout=5)
    assert again.status_code == 303 and again.headers["Location"].endswith("return=" + created.order_key)
    assert vdm.order_status(created.order_key).status == "cancelled"


def test_a_payment_form_settles_only_the_order_of_its_page(vdm):
    mine, theirs = order(vdm), order(vdm)
    session, _, token = _pay_page(mine.url)  # a valid CSRF token, from the page of another order
    for choice in CHOICES:
        forged = session.post(theirs.url, data={"csrf_token": token, choice: "x"}, allow_redirects=False, timeout=5)
        assert forged.status_code == 403
    assert vdm.order_status(theirs.order_key).status == "none"
    # The right page still works: in this session for its own order, and for the other order
    # once its page has been opened.
    assert _choose(vdm, theirs.url, PAY).status_code == 303
    assert session.post(mine.url, data={"csrf_token": token, CANCEL: "x"}, allow_redirects=False,
                        timeout=5).status_code == 303
    assert [vdm.order_status(o.order_key).status for o in (mine, theirs)] == ["cancelled", "paid"]


def test_ticket_and_receipt_pages(vdm):
    created = order(vdm)
    status = vdm.order_status(created.order_key)
    assert "issued once it is paid" in requests.get(status.tickets_url, timeout=5).text
    _choose(vdm, created.url, PAY)
    status = vdm.order_status(created.order_key)
    tickets = requests.get(status.tickets_url, timeout=5)
    assert tickets.status_code == 200 and tickets.text.count('class="ticket"') == 2 and "De Storm" in tickets.text
    receipt = requests.get(status.receipt_url, timeout=5)
    assert receipt.status_code == 200 and "€ 50.50" in receipt.text and "paid" in receipt.text
    assert requests.get(status.tickets_url.replace(created.order_key, "XXXXX-XXXXX-XXXXX-XXXXX"),
                        timeout=5).status_code == 404


def test_images_are_served(vdm):
    image = vdm.event(DE_STORM).image
    answer = requests.get(image, timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")


@pytest.mark.parametrize("body", [
    {"event_id": "abc", "numberoftickets": 1, "discount_id": STANDARD},
    {"event_id": DE_STORM_FIRST, "numberoftickets": "-2", "discount_id": STANDARD},
    {"event_id": DE_STORM_FIRST, "numberoftickets": 0, "discount_id": STANDARD},
    {"event_id": DE_STORM_FIRST, "numberoftickets": 1},
    {"event_id": DE_STORM_FIRST, "numberoftickets": 1, "discount_id": ["x"]},
    ["not", "an", "object"],
])
def test_bad_cart_bodies_are_refused_with_a_message(sandbox, body):
    base = sandbox.url + "/v1/demo/"
    cart_id = requests.post(base + "cart/", timeout=5).json()["cart_id"]
    answer = requests.post(base + f"cart/{cart_id}", json=body, timeout=5)
    assert answer.status_code == 400 and isinstance(answer.json()["message"], str)


@pytest.mark.parametrize("change, message", [
    ({"cart_id": "unknown"}, "Cart not found"),
    ({"payment_id": 999}, "Unknown payment_id"),
    ({"payment_id": "card"}, "payment_id must be an integer"),
    ({"redirectURL": "javascript:alert(1)"}, "redirectURL"),
    ({"email": ""}, "email"),
])
def test_bad_orders_are_refused(sandbox, change, message):
    base = sandbox.url + "/v1/demo/"
    cart_id = requests.post(base + "cart/", timeout=5).json()["cart_id"]
    requests.post(base + f"cart/{cart_id}", json={"event_id": DE_STORM_FIRST, "numberoftickets": 1,
                                                  "discount_id": STANDARD}, timeout=5)
    body = {"cart_id": cart_id, "payment_id": IDEAL, "redirectURL": "https://shop.example/r", "email": "a@example.org",
            **change}
    answer = requests.post(base + "order/create", json=body, timeout=5)
    assert 400 <= answer.status_code < 500 and message in answer.json()["message"]


def test_empty_cart_cannot_be_ordered(vdm):
    with pytest.raises(Rejected, match="empty"):
        vdm.create_order(vdm.create_cart(), IDEAL, "https://shop.example/r", CUSTOMER)


def test_consents_are_stored_as_booleans(vdm, sandbox):
    cart_id = vdm.create_cart()
    vdm.add_to_cart(cart_id, DE_STORM_FIRST, 1, STANDARD)
    consent = Customer(email="c@example.org", firstname="C", lastname="D", avg_optin=True, avg_mailinglist=False)
    created = vdm.create_order(cart_id, IDEAL, "https://shop.example/r", consent)
    stored = sandbox.app.extensions["sandbox"].store.order(created.order_key)
    assert stored.customer["avg_optin"] is True and stored.customer["avg_mailinglist"] is False
    assert stored.total == Decimal("24.50")


def test_carts_belong_to_their_client_name(sandbox):
    vdm = client_for(sandbox)
    cart_id = vdm.create_cart()
    other = VdmClient(sandbox.url + "/v1", "othervenue", backoff=0)
    with pytest.raises(CartNotFound):
        other.cart(cart_id)


# --- event_free: what one order may still take, in every events answer --------------------


STARTED = 104  # a performance this test adds to De Storm, begun at midnight today
EVENTS_ANSWERS = ["events", "events/upcoming", f"events/{JAZZ}", f"events/{PAST}", f"events/{NOT_ON_SALE_YET}",
                  f"events/{VIER_SEIZOENEN}", f"events/{UNPUBLISHED}", f"events/{DE_STORM}", f"events/{STARTED}",
                  "eventtypes/Muziek", "eventtypes/Toneel"]


def test_a_performance_that_cannot_be_sold_offers_nothing(start_sandbox, demo_catalogue):
    # STARTED began at midnight today, like PAST three days ago; NOT_ON_SALE_YET is nosal, UNPUBLISHED unpub.
    storm = demo_catalogue["events"][0]
    storm["sub_events"].append({**storm["sub_events"][0], "event_id": STARTED, "days_from_today": 0,
                                "event_time": "00:00:00", "event_end": "23:59:00"})
    base = start_sandbox(demo_catalogue).url + "/v1/demo/"
    seen = {}
    for path in EVENTS_ANSWERS:
        answer = requests.get(base + path, timeout=5).json()
        for sub in (s for e in answer for s in e.get("sub_events", [e])):
            seen.setdefault(sub["event_id"], set()).add(sub["event_free"])
    unsellable = (STARTED, PAST, NOT_ON_SALE_YET, UNPUBLISHED, SOLD_OUT)
    assert {i: seen[i] for i in unsellable} == {i: {0} for i in unsellable}
    assert seen[DE_STORM_FIRST] == {10} and seen[JAZZ_ON_SALE] == {4}  # on sale: still their maximum per order
    cart_id = requests.post(base + "cart/", timeout=5).json()["cart_id"]
    refused = requests.post(base + f"cart/{cart_id}", json={"event_id": STARTED, "numberoftickets": 1,
                                                            "discount_id": STANDARD}, timeout=5)
    assert refused.status_code == 400 and refused.json() == {"message": "Event is not for sale"}


# --- CORS: VdM's API is called from browsers (the plugins), its pages are not --------------

ORIGIN = {"Origin": "https://theater.example"}


def test_the_json_api_allows_any_origin(sandbox):
    base = sandbox.url + "/v1/demo/"
    created = requests.post(base + "cart/", headers=ORIGIN, timeout=5)
    cart_id = created.json()["cart_id"]
    added = requests.post(base + f"cart/{cart_id}", headers=ORIGIN, timeout=5,
                          json={"event_id": DE_STORM_FIRST, "numberoftickets": 1, "discount_id": STANDARD})
    answers = [requests.get(base + "events", headers=ORIGIN, timeout=5), created, added,
               requests.delete(base + f"cart/{cart_id}/{added.json()[0]['seat_id']}", headers=ORIGIN, timeout=5),
               requests.get(base + "events/424242", headers=ORIGIN, timeout=5),  # errors too: 404,
               requests.post(base + f"cart/{cart_id}", json={"event_id": PAST, "numberoftickets": 1,
                                                              "discount_id": STANDARD}, headers=ORIGIN, timeout=5),
               requests.get(base + "no/such/endpoint", headers=ORIGIN, timeout=5),  # an unknown path,
               requests.put(base + "events", headers=ORIGIN, timeout=5)]  # and a wrong method
    assert [a.status_code for a in answers] == [200, 201, 200, 200, 404, 400, 404, 405]
    assert [a.headers.get("Access-Control-Allow-Origin") for a in answers] == ["*"] * len(answers)


@pytest.mark.parametrize("path, method", [("cart/", "POST"), ("cart/abc", "POST"), ("cart/abc/def", "DELETE"),
                                          ("events", "GET"), ("order/create", "POST")])
def test_the_json_api_answers_preflight_requests(sandbox, path, method):
    answer = requests.options(f"{sandbox.url}/v1/demo/{path}", timeout=5, headers={
        **ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type"})
    assert 200 <= answer.status_code < 300 and answer.text == ""
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in answer.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "POST", "DELETE"}
    assert answer.headers["Access-Control-Allow-Headers"].lower() == "content-type"


def test_the_pages_for_people_allow_no_other_origin(vdm, sandbox):
    created = order(vdm)
    status = vdm.order_status(created.order_key)
    pages = [requests.get(url, headers=ORIGIN, timeout=5)
             for url in (created.url, status.tickets_url, status.receipt_url, vdm.event(DE_STORM).image)]
    pages.append(requests.options(created.url, headers={**ORIGIN, "Access-Control-Request-Method": "POST"}, timeout=5))
    assert [p.status_code for p in pages] == [200] * 5
    assert not [p.url for p in pages if any(h.lower().startswith("access-control-") for h in p.headers)]


# --- the tests' names for the demo venue (tests/demo.py) ---------------------------------------


def test_the_tests_names_for_the_demo_venue_say_what_it_holds(demo_catalogue):
    import demo

    shows = {show["event_id"]: show for show in demo_catalogue["events"]}
    subs = {sub["event_id"]: (show, sub) for show in shows.values() for sub in show["sub_events"]}
    names = {"DE_STORM": "De Storm", "NACHTVLINDERS": "Nachtvlinders", "MESSIAH": "Messiah",
             "ZWANENMEER": "Het Zwanenmeer voor kinderen", "JAZZ": "Jazz in de Foyer", "GOUDEN_UUR": "Het Gouden Uur",
             "VIER_SEIZOENEN": "Vier Seizoenen"}
    assert {name: shows[getattr(demo, name)]["event_name"] for name in names} == names
    performances = {
        "DE_STORM_FIRST": "DE_STORM", "SOLD_OUT": "DE_STORM", "DE_STORM_MATINEE": "DE_STORM",
        "NACHTVLINDERS_FIRST": "NACHTVLINDERS", "NACHTVLINDERS_LATER": "NACHTVLINDERS",
        "MESSIAH_FIRST": "MESSIAH", "MESSIAH_MATINEE": "MESSIAH", "ZWANENMEER_FIRST": "ZWANENMEER",
        "ZWANENMEER_SECOND": "ZWANENMEER", "PAST": "JAZZ", "JAZZ_ON_SALE": "JAZZ", "NOT_ON_SALE_YET": "JAZZ",
        "AFTER_MIDNIGHT": "GOUDEN_UUR", "GOUDEN_UUR_LATER": "GOUDEN_UUR", "VIER_SEIZOENEN_FIRST": "VIER_SEIZOENEN",
        "UNPUBLISHED": "VIER_SEIZOENEN"}
    for performance, show in performances.items():
        assert subs[getattr(demo, performance)][0]["event_id"] == getattr(demo, show), performance
    assert len(performances) == len(subs)  # every performance of the demo venue has a name
    halls = {hall["location_id"]: hall["location_name"] for hall in demo_catalogue["locations"]}
    assert (halls[demo.GROTE_ZAAL], halls[demo.KLEINE_ZAAL], halls[demo.FOYER]) == ("Grote Zaal", "Kleine Zaal", "Foyer")

    def sub(name):
        return subs[getattr(demo, name)][1]

    capacity = {hall["location_id"]: hall["capacity"] for hall in demo_catalogue["locations"]}
    assert sub("SOLD_OUT")["presold"] == capacity[sub("SOLD_OUT")["location_id"]]  # every seat
    assert sub("PAST")["days_from_today"] < 0 < sub("JAZZ_ON_SALE")["days_from_today"]
    assert sub("NOT_ON_SALE_YET")["event_status"] == "nosal" and sub("UNPUBLISHED")["event_status"] == "unpub"
    assert sub("AFTER_MIDNIGHT")["event_end"] < sub("AFTER_MIDNIGHT")["event_time"]  # it ends the next day
    assert sub("DE_STORM_MATINEE")["event_time"] < "18:00" and sub("MESSIAH_MATINEE")["event_time"] < "18:00"
    assert sub("NACHTVLINDERS_FIRST")["max_per_order"] == 8 and sub("JAZZ_ON_SALE")["max_per_order"] == 4
    on_sale = [p for p in performances if p not in ("SOLD_OUT", "PAST", "NOT_ON_SALE_YET", "UNPUBLISHED")]
    assert all(sub(p)["days_from_today"] > 0 and "presold" not in sub(p) and "event_status" not in sub(p)
               for p in on_sale)
    ticket_types = {(kind, t["discount_name"]): t["discount_id"]
                    for kind, types in demo_catalogue["ticket_types"].items() for t in types}
    assert ticket_types == {
        ("regulier", "Standaard"): demo.STANDARD, ("regulier", "Stadspas"): demo.STADSPAS,
        ("regulier", "65+"): demo.SENIOR, ("concert", "Standaard"): demo.CONCERT_STANDARD,
        ("concert", "Student"): demo.STUDENT, ("concert", "CJP"): demo.CJP, ("familie", "Volwassene"): demo.ADULT,
        ("familie", "Kind t/m 12 jaar"): demo.CHILD, ("foyer", "Standaard"): demo.FOYER_STANDARD,
        ("foyer", "Vriend van het theater"): demo.FRIEND}
    assert sub("DE_STORM_FIRST")["ticket_types"] == "regulier" and sub("MESSIAH_FIRST")["ticket_types"] == "concert"
    assert sub("ZWANENMEER_FIRST")["ticket_types"] == "familie" and sub("JAZZ_ON_SALE")["ticket_types"] == "foyer"
    methods = {m["payment_desc"]: m["payment_id"] for m in demo_catalogue["payment_methods"]}
    assert methods == {"iDEAL": demo.IDEAL, "Creditcard": demo.CREDITCARD, "Bancontact": demo.BANCONTACT}
