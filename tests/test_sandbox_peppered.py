"""The sandbox's Peppered endpoints, over HTTP as VdM's: the key, halls, the seating plan, the
richer cart, and the one stock that the plan and the public cart both sell from."""

from __future__ import annotations

import base64
import re
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from demo import (
    ADULT,
    BALKON,
    BEYOND_CAPACITY,
    BLOCKED_SEAT,
    CHILD,
    CONCERT_STANDARD,
    CREDITCARD,
    DE_STORM_FIRST,
    FIRST_RANG_2_SEAT,
    FIRST_SEAT,
    FOYER,
    GROTE_ZAAL,
    KLEINE_ZAAL,
    LAST_RANG_1_SEAT,
    LAST_SEAT_FOR_SALE,
    NACHTVLINDERS_FIRST,
    NOT_ON_SALE_YET,
    OPEN_SEATING,
    PARKET,
    RANG_1,
    RANG_2,
    SECOND_SEAT,
    SENIOR,
    SOLD_OUT,
    STADSPAS,
    STANDARD,
    THIRD_SEAT,
    ZWANENMEER_FIRST,
)
from helpers import PAY, Clock, csrf_token

from vdm_sandbox import SettingsError, create_app
from vdm_sandbox.catalogue import load
from vdm_sandbox.settings import SandboxSettings

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CART_SECONDS = 30 * 60  # the default SANDBOX_CART_MINUTES
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def key_of(server) -> str:
    return server.app.extensions["sandbox"].settings.api_key


class Peppered:
    """VdM's Peppered API on a sandbox, with its key sent raw as VdM documents."""

    def __init__(self, server, key: str | None = None):
        self.base = server.url + "/v1/demo/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = key or key_of(server)

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + "peppered/" + path, timeout=10)

    def post(self, path: str, body) -> requests.Response:
        return self.session.post(self.base + "peppered/" + path, json=body, timeout=10)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.base + "peppered/" + path, timeout=10)

    # the public API on the same sandbox
    def new_cart(self) -> str:
        return requests.post(self.base + "cart/", timeout=10).json()["cart_id"]

    def public_add(self, cart_id: str, event_id: int, quantity: int, discount_id: str = STANDARD) -> requests.Response:
        return requests.post(f"{self.base}cart/{cart_id}", timeout=10,
                             json={"event_id": event_id, "numberoftickets": quantity, "discount_id": discount_id})

    def public_cart(self, cart_id: str) -> list[dict]:
        return requests.get(f"{self.base}cart/{cart_id}", timeout=10).json()

    def event_free(self, event_id: int) -> int:
        return requests.get(f"{self.base}events/{event_id}", timeout=10).json()[0]["event_free"]

    def seats(self, event_id: int) -> dict[str, dict]:
        """The plan's seats by id, each with its section and row."""
        plan = self.get(f"seating/{event_id}").json()
        return {seat["seatId"]: {**seat, "section": section["sectionName"], "row": row["rowNr"]}
                for section in plan["sections"] for row in section["rows"] for seat in row["seats"]}

    def free_seats(self, event_id: int) -> list[str]:
        return [seat_id for seat_id, seat in self.seats(event_id).items() if seat["available"]]


def seat(seat_id: str, rank_id: int = RANG_1, price_id: str = STANDARD, event_id: int = DE_STORM_FIRST) -> dict:
    return {"priceId": price_id, "rankId": rank_id, "eventId": event_id, "seatId": seat_id}


def best(quantity: int, rank_id: int = RANG_1, price_id: str = STANDARD, event_id: int = DE_STORM_FIRST) -> dict:
    return {"priceId": price_id, "rankId": rank_id, "eventId": event_id, "numberOfTickets": quantity}


def donation(amount) -> dict:
    return {"priceId": "donation", "rankId": 0, "amount": amount}


@pytest.fixture
def pep(sandbox) -> Peppered:
    return Peppered(sandbox)


# --- the key ----------------------------------------------------------------------------------

ENDPOINTS = [("get", "hall"), ("get", f"hall/{GROTE_ZAAL}"), ("get", f"seating/{DE_STORM_FIRST}"),
             ("get", "cart/{cart}"), ("get", "cart/{cart}/summary"), ("post", "cart/{cart}"),
             ("delete", "cart/{cart}/{item}")]


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_every_endpoint_wants_the_key_raw_or_as_basic_user(sandbox, pep):
    key = key_of(sandbox)
    cart_id = pep.new_cart()
    item = pep.post(f"cart/{cart_id}", [donation(1)]).json()["cartItems"][0]["itemId"]
    refused = {"missing": None, "wrong": "x" * len(key), "one character off": key[:-1] + ("A" if key[-1] != "A" else "B"),
               "a Bearer token": f"Bearer {key}", "Basic with a password": basic(key, "secret"),
               "Basic with another user": basic("someone"), "Basic that is not base64": "Basic %%%"}
    for method, path in ENDPOINTS:
        url = pep.base + "peppered/" + path.format(cart=cart_id, item=item)
        for why, header in refused.items():
            answer = requests.request(method, url, headers={"Authorization": header} if header else {},
                                      json=[donation(2)] if method == "post" else None, timeout=10)
            assert answer.status_code == 401, (method, path, why)
            assert set(answer.json()) == {"message"} and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert pep.get(f"cart/{cart_id}").json()["amount"] == 1.0  # no refused call changed the cart
    for header in (key, basic(key), f"basic {base64.b64encode(f'{key}:'.encode()).decode()}"):
        answer = requests.get(pep.base + "peppered/hall", headers={"Authorization": header}, timeout=10)
        assert answer.status_code == 200, header
    assert requests.delete(f"{pep.base}peppered/cart/{cart_id}/{item}", headers={"Authorization": basic(key)},
                           timeout=10).status_code == 200


def test_the_generated_key_is_kept_in_the_instance_folder_and_survives_a_restart(start_sandbox, tmp_path):
    first = start_sandbox()
    key = key_of(first)
    assert (tmp_path / "sandbox-instance" / "api_key").read_text() == key and len(key) >= 40
    first.stop()
    second = start_sandbox()  # same instance folder
    assert key_of(second) == key and Peppered(second, key).get("hall").status_code == 200
    own = start_sandbox(SANDBOX_API_KEY="a-key-of-our-own-0123456789")  # set: the variable's, not the file's
    assert Peppered(own, "a-key-of-our-own-0123456789").get("hall").status_code == 200
    assert Peppered(own, key).get("hall").status_code == 401


def test_the_key_setting(tmp_path):
    settings = SandboxSettings.from_env({"SANDBOX_API_KEY": " spaces-around-are-trimmed-1234 ",
                                         "SANDBOX_SECRET_KEY": "s" * 40}, instance_path=str(tmp_path))
    assert settings.api_key == "spaces-around-are-trimmed-1234" and not (tmp_path / "api_key").exists()
    assert "spaces-around" not in repr(settings) and "s" * 40 not in repr(settings)  # neither key is shown
    assert "api_key" not in settings.as_dict()
    for bad in ("short", "has a space in it 12345", "has:a:colon:1234567890", "ünïcode-is-not-ascii-1234"):
        with pytest.raises(SettingsError) as error:
            SandboxSettings.from_env({"SANDBOX_API_KEY": bad}, instance_path=str(tmp_path))
        assert error.value.variable == "SANDBOX_API_KEY" and bad not in str(error.value)
    # Settings made by hand, without a key: the sandbox takes the generated one.
    app = create_app(SandboxSettings(instance_path=str(tmp_path / "by-hand"), db=str(tmp_path / "by-hand.sqlite3")))
    assert app.extensions["sandbox"].settings.api_key == (tmp_path / "by-hand" / "api_key").read_text()


def test_the_command_prints_the_key(tmp_path):
    from test_sandbox_alone import Command

    command = Command(tmp_path)
    try:
        base = command.base_url()
        lines = [command.lines.get(timeout=10) for _ in range(4)]
        key = (tmp_path / "instance" / "api_key").read_text()
        assert any(f"Peppered API key (generated, kept in {tmp_path / 'instance' / 'api_key'}): {key}" in line
                   for line in lines), lines
        assert requests.get(base + "peppered/hall", headers={"Authorization": key}, timeout=10).status_code == 200
    finally:
        command.stop()


def test_the_sandbox_still_imports_nothing_of_the_shop():
    done = subprocess.run([sys.executable, "-c", "import vdm_sandbox.peppered, vdm_sandbox.seating, sys; "
                           "print(sorted(m for m in sys.modules if m == 'shop' or m.startswith('shop.')))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


# --- halls ------------------------------------------------------------------------------------


def test_halls(pep):
    halls = pep.get("hall").json()
    assert [h["hallId"] for h in halls] == [GROTE_ZAAL, KLEINE_ZAAL, FOYER]  # the public location_ids
    assert halls[0] == {"hallId": GROTE_ZAAL, "hallName": "Grote Zaal", "hallAddress": "Lindeboomplein 1",
                        "hallZip": "3512 LB", "hallCity": "Utrecht", "hallPhone": "030 012 3400", "hallUrl": None}
    assert pep.get(f"hall/{KLEINE_ZAAL}").json() == halls[1]  # one hall: the object, not a list
    for unknown in ("99", "x"):
        answer = pep.get(f"hall/{unknown}")
        assert answer.status_code == 404 and set(answer.json()) == {"message"}


# --- the seating plan -------------------------------------------------------------------------


def test_the_grote_zaals_plan(pep):
    plan = pep.get(f"seating/{DE_STORM_FIRST}").json()
    assert (plan["eventId"], plan["hallId"], plan["available"]) == (DE_STORM_FIRST, GROTE_ZAAL, 240)
    # One price level per ticket type and rank: Rang 1 at the public price, Rang 2 3.00 less.
    levels = {(level["priceId"], level["rankId"]): (level["name"], level["amount"]) for level in plan["priceLevels"]}
    assert levels == {(STANDARD, RANG_1): ("Rang 1", 24.5), (STADSPAS, RANG_1): ("Rang 1", 18.38),
                      (SENIOR, RANG_1): ("Rang 1", 22.0), (STANDARD, RANG_2): ("Rang 2", 21.5),
                      (STADSPAS, RANG_2): ("Rang 2", 15.38), (SENIOR, RANG_2): ("Rang 2", 19.0)}
    assert all(type(level["amount"]) is float for level in plan["priceLevels"])  # JSON numbers, as documented
    # ... written from the stored Decimal, whole cents as they are, never through a float.
    raw = pep.get(f"seating/{DE_STORM_FIRST}").text
    assert '"amount": 24.50' in raw and '"amount": 18.38' in raw
    assert [(s["sectionId"], s["sectionName"], [r["rowNr"] for r in s["rows"]]) for s in plan["sections"]] == [
        (PARKET, "Parket", list(range(1, 9))), (BALKON, "Balkon", [1, 2, 3])]
    front = plan["sections"][0]["rows"][0]["seats"]
    assert front[0] == {"seatId": FIRST_SEAT, "seatNr": 1, "rankId": RANG_1, "available": True}
    assert [s["seatNr"] for s in front] == list(range(1, 25))
    seats = pep.seats(DE_STORM_FIRST)
    assert len(seats) == 246 and sum(s["available"] for s in seats.values()) == plan["available"]
    assert (seats[LAST_RANG_1_SEAT]["rankId"], seats[FIRST_RANG_2_SEAT]["rankId"]) == (RANG_1, RANG_2)
    assert not seats[BLOCKED_SEAT]["available"] and seats[LAST_SEAT_FOR_SALE]["available"]
    assert not seats[BEYOND_CAPACITY]["available"]  # past the performance's 240
    assert len({s["seatId"] for s in seats.values()}) == 246


def test_a_sold_out_or_presold_performance_shows_its_seats_taken(start_sandbox, demo_catalogue):
    demo_catalogue["events"][0]["sub_events"][0]["presold"] = 2  # DE_STORM_FIRST: its first two seats
    pep = Peppered(start_sandbox(demo_catalogue))
    assert pep.get(f"seating/{SOLD_OUT}").json()["available"] == 0 and pep.free_seats(SOLD_OUT) == []
    seats = pep.seats(DE_STORM_FIRST)
    assert not seats[FIRST_SEAT]["available"] and not seats[SECOND_SEAT]["available"]
    assert seats[THIRD_SEAT]["available"] and pep.get(f"seating/{DE_STORM_FIRST}").json()["available"] == 238
    cart_id = pep.new_cart()
    assert pep.post(f"cart/{cart_id}", [seat(FIRST_SEAT)]).status_code == 409


def test_a_smaller_performance_sells_the_first_seats_of_the_plan(start_sandbox, demo_catalogue):
    demo_catalogue["events"][0]["sub_events"][0]["capacity"] = 3
    pep = Peppered(start_sandbox(demo_catalogue))
    assert pep.free_seats(DE_STORM_FIRST) == [FIRST_SEAT, SECOND_SEAT, THIRD_SEAT]
    cart_id = pep.new_cart()
    assert pep.public_add(cart_id, DE_STORM_FIRST, 3).ok
    assert pep.free_seats(DE_STORM_FIRST) == [] and pep.get(f"seating/{DE_STORM_FIRST}").json()["available"] == 0


def test_an_unnumbered_hall(pep):
    plan = pep.get(f"seating/{NACHTVLINDERS_FIRST}").json()
    assert plan["sections"] == [] and plan["hallId"] == KLEINE_ZAAL
    assert plan["available"] == 90  # the whole hall: not capped per order as the public event_free is
    assert {(lv["priceId"], lv["rankId"], lv["amount"]) for lv in plan["priceLevels"]} == {
        (STANDARD, OPEN_SEATING, 24.5), (STADSPAS, OPEN_SEATING, 18.38), (SENIOR, OPEN_SEATING, 22.0)}
    cart_id = pep.new_cart()
    added = pep.post(f"cart/{cart_id}", [best(2, OPEN_SEATING, event_id=NACHTVLINDERS_FIRST)])
    assert added.status_code == 200
    (ticket, _) = added.json()["cartItems"]
    assert ticket["rankId"] == OPEN_SEATING and "seatId" not in ticket and "rowNr" not in ticket
    assert pep.get(f"seating/{NACHTVLINDERS_FIRST}").json()["available"] == 88
    public = pep.public_cart(cart_id)
    assert [(line["seat_row_nr"], line["seat_nr"]) for line in public[:-1]] == [("0", "0")] * 2
    assert public[-1] == {"totalprice": "49.00"}
    answer = pep.post(f"cart/{cart_id}", [seat(FIRST_SEAT, OPEN_SEATING, event_id=NACHTVLINDERS_FIRST)])
    assert answer.status_code == 422  # no seats to choose


def test_seating_of_an_unknown_event_or_one_not_for_sale(pep):
    for unknown in ("999999", "x"):
        answer = pep.get(f"seating/{unknown}")
        assert answer.status_code == 404 and set(answer.json()) == {"message"}


# --- one stock --------------------------------------------------------------------------------


def test_the_plan_and_the_public_cart_sell_from_one_stock(pep):
    public = pep.new_cart()
    assert pep.public_add(public, DE_STORM_FIRST, 2).ok  # best available: the first two seats
    lines = pep.public_cart(public)
    assert [(line["seat_row_nr"], line["seat_nr"]) for line in lines[:-1]] == [("1", "1"), ("1", "2")]
    assert pep.free_seats(DE_STORM_FIRST)[0] == THIRD_SEAT
    assert pep.get(f"seating/{DE_STORM_FIRST}").json()["available"] == 238

    # A seat the public cart holds cannot be chosen; one chosen is skipped by best-available.
    chooser = pep.new_cart()
    taken = pep.post(f"cart/{chooser}", [seat(FIRST_SEAT)])
    assert taken.status_code == 409 and taken.json()["seatIds"] == [FIRST_SEAT]
    assert pep.post(f"cart/{chooser}", [seat(THIRD_SEAT)]).ok
    assert pep.public_add(public, DE_STORM_FIRST, 1).ok
    assert pep.public_cart(public)[2]["seat_nr"] == "4"  # not the third seat
    assert THIRD_SEAT not in pep.free_seats(DE_STORM_FIRST)

    # The Peppered cart is the public cart: the chosen seat is a public line, and the public
    # lines are Peppered items.
    assert [line["seat_nr"] for line in pep.public_cart(chooser)[:-1]] == ["3"]
    items = pep.get(f"cart/{public}").json()["cartItems"]
    assert [(i["itemId"], i["sectionName"], i["rowNr"], i["seatNr"]) for i in items] == [
        (line["seat_id"], "Parket", 1, int(line["seat_nr"])) for line in pep.public_cart(public)[:-1]]
    assert [i["seatId"] for i in items[:2]] == [FIRST_SEAT, SECOND_SEAT]
    # Removing a line on either side frees its seat for both.
    pep.delete(f"cart/{public}/{items[0]['itemId']}")
    requests.delete(f"{pep.base}cart/{chooser}/{pep.public_cart(chooser)[0]['seat_id']}", timeout=10)
    assert pep.free_seats(DE_STORM_FIRST)[:2] == [FIRST_SEAT, THIRD_SEAT]
    assert pep.event_free(DE_STORM_FIRST) == 10 and pep.get(f"seating/{DE_STORM_FIRST}").json()["available"] == 238


def test_best_available_takes_the_best_rank_first(start_sandbox, demo_catalogue, tmp_path):
    demo_catalogue["events"][0]["sub_events"][0]["presold"] = 143  # one seat of Rang 1 left
    pep = Peppered(start_sandbox(demo_catalogue))
    public = pep.new_cart()
    assert pep.public_add(public, DE_STORM_FIRST, 3).ok
    lines = pep.public_cart(public)
    assert [(line["seat_row_nr"], line["seat_nr"], line["seat_price"]) for line in lines[:-1]] == [
        ("6", "24", "24.50"), ("7", "1", "21.50"), ("7", "2", "21.50")]  # each line at its rank's price
    assert lines[-1] == {"totalprice": "67.50"}
    # Peppered's best-available takes the rank it is asked for, even with a better one free.
    demo_catalogue["events"][0]["sub_events"][0]["presold"] = 0
    pep = Peppered(start_sandbox(demo_catalogue, SANDBOX_DB=str(tmp_path / "another.sqlite3")))
    cart_id = pep.new_cart()
    items = pep.post(f"cart/{cart_id}", [best(2, RANG_2)]).json()["cartItems"]
    assert [(i["sectionName"], i["rowNr"], i["seatNr"], i["rankId"], i["amount"]) for i in items] == [
        ("Parket", 7, 1, RANG_2, 21.5), ("Parket", 7, 2, RANG_2, 21.5)]
    assert pep.free_seats(DE_STORM_FIRST)[0] == FIRST_SEAT


def test_an_expired_cart_frees_its_seats(start_sandbox):
    clock = Clock()
    pep = Peppered(start_sandbox(clock=clock))
    cart_id = pep.new_cart()
    assert pep.post(f"cart/{cart_id}", [seat(FIRST_SEAT), best(1)]).ok
    assert pep.free_seats(DE_STORM_FIRST)[0] == THIRD_SEAT
    clock.advance(CART_SECONDS - 1)
    assert FIRST_SEAT not in pep.free_seats(DE_STORM_FIRST)
    clock.advance(2)
    assert pep.free_seats(DE_STORM_FIRST)[:2] == [FIRST_SEAT, SECOND_SEAT]
    for answer in (pep.get(f"cart/{cart_id}"), pep.get(f"cart/{cart_id}/summary"),
                   pep.post(f"cart/{cart_id}", [best(1)])):
        assert answer.status_code == 404 and set(answer.json()) == {"message"}
    assert pep.post(f"cart/{pep.new_cart()}", [seat(FIRST_SEAT)]).ok


def test_two_buyers_racing_for_one_seat_one_gets_it(sandbox, pep):
    carts = [pep.new_cart() for _ in range(8)]
    start = threading.Barrier(len(carts))
    answers: list[requests.Response] = []

    def choose(cart_id):
        start.wait()
        answers.append(Peppered(sandbox).post(f"cart/{cart_id}", [seat(FIRST_SEAT)]))

    threads = [threading.Thread(target=choose, args=(cart_id,)) for cart_id in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert all(a.json()["seatIds"] == [FIRST_SEAT] for a in answers if a.status_code == 409)
    assert sum(pep.get(f"cart/{c}").json()["numberOfItems"] for c in carts) == 1


def test_an_add_is_all_or_nothing(pep):
    holder, buyer = pep.new_cart(), pep.new_cart()
    assert pep.post(f"cart/{holder}", [seat(SECOND_SEAT)]).ok
    for items in ([seat(FIRST_SEAT), seat(SECOND_SEAT), donation(5)],  # one seat taken
                  [seat(FIRST_SEAT), seat(FIRST_SEAT)],  # the same seat twice
                  [seat(FIRST_SEAT), seat(BLOCKED_SEAT, RANG_2), seat(BEYOND_CAPACITY, RANG_2)]):
        answer = pep.post(f"cart/{buyer}", items)
        assert answer.status_code == 409 and answer.json()["seatIds"] == [
            i["seatId"] for i in items[1:] if "seatId" in i], items
    never = pep.post(f"cart/{buyer}", [seat(FIRST_SEAT), best(2, event_id=NOT_ON_SALE_YET)])
    assert never.status_code == 422  # an item that can never be added refuses the others too
    assert pep.get(f"cart/{buyer}").json()["cartItems"] == [] and FIRST_SEAT in pep.free_seats(DE_STORM_FIRST)


def test_best_available_leaves_the_seats_chosen_in_the_same_add(pep):
    cart_id = pep.new_cart()
    items = pep.post(f"cart/{cart_id}", [best(1), seat(FIRST_SEAT)]).json()["cartItems"]
    assert sorted(i["seatId"] for i in items) == sorted([FIRST_SEAT, SECOND_SEAT])


def test_not_enough_seats_is_a_409_without_seat_ids(start_sandbox, demo_catalogue):
    demo_catalogue["events"][0]["sub_events"][0]["capacity"] = 3
    pep = Peppered(start_sandbox(demo_catalogue))
    cart_id = pep.new_cart()
    for items in ([seat(FIRST_SEAT), best(3)], [best(1, event_id=SOLD_OUT)]):
        answer = pep.post(f"cart/{cart_id}", items)
        assert answer.status_code == 409 and answer.json()["seatIds"] == [], items
    assert pep.free_seats(DE_STORM_FIRST) == [FIRST_SEAT, SECOND_SEAT, THIRD_SEAT]


@pytest.mark.parametrize("items, why", [
    ([best(1, RANG_1, price_id=CONCERT_STANDARD)], "a priceId of another performance"),
    ([best(1, 3)], "a rankId the hall does not have"),
    ([seat(FIRST_RANG_2_SEAT, RANG_1)], "a seat in another rank than the item's"),
    ([seat("no-such-seat")], "a seatId not in the plan"),
    ([{**seat(FIRST_SEAT), "numberOfTickets": 2}], "a chosen seat is one ticket"),
    ([best(0)], "no tickets"),
    ([best(11)], "more than the per-order maximum of 10"),
    ([{"priceId": STANDARD, "rankId": RANG_1, "numberOfTickets": 1}], "a ticket without its eventId"),
    ([{"rankId": RANG_1, "eventId": DE_STORM_FIRST}], "no priceId"),
    ([best(1, event_id=999999)], "an unknown event"),
    ([best(1, event_id=NOT_ON_SALE_YET)], "a performance not for sale"),
    ([donation(0)], "a donation of nothing"),
    ([donation(-5)], "a negative donation"),
    ([donation(1.005)], "part of a cent"),
    ([donation(10000.01)], "a donation above the sandbox's bound"),
    ([donation("a lot")], "an amount that is no number"),
    ([donation(True)], "a boolean amount"),
    ([{**donation(5), "rankId": 1}], "a donation with a rank"),
    ([], "no items"),
    ([5], "an item that is not an object"),
    ({"priceId": STANDARD}, "an object, not an array"),
])
def test_items_that_can_never_be_added_are_a_422(pep, items, why):
    cart_id = pep.new_cart()
    answer = pep.post(f"cart/{cart_id}", items)
    assert answer.status_code == 422 and set(answer.json()) == {"message"}, why
    assert pep.get(f"cart/{cart_id}").json()["numberOfItems"] == 0


def test_a_body_that_is_not_json_is_a_422(pep):
    cart_id = pep.new_cart()
    answer = pep.session.post(f"{pep.base}peppered/cart/{cart_id}", data=b"\xff not json", timeout=10)
    assert answer.status_code == 422


# --- the cart ---------------------------------------------------------------------------------

TICKET_KEYS = {"itemType", "itemId", "eventId", "priceId", "priceName", "description", "amount", "rankId"}
SEAT_KEYS = {"seatId", "sectionName", "rowNr", "seatNr"}


def test_the_carts_shapes(pep):
    cart_id = pep.new_cart()
    added = pep.post(f"cart/{cart_id}", [seat(THIRD_SEAT, price_id=SENIOR), best(2), donation(5.0)])
    assert added.status_code == 200
    cart = added.json()
    assert set(cart) == {"cartId", "timeOut", "numberOfItems", "amount", "cartItems"}
    assert (cart["cartId"], cart["numberOfItems"], cart["amount"]) == (cart_id, 4, 76.0)  # 22 + 2 × 24.50 + 5
    chosen, first, second, gift = cart["cartItems"]
    assert set(chosen) == TICKET_KEYS | SEAT_KEYS
    assert {k: chosen[k] for k in chosen if k != "itemId"} == {
        "itemType": "ticket", "eventId": DE_STORM_FIRST, "priceId": SENIOR, "priceName": "65+",
        "description": "De Storm — Grote Zaal", "amount": 22.0, "rankId": RANG_1, "seatId": THIRD_SEAT,
        "sectionName": "Parket", "rowNr": 1, "seatNr": 3}
    assert [(i["seatId"], i["amount"]) for i in (first, second)] == [(FIRST_SEAT, 24.5), (SECOND_SEAT, 24.5)]
    assert {k: gift[k] for k in gift if k != "itemId"} == {
        "itemType": "donation", "priceId": "donation", "rankId": 0, "description": "Donation", "amount": 5.0}
    assert len({i["itemId"] for i in cart["cartItems"]}) == 4
    assert pep.get(f"cart/{cart_id}").json() == cart
    summary = pep.get(f"cart/{cart_id}/summary").json()
    assert summary == {k: cart[k] for k in ("cartId", "timeOut", "numberOfItems", "amount")}
    assert '"amount":76.0' in pep.get(f"cart/{cart_id}/summary").text.replace(" ", "")  # a number, not a string

    # The public cart: the same three tickets, its total without the donation.
    public = pep.public_cart(cart_id)
    assert [line["seat_id"] for line in public[:-1]] == [chosen["itemId"], first["itemId"], second["itemId"]]
    assert public[-1] == {"totalprice": "71.00"}

    # Removing items: a donation, a ticket; an unknown item is a 404.
    after = pep.delete(f"cart/{cart_id}/{gift['itemId']}").json()
    assert after["amount"] == 71.0 and after["numberOfItems"] == 3
    after = pep.delete(f"cart/{cart_id}/{chosen['itemId']}").json()
    assert [i["itemId"] for i in after["cartItems"]] == [first["itemId"], second["itemId"]]
    assert THIRD_SEAT in pep.free_seats(DE_STORM_FIRST)
    missing = pep.delete(f"cart/{cart_id}/{gift['itemId']}")
    assert missing.status_code == 404 and set(missing.json()) == {"message"}


def test_a_donation_may_come_as_a_string_and_is_exact(pep):
    cart_id = pep.new_cart()
    cart = pep.post(f"cart/{cart_id}", [donation("12.34"), donation(0.1), donation(0.2)]).json()
    assert [i["amount"] for i in cart["cartItems"]] == [12.34, 0.1, 0.2] and cart["amount"] == 12.64


def test_unknown_carts(sandbox, pep):
    for path in ("cart/nosuchcart", "cart/nosuchcart/summary"):
        assert pep.get(path).status_code == 404
    assert pep.post("cart/nosuchcart", [donation(5)]).status_code == 404
    cart_id = pep.new_cart()
    other_client = requests.get(f"{sandbox.url}/v1/other/peppered/cart/{cart_id}",
                                headers={"Authorization": key_of(sandbox)}, timeout=10)
    assert other_client.status_code == 404


def test_time_out_is_the_carts_expiry_and_every_change_moves_it(start_sandbox):
    clock = Clock()
    pep = Peppered(start_sandbox(clock=clock))
    cart_id = pep.new_cart()
    started = clock.now

    def time_out() -> datetime:
        value = pep.get(f"cart/{cart_id}/summary").json()["timeOut"]
        assert ISO_WITH_OFFSET.match(value), value
        moment = datetime.fromisoformat(value)
        assert moment.utcoffset() == moment.astimezone(AMSTERDAM).utcoffset()  # the venue's offset
        return moment

    assert abs(time_out().timestamp() - (started + CART_SECONDS)) < 1
    clock.advance(600)
    assert abs(time_out().timestamp() - (started + CART_SECONDS)) < 1  # reading changes nothing
    item = pep.post(f"cart/{cart_id}", [seat(FIRST_SEAT)]).json()["cartItems"][0]["itemId"]
    assert abs(time_out().timestamp() - (started + 600 + CART_SECONDS)) < 1  # an add: the full time again
    clock.advance(600)
    assert pep.delete(f"cart/{cart_id}/{item}").ok
    assert abs(time_out().timestamp() - (started + 1200 + CART_SECONDS)) < 1  # a removal too
    clock.advance(600)
    assert pep.public_add(cart_id, DE_STORM_FIRST, 1).ok
    assert abs(time_out().timestamp() - (started + 1800 + CART_SECONDS)) < 1  # and the public cart's changes


# --- ordering: the donation is ordered with the tickets ---------------------------------------


def test_a_donation_is_ordered_paid_and_shown_with_the_seats(pep):
    cart_id = pep.new_cart()
    assert pep.post(f"cart/{cart_id}", [seat(FIRST_SEAT), seat(FIRST_RANG_2_SEAT, RANG_2), donation(5)]).ok
    created = requests.post(pep.base + "order/create", timeout=10, json={
        "cart_id": cart_id, "payment_id": CREDITCARD, "redirectURL": "https://shop.example/return",
        "email": "ann@example.org", "firstname": "Ann", "lastname": "Smit"}).json()[0]
    browser = requests.Session()
    page = browser.get(created["url"], timeout=10).text
    assert "Parket, row 1, seat 1" in page and "Parket, row 7, seat 1" in page
    assert "Donation" in page and "€ 5.00" in page
    assert "Amount due: € 52.50" in page  # 24.50 + 21.50 + 5.00 donation + 1.50 for the credit card
    paid = browser.post(created["url"], data={"csrf_token": csrf_token(page), PAY: "x"}, allow_redirects=False,
                        timeout=10)
    assert paid.status_code == 303
    status = requests.get(f"{pep.base}order/{created['order_key']}", timeout=10).json()
    assert status["order_payment_status"] == "paid" and status["order_tickets_nr"] == 2  # a donation is no ticket
    receipt = requests.get(status["order_receipt_url"], timeout=10).text
    assert "Parket, row 7, seat 1" in receipt and re.search(r"Donation</th><td[^>]*>€ 5.00", receipt)
    assert re.search(r"Total</th><td[^>]*>€ 52.50", receipt) and re.search(r"Paid</th><td[^>]*>€ 52.50", receipt)
    tickets = requests.get(status["order_tickets_url"], timeout=10).text
    assert tickets.count('class="ticket"') == 2 and "Parket, row 1, seat 1" in tickets
    # The order holds its seats; the cart is gone from both APIs.
    assert FIRST_SEAT not in pep.free_seats(DE_STORM_FIRST)
    assert pep.get(f"cart/{cart_id}").status_code == 404


def test_a_cart_with_only_a_donation_can_be_ordered(pep):
    cart_id = pep.new_cart()
    pep.post(f"cart/{cart_id}", [donation(25)])
    created = requests.post(pep.base + "order/create", timeout=10, json={
        "cart_id": cart_id, "payment_id": CREDITCARD, "redirectURL": "https://shop.example/return",
        "email": "ann@example.org"})
    assert created.status_code == 200
    assert "Amount due: € 26.50" in requests.get(created.json()[0]["url"], timeout=10).text


# --- the plan in the catalogue ----------------------------------------------------------------


def test_the_tests_names_for_the_plan_say_what_it_holds():
    catalogue = load()
    plan = catalogue.location(GROTE_ZAAL).plan
    assert catalogue.location(KLEINE_ZAAL).plan is None and catalogue.location(FOYER).plan is None

    def where(seat_id):
        s = plan.seat(seat_id)
        return (s.section_id, s.row, s.number, s.rank_id, s.blocked)

    assert [(r.id, r.name, r.price_off) for r in plan.ranks] == [(RANG_1, "Rang 1", 0), (RANG_2, "Rang 2", Decimal("3.00"))]
    assert where(FIRST_SEAT) == (PARKET, 1, 1, RANG_1, False) and where(SECOND_SEAT)[:3] == (PARKET, 1, 2)
    assert where(THIRD_SEAT)[:3] == (PARKET, 1, 3)
    assert where(LAST_RANG_1_SEAT) == (PARKET, 6, 24, RANG_1, False)
    assert where(FIRST_RANG_2_SEAT) == (PARKET, 7, 1, RANG_2, False)
    assert where(BLOCKED_SEAT) == (BALKON, 1, 9, RANG_2, True)
    sellable = plan.sellable(240)
    assert sellable[-1].id == LAST_SEAT_FOR_SALE and where(LAST_SEAT_FOR_SALE)[:3] == (BALKON, 3, 14)
    assert where(BEYOND_CAPACITY)[:3] == (BALKON, 3, 15) and BEYOND_CAPACITY not in {s.id for s in sellable}
    assert [s.id for s in sellable].index(FIRST_RANG_2_SEAT) == 144
    # Every Grote Zaal performance sells from the plan, other halls from none.
    for show in catalogue.shows:
        for perf in show.performances:
            assert (perf.plan is plan) == (perf.location_id == GROTE_ZAAL)
    _, family = catalogue.performance(ZWANENMEER_FIRST)
    assert (family.price(ADULT, RANG_2), family.price(CHILD, RANG_2)) == (Decimal("14.50"), Decimal("6.50"))


def test_the_large_venue_numbers_its_big_hall(start_sandbox):
    catalogue = load("large:20")
    numbered = {perf.location_id for show in catalogue.shows for perf in show.performances if perf.plan}
    assert numbered == {11}  # the Schouwburgzaal only
    perf = next(p for s in catalogue.shows for p in s.performances if p.plan)
    assert len(perf.plan.sellable(perf.capacity)) == perf.capacity == 650
    pep = Peppered(start_sandbox(SANDBOX_CATALOGUE="large:20"))
    plan = pep.get(f"seating/{perf.id}").json()
    assert [s["sectionName"] for s in plan["sections"]] == ["Parket", "Balkon"]
    assert plan["available"] == (650 - perf.presold if perf.for_sale(datetime.now(AMSTERDAM)) else 0)


@pytest.mark.parametrize("change, message", [
    (lambda c: c["events"][0]["sub_events"][0].update(capacity=245), "more than the 244 seats"),
    (lambda c: c["locations"][0]["seating"]["ranks"][0].update(rank_id=0), "rank_id must be"),
    (lambda c: c["locations"][0]["seating"]["sections"][0]["rows"][0].update(rank_id=7), "not one of the hall's ranks"),
    (lambda c: c["locations"][0]["seating"]["sections"][0]["rows"][0].update(blocked=[25]), "blocked seats"),
    (lambda c: c["locations"][0]["seating"]["sections"][0]["rows"][1].update(row_nr=1), "row 1 twice"),
    (lambda c: c["locations"][0]["seating"]["ranks"][1].update(price_off="0.005"), "whole cents"),
])
def test_a_plan_that_cannot_be_sold_from_stops_the_start(start_sandbox, demo_catalogue, change, message):
    change(demo_catalogue)
    with pytest.raises(SettingsError, match="SANDBOX_CATALOGUE") as error:
        start_sandbox(demo_catalogue)
    assert message in str(error.value)


def test_a_database_from_before_the_plan_is_upgraded(start_sandbox, tmp_path):
    db = sqlite3.connect(tmp_path / "sandbox.sqlite3")  # the file start_sandbox uses
    db.executescript("""
        CREATE TABLE carts (cart_id TEXT PRIMARY KEY, client TEXT NOT NULL, touched_at REAL NOT NULL, order_key TEXT);
        CREATE TABLE seats (seat_no INTEGER PRIMARY KEY AUTOINCREMENT, seat_id TEXT UNIQUE NOT NULL,
                            cart_id TEXT NOT NULL, event_id INTEGER NOT NULL, discount_id TEXT NOT NULL,
                            price TEXT NOT NULL);
    """)
    db.close()
    pep = Peppered(start_sandbox())
    cart_id = pep.new_cart()
    assert pep.public_add(cart_id, DE_STORM_FIRST, 1).ok and pep.post(f"cart/{cart_id}", [seat(SECOND_SEAT)]).ok
    assert pep.free_seats(DE_STORM_FIRST)[0] == THIRD_SEAT
