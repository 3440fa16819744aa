"""Choosing numbered seats: the rules without HTTP (shop/domain/seating.py, with plain values),
then the pages through Flask's test client against the sandbox, which serves the demo's Grote
Zaal with a numbered plan behind its API key."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from demo import (
    DE_STORM_FIRST,
    FIRST_SEAT,
    NACHTVLINDERS_FIRST,
    NOT_ON_SALE_YET,
    RANG_1,
    SECOND_SEAT,
    SENIOR,
    STADSPAS,
    STANDARD,
    THIRD_SEAT,
)
from helpers import Buyer, Clock, csrf_token, in_front_of, record_paths, text

from shop.domain import cart_session, seating
from shop.domain.ledger import OrderLine, Purchase
from shop.vdm import VENUE_TZ, TicketType, VdmClient
from shop.vdm.peppered import HeldCart, HeldItem, NewItem, PriceLevel, Row, Seat, SeatPlan, Section

KEY = "a-test-api-key-of-the-sandbox"
PLAN = f"/performances/{DE_STORM_FIRST}/seats"
TYPES = PLAN + "/types"


def say(sentence: str, **values) -> str:
    """gettext as it works in English: the sentence with its values."""
    return sentence % values if values else sentence


def euros(amount: Decimal) -> str:
    return f"€{amount}"


# --- the rules, with plain values ------------------------------------------------------------------


def ticket_type(type_id: str, name: str) -> TicketType:
    return TicketType(type_id, name, Decimal("24.50"), "", Decimal(0), Decimal("24.50"))


TYPES_OFFERED = (ticket_type("std", "Standaard"), ticket_type("pas", "Stadspas"))


def small_plan(*, available: dict[str, bool] | None = None) -> SeatPlan:
    """Parket: row 3 with seats 11, 12 (rank 42) and 13 (rank 7, whose only level is a ticket type
    no longer offered); Balkon: row 1 with seat 1 (rank 43)."""
    free = {"p11": True, "p12": True, "p13": True, "b1": True, **(available or {})}

    def seat(seat_id, number, rank):
        return Seat(seat_id, number, rank, free[seat_id])

    return SeatPlan(95, 1, (
        PriceLevel("std", 42, "Rang 1", Decimal("24.50")), PriceLevel("pas", 42, "Rang 1", Decimal("18.38")),
        PriceLevel("std", 43, "Rang 2", Decimal("21.50")), PriceLevel("gone", 7, "Loge", Decimal("60.00")),
    ), (
        Section("5", "Parket", (Row("3", (seat("p11", "11", 42), seat("p12", "12", 42), seat("p13", "13", 7))),)),
        Section("6", "Balkon", (Row("1", (seat("b1", "1", 43),)),)),
    ), 4)


def test_a_seat_is_named_with_everything_about_it():
    picker = seating.picker(small_plan(available={"p12": False}), TYPES_OFFERED, yours=["b1"])
    assert picker.seat("p11").label(say, euros) == "Parket, row 3, seat 11, Rang 1, from €18.38"
    assert picker.seat("p12").label(say, euros) == "Parket, row 3, seat 12, taken"
    assert picker.seat("b1").label(say, euros) == "Balkon, row 1, seat 1, in your cart"
    only_one_price = seating.picker(small_plan(), TYPES_OFFERED).seat("b1")
    assert only_one_price.label(say, euros) == "Balkon, row 1, seat 1, Rang 2, €21.50"


def test_the_plan_keeps_sections_rows_and_the_order_of_seats():
    picker = seating.picker(small_plan(), TYPES_OFFERED)
    assert [(s.name, [(r.number, [seat.place.number for seat in r.seats]) for r in s.rows]) for s in picker.sections] \
        == [("Parket", [("3", ["11", "12", "13"])]), ("Balkon", [("1", ["1"])])]
    assert [seat.position for s in picker.sections for r in s.rows for seat in r.seats] == [0, 1, 2, 3]
    assert [s.free for s in picker.sections] == [2, 1] and picker.free == 3


def test_a_seat_allows_the_offered_ticket_types_of_its_rank():
    picker = seating.picker(small_plan(), TYPES_OFFERED)
    assert [(lv.price_id, lv.name, lv.amount) for lv in picker.seat("p11").levels] == [
        ("std", "Standaard", Decimal("24.50")), ("pas", "Stadspas", Decimal("18.38"))]
    assert [lv.price_id for lv in picker.seat("b1").levels] == ["std"]
    # Rank 7's only ticket type is no longer offered: its seat cannot be chosen, and the key leaves it out.
    assert picker.seat("p13").levels == () and picker.seat("p13").state == seating.TAKEN
    assert [(r.name, r.from_price, r.style) for r in picker.ranks] == [
        ("Rang 1", Decimal("18.38"), 0), ("Rang 2", Decimal("21.50"), 1)]


def test_seats_named_taken_by_vdm_are_taken_whatever_the_plan_said():
    picker = seating.picker(small_plan(), TYPES_OFFERED, taken=("p11",))
    assert picker.seat("p11").state == seating.TAKEN and picker.seat("p12").free


def test_an_id_that_could_not_be_sent_safely_is_not_offered():
    plan = small_plan()
    odd = SeatPlan(plan.event_id, plan.hall_id, plan.price_levels,
                   (Section("5", "Parket", (Row("1", (Seat("a/b", "1", 42, True),)),)),), 1)
    assert not seating.picker(odd, TYPES_OFFERED).seat("a/b").free


def test_choosing_seats():
    picker = seating.picker(small_plan(available={"p12": False}), TYPES_OFFERED)
    good = seating.choose(picker, ["b1", "p11", "b1"], 4, say)
    assert good.ok and good.ids == ("p11", "b1")  # the plan's order, each once
    gone = seating.choose(picker, ["p11", "p12"], 4, say)
    assert gone.ids == ("p11",) and [s.id for s in gone.gone] == ["p12"]
    assert gone.problems == ("Parket, row 3, seat 12 was taken meanwhile. Please choose another seat.",)
    assert seating.choose(picker, ["nope", "p11"], 4, say).problems == (
        "A seat you chose is no longer offered. Please choose again.",)
    assert seating.choose(picker, [], 4, say).problems == ("Choose at least one seat.",)
    too_many = seating.choose(picker, ["p11", "b1"], 1, say)
    assert too_many.problems == ("The most seats you can choose for this performance is 1.",)
    assert too_many.ids == ("p11", "b1")  # kept, for the buyer to untick one


def test_a_ticket_type_for_each_seat():
    picker = seating.picker(small_plan(), TYPES_OFFERED)
    seats = seating.choose(picker, ["p11", "p12", "b1"], 4, say).seats
    chosen, problems = seating.ticket_types(seats, {"type_p12": "pas"}, say)
    assert {seat_id: level.price_id for seat_id, level in chosen.items()} == {"p11": "std", "p12": "pas", "b1": "std"}
    assert problems == ()
    _chosen, problems = seating.ticket_types(seats, {"type_b1": "pas"}, say)  # Rang 2 has no Stadspas
    assert problems == ("The ticket type you chose for Balkon, row 1, seat 1 is not available for that seat. "
                        "Please choose again.",)
    items = seating.new_items(95, seats, chosen)
    assert [(i.price_id, i.rank_id, i.event_id, i.seat_id) for i in items] == [
        ("std", 42, 95, "p11"), ("pas", 42, 95, "p12"), ("std", 43, 95, "b1")]
    assert seating.kept_types(seats[:1], {"type_p11": "pas", "type_zz": "std", "seat": "p11"}) == {"type_p11": "pas"}


def held_item(item_id: str, *, kind="ticket", seat_id=None, section="", row="", number="", amount="24.50"):
    return HeldItem(kind, item_id, 95, "donation" if kind == "donation" else "std", "", "", Decimal(amount), 42,
                    seat_id, section, row, number)


def test_the_places_of_a_cart_s_seats_by_their_public_line():
    held = HeldCart("c", None, 3, Decimal("54.00"), (
        held_item("line-1", seat_id="p11", section="Parket", row="3", number="11"),
        held_item("line-2"),  # best-available in a hall without numbers
        held_item("gift", kind="donation", amount="5.00")))
    assert seating.places(held) == {"line-1": seating.Place("Parket", "3", "11")}
    assert seating.places(None) == {}
    assert seating.Place("Parket", "3", "11").words(say) == "Parket, row 3, seat 11"
    assert seating.Place("", "3", "11").words(say) == "row 3, seat 11"


def test_the_ledger_keeps_a_seat_s_place_and_the_donation_as_data():
    line = OrderLine(95, 94, "Hamlet", datetime(2026, 4, 1, 20, 30, tzinfo=VENUE_TZ), None, "Grote Zaal", 1,
                     "Standaard", Decimal("24.50"), 1, seating.Place("Parket", "3", "11"))
    purchase = Purchase((line,), Decimal("24.50"), Decimal("1.50"), Decimal("5.00"))
    again = Purchase.read(purchase.as_dict())
    assert again == purchase and again.total_paid == Decimal("31.00")
    assert purchase.as_dict()["lines"][0]["seat"] == {"section": "Parket", "row": "3", "number": "11"}
    before = {**purchase.as_dict(), "lines": [{**line.as_dict(), "seat": None}]}
    del before["donation"]  # written before donations were kept
    assert Purchase.read(before).donation == Decimal("0.00") and Purchase.read(before).lines[0].seat is None


# --- the pages, against the sandbox ----------------------------------------------------------------


@pytest.fixture
def seated_sandbox(start_sandbox):
    return start_sandbox(SANDBOX_API_KEY=KEY)


@pytest.fixture
def seated(make_app, seated_sandbox):
    """A shop with the sandbox's key: seat choice, hold times and donations are on."""
    return make_app(seated_sandbox.url, VDM_API_KEY=KEY)


@pytest.fixture
def ann(seated) -> Buyer:
    return Buyer(seated.test_client(), "en")


def seat_boxes(html: str) -> dict[str, str]:
    """The plan's checkboxes: seat id -> the whole input element."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<input type="checkbox" name="seat" value="([^"]+)"[^>]*>', html)}


def seat_name(html: str, seat_id: str) -> str:
    """A seat's accessible name: its label's hidden text."""
    box = seat_boxes(html)[seat_id]
    after = html[html.index(box):]
    return re.search(r'<span class="visually-hidden">([^<]*)</span>', after).group(1)


def chooses(buyer: Buyer, *seats: str, **types: str):
    """Step one: tick `seats` on the plan and continue."""
    return buyer.sends(PLAN, {"seat": list(seats), **types})


def adds_seats(buyer: Buyer, *seats: str, **types: str):
    """Step two, from the page step one leads to: a ticket type per seat (type_<seat>=…), then add."""
    return buyer.posts(TYPES, {"csrf_token": csrf_token(buyer.reads(PLAN)), "seat": list(seats), **types})


def test_the_performance_page_offers_the_plan_beside_best_available(ann):
    page = ann.reads(f"/performances/{DE_STORM_FIRST}")
    assert f'href="{PLAN}"' in page and "Choose your seats" in page
    assert 'class="tickets-form"' in page  # the number of tickets stays


def test_choose_seats_then_their_types_then_the_cart_shows_them_and_their_hold_time(ann, seated_sandbox):
    plan = ann.reads(PLAN)
    assert seat_name(plan, FIRST_SEAT) == "Parket, row 1, seat 1, Rang 1, from €18.38"
    assert "<legend><h2>Parket</h2></legend>" in plan and "<legend><h2>Balkon</h2></legend>" in plan
    step_one = chooses(ann, SECOND_SEAT, FIRST_SEAT)
    assert step_one.status_code == 303
    assert step_one.headers["Location"] == f"{TYPES}?seat={FIRST_SEAT}&seat={SECOND_SEAT}"
    types = ann.reads(step_one.headers["Location"])
    assert re.search(r'<label for="type-0">Parket, row 1, seat 1 <span class="rank">\(Rang 1\)</span></label>', types)
    assert f'<option value="{STANDARD}" selected>Standaard: €24.50</option>' in types  # the first, by default
    assert f'<option value="{STADSPAS}">Stadspas: €18.38</option>' in types

    added = adds_seats(ann, FIRST_SEAT, SECOND_SEAT, **{f"type_{SECOND_SEAT}": STADSPAS})
    assert added.status_code == 303 and added.headers["Location"] == "/cart/"
    cart = ann.cart()
    assert "2 tickets were added to your cart." in cart and ann.cart_count(cart) == 2
    assert re.search(r'Standaard <span class="seat-place">Parket, row 1, seat 1</span>', cart)
    assert re.search(r'Stadspas <span class="seat-place">Parket, row 1, seat 2</span>', cart)
    assert "Remove<span class=\"visually-hidden\">: Stadspas, Parket, row 1, seat 2, De Storm" in cart
    held_until = re.search(r"Your tickets are held until (\d\d:\d\d)\.", cart).group(1)
    expires = datetime.now(VENUE_TZ) + timedelta(seconds=seated_sandbox.app.extensions["sandbox"].store.cart_ttl)
    assert held_until in {(expires - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}
    assert f"Your tickets are held until {held_until}." in ann.reads("/checkout/")
    again = ann.reads(PLAN)
    assert seat_name(again, FIRST_SEAT) == "Parket, row 1, seat 1, in your cart"
    assert "disabled" in seat_boxes(again)[FIRST_SEAT] and "checked" in seat_boxes(again)[FIRST_SEAT]


def test_coming_back_from_the_types_keeps_the_choice(ann):
    back = ann.reads(f"{PLAN}?seat={FIRST_SEAT}&seat={THIRD_SEAT}&type_{THIRD_SEAT}={SENIOR}&type_nope=x")
    boxes = seat_boxes(back)
    assert "checked" in boxes[FIRST_SEAT] and "checked" in boxes[THIRD_SEAT] and "checked" not in boxes[SECOND_SEAT]
    assert f'<input type="hidden" name="type_{THIRD_SEAT}" value="{SENIOR}">' in back and 'name="type_nope"' not in back
    on = chooses(ann, FIRST_SEAT, THIRD_SEAT, **{f"type_{THIRD_SEAT}": SENIOR})
    assert on.headers["Location"].endswith(f"seat={FIRST_SEAT}&seat={THIRD_SEAT}&type_{THIRD_SEAT}={SENIOR}")
    assert f'<option value="{SENIOR}" selected>' in ann.reads(on.headers["Location"])


def test_a_seat_taken_meanwhile_brings_the_plan_back_with_the_other_choices_kept(ann, seated_sandbox):
    ann.reads(f"{TYPES}?seat={FIRST_SEAT}&seat={SECOND_SEAT}")  # Ann is choosing types (the plan is read)...
    takes_at_vdm(seated_sandbox, FIRST_SEAT)  # ...when someone elsewhere takes her first seat
    answer = adds_seats(ann, FIRST_SEAT, SECOND_SEAT, **{f"type_{SECOND_SEAT}": STADSPAS})
    assert answer.status_code == 422
    page = text(answer)
    assert "Not all the seats you chose are still free, so none were added to your cart." in page
    assert_taken_and_the_rest_kept(page)
    assert ann.cart_count(page) == 0  # nothing was added


def test_a_seat_the_shop_knows_is_taken_is_refused_before_asking_vdm(seated, ann):
    ann.reads(f"{TYPES}?seat={FIRST_SEAT}&seat={SECOND_SEAT}")
    bob = Buyer(seated.test_client(), "en")
    assert adds_seats(bob, FIRST_SEAT).status_code == 303  # through this shop: its plan knows at once
    answer = adds_seats(ann, FIRST_SEAT, SECOND_SEAT, **{f"type_{SECOND_SEAT}": STADSPAS})
    assert answer.status_code == 422
    assert_taken_and_the_rest_kept(text(answer))


def takes_at_vdm(sandbox, seat_id: str) -> None:
    """Another buyer, through another shop (or another worker, with its own plans), takes a seat."""
    client = VdmClient(sandbox.url + "/v1", "demo", api_key=KEY)
    try:
        client.add_items(client.create_cart(), [NewItem(STANDARD, RANG_1, DE_STORM_FIRST, seat_id=seat_id)])
    finally:
        client.close()


def assert_taken_and_the_rest_kept(page: str) -> None:
    assert "Parket, row 1, seat 1 was taken meanwhile. Please choose another seat." in page
    boxes = seat_boxes(page)
    assert "disabled" in boxes[FIRST_SEAT] and "checked" not in boxes[FIRST_SEAT]
    assert seat_name(page, FIRST_SEAT) == "Parket, row 1, seat 1, taken"
    assert "checked" in boxes[SECOND_SEAT] and "disabled" not in boxes[SECOND_SEAT]
    assert f'<input type="hidden" name="type_{SECOND_SEAT}" value="{STADSPAS}">' in page


def test_more_seats_than_one_order_may_have(ann, seated):
    plan = ann.reads(PLAN)
    limit = seated.extensions["box_office"].snapshot().performance(DE_STORM_FIRST)[1].free
    seats = list(seat_boxes(plan))[:limit + 1]
    answer = chooses(ann, *seats)
    assert answer.status_code == 422
    assert f"The most seats you can choose for this performance is {limit}." in text(answer)
    assert all("checked" in seat_boxes(text(answer))[s] for s in seats)  # kept, to untick one
    assert adds_seats(ann, *seats).status_code == 422  # step two checks it again


def test_the_same_hold_limits_as_best_available(make_app, seated_sandbox):
    shop = make_app(seated_sandbox.url, VDM_API_KEY=KEY, SHOP_HOLD_MAX_PER_PERFORMANCE="2")
    buyer = Buyer(shop.test_client(), "en")
    answer = adds_seats(buyer, FIRST_SEAT, SECOND_SEAT, THIRD_SEAT)
    assert answer.status_code == 429
    assert "You can hold at most 2 tickets for one performance at a time." in text(answer)
    assert buyer.cart_count() == 0


def test_nothing_chosen_and_a_type_the_seat_does_not_allow(ann):
    nothing = chooses(ann)
    assert nothing.status_code == 422 and "Choose at least one seat." in text(nothing)
    wrong = adds_seats(ann, FIRST_SEAT, **{f"type_{FIRST_SEAT}": "madeUp"})
    assert wrong.status_code == 422 and "is not available for that seat" in text(wrong)
    assert ann.cart_count() == 0


def test_a_form_without_its_token_is_refused(ann):
    assert ann.posts(PLAN, {"seat": FIRST_SEAT}).status_code == 400
    assert ann.posts(TYPES, {"seat": FIRST_SEAT}).status_code == 400
    assert ann.cart_count() == 0


def test_removing_a_seat_keeps_working(ann):
    adds_seats(ann, FIRST_SEAT, SECOND_SEAT)
    line = re.search(r'name="seat_id" value="([^"]+)">\s*<button[^>]*>Remove<span class="visually-hidden">: '
                     r'Standaard, Parket, row 1, seat 2', ann.cart()).group(1)
    assert ann.removes(line).status_code == 303
    cart = ann.cart()
    assert "Parket, row 1, seat 1" in cart and "Parket, row 1, seat 2" not in cart and ann.cart_count(cart) == 1
    assert "in your cart" not in seat_name(ann.reads(PLAN), SECOND_SEAT)


def test_an_expired_hold_says_when_it_expired(start_sandbox, make_app, monkeypatch):
    clock = Clock()
    sandbox = start_sandbox(clock=clock, SANDBOX_API_KEY=KEY)
    buyer = Buyer(make_app(sandbox.url, VDM_API_KEY=KEY).test_client(), "en")
    adds_seats(buyer, FIRST_SEAT)
    held_until = re.search(r"held until (\d\d:\d\d)", buyer.cart()).group(1)
    later = sandbox.app.extensions["sandbox"].store.cart_ttl + 60
    clock.advance(later)
    monkeypatch.setattr(cart_session, "now", lambda: datetime.now(VENUE_TZ) + timedelta(seconds=later))
    cart = buyer.cart()
    assert f"Your cart expired at {held_until}, so it was emptied. Please choose your tickets again." in cart
    assert buyer.cart_count(cart) == 0


def test_the_order_page_says_row_and_seat(ann):
    adds_seats(ann, FIRST_SEAT, SECOND_SEAT, **{f"type_{SECOND_SEAT}": STADSPAS})
    key = ann.places_order()
    ann.pays()
    page = ann.reads(f"/order/{key}")
    assert re.search(r'Standaard <span class="seat-place">Parket, row 1, seat 1</span>', page)
    assert re.search(r'Stadspas <span class="seat-place">Parket, row 1, seat 2</span>', page)


def test_a_hall_without_numbered_seats_has_no_plan(ann):
    page = ann.reads(f"/performances/{NACHTVLINDERS_FIRST}")
    assert "Choose your seats" not in page and "/seats" not in page
    answer = ann.opens(f"/performances/{NACHTVLINDERS_FIRST}/seats")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/performances/{NACHTVLINDERS_FIRST}"


def test_no_plan_for_what_is_not_on_sale_nor_for_what_is_not_there(ann):
    assert "Choose your seats" not in ann.reads(f"/performances/{NOT_ON_SALE_YET}")
    assert ann.opens(f"/performances/{NOT_ON_SALE_YET}/seats").status_code == 303
    assert ann.opens("/performances/999999/seats").status_code == 404


def test_with_seats_off_nothing_changes(make_app, sandbox):
    """No key (the shop on an outside VdM without VDM_API_KEY): the shop as before, no Peppered call."""
    shop = make_app(sandbox.url, SHOP_DONATION="1")
    asked = record_paths(sandbox)
    who = Buyer(shop.test_client(), "en")
    page = who.reads(f"/performances/{DE_STORM_FIRST}")
    assert "Choose your seats" not in page
    assert who.opens(PLAN).status_code == 303
    who.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    cart = who.cart()
    assert "held until" not in cart and "seat-place" not in cart
    checkout = who.reads("/checkout/")
    assert "held until" not in checkout and 'name="donation"' not in checkout
    assert not [path for path in asked if "/peppered/" in path]


def test_a_key_refused_while_adding_turns_seat_choice_off(ann, seated_sandbox):
    def refused(environ, start_response):
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b'{"message": "Unauthenticated."}']

    in_front_of(seated_sandbox, lambda method, path: method == "POST" and "/peppered/" in path, refused)
    answer = adds_seats(ann, FIRST_SEAT)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/performances/{DE_STORM_FIRST}"
    page = ann.reads(f"/performances/{DE_STORM_FIRST}")
    assert "Seats cannot be chosen for this performance." in page and "Choose your seats" not in page
    assert ann.opens(PLAN).status_code == 303 and ann.cart_count() == 0
