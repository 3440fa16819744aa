"""The sandbox's authenticated ("Peppered") API under /v1/<client_name>/peppered/: halls, a
performance's seating plan, and the richer cart (chosen seats, donations, its time-out).

The shapes are VdM's documented ones: camelCase, money as JSON numbers, date-times in ISO 8601
with the venue's offset. Where VdM's documentation is silent the sandbox assumes, and says so
here (each is a question to confirm with VdM):
- a missing or wrong key is 401 `{"message": ...}`;
- `hallId` is the public `location_id`, and the Peppered cart is the public cart (same id);
- a ticket item names its `eventId` (a seat id is the hall's, not the performance's), and it
  carries `rankId`, and for a numbered seat `seatId`, `sectionName`, `rowNr` and `seatNr` (as
  the order export names them); its `itemId` is the public cart line's `seat_id`;
- an add is all or nothing: 409 with `seatIds` when stock is gone, 422 for an item that can
  never be added (unknown event, price level or seat; a bad donation);
- every change to a cart (adding, removing) gives it its full time again: `timeOut` moves.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from . import sandbox
from .api import _int, pop_client, upstream_delay
from .catalogue import Location
from .seating import CENT, DONATION_RANK, SeatingPlan
from .store import Availability, HeldCart, Refused, SeatsNotFree, TicketRequest
from .venue_time import VENUE_TZ

bp = Blueprint("sandbox_peppered", __name__, url_prefix="/v1/<client_name>/peppered")
bp.url_value_preprocessor(pop_client)
bp.before_request(upstream_delay)

DONATION = "donation"  # a donation item's priceId
DONATION_MIN, DONATION_MAX = Decimal("0.01"), Decimal("10000.00")
MAX_ITEMS = 50  # items in one add


# --- the key -------------------------------------------------------------------


def _presented_key() -> str | None:
    """The key the request sends: raw (`Authorization: <key>`), or as Basic auth's user name
    with an empty password. VdM takes no `Bearer` prefix: such a header is no key."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return header or None
    try:
        user, colon, password = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if colon and not password else None


@bp.before_request
def require_key():
    presented = _presented_key()
    if presented is None or not hmac.compare_digest(presented.encode(), sandbox().settings.api_key.encode()):
        response = jsonify({"message": "Unauthenticated."})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="VdM Peppered"'
        return response
    return None


@bp.errorhandler(Refused)
def refused(error: Refused):
    body = {"message": error.message}
    if isinstance(error, SeatsNotFree):
        body["seatIds"] = error.seat_ids
    return jsonify(body), error.status


# --- shapes --------------------------------------------------------------------


def _money(amount: Decimal | str) -> Decimal:
    """Money as VdM's Peppered examples give it: a JSON number (24.50), written by `_answer`."""
    return Decimal(amount)


def _answer(data: Any) -> Response:
    """A JSON answer whose Decimal money is a JSON number from its own digits (Flask would
    write a string, and a float is never in between): each Decimal stands in as a marker
    string with this answer's own random tag, replaced by the number."""
    tag, numbers = secrets.token_hex(8), []

    def number(value: Any) -> str:
        if not isinstance(value, Decimal):
            raise TypeError(f"{type(value).__name__} is not JSON")
        numbers.append(format(value, "f"))
        return f"{tag}:{len(numbers) - 1}"

    text = json.dumps(data, default=number)
    return Response(re.sub(rf'"{tag}:(\d+)"', lambda found: numbers[int(found.group(1))], text),
                    mimetype="application/json")


def _moment(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, VENUE_TZ).isoformat(timespec="seconds")


def _hall(hall: Location) -> dict:
    return {"hallId": hall.id, "hallName": hall.name, "hallAddress": hall.address.get("location_address"),
            "hallZip": hall.address.get("location_zip"), "hallCity": hall.address.get("location_city"),
            "hallPhone": hall.address.get("location_phone"), "hallUrl": hall.url}


def _sections(plan: SeatingPlan, free: frozenset[str]) -> list[dict]:
    sections: dict[int, dict] = {}
    for seat in plan.seats:
        section = sections.setdefault(seat.section_id, {"sectionId": seat.section_id,
                                                        "sectionName": seat.section_name, "rows": {}})
        row = section["rows"].setdefault(seat.row, {"rowNr": seat.row, "seats": []})
        row["seats"].append({"seatId": seat.id, "seatNr": seat.number, "rankId": seat.rank_id,
                             "available": seat.id in free})
    return [{**section, "rows": list(section["rows"].values())} for section in sections.values()]


def _seating(availability: Availability) -> dict:
    perf = availability.performance
    return {
        "eventId": perf.id,
        "hallId": perf.location_id,
        "priceLevels": [{"priceId": t.id, "rankId": r.id, "name": r.name, "amount": _money(perf.price(t.id, r.id))}
                        for r in perf.ranks for t in perf.ticket_types],
        "sections": _sections(perf.plan, availability.free) if perf.plan else [],
        "available": availability.left,
    }


def _ticket(line) -> dict:
    show, perf = sandbox().catalogue.performance(line["event_id"])
    ticket_type = perf.ticket_type(line["discount_id"])
    seat = perf.plan.seat(line["place"]) if perf.plan and line["place"] else None
    item = {"itemType": "ticket", "itemId": line["seat_id"], "eventId": perf.id, "priceId": line["discount_id"],
            "priceName": ticket_type.name if ticket_type else "", "description": f"{show.name} — {perf.location_name}",
            "amount": _money(line["price"]), "rankId": seat.rank_id if seat else perf.ranks[0].id}
    if seat:
        item.update(seatId=seat.id, sectionName=seat.section_name, rowNr=seat.row, seatNr=seat.number)
    return item


def _donation(row) -> dict:
    return {"itemType": "donation", "itemId": row["item_id"], "priceId": DONATION, "rankId": DONATION_RANK,
            "description": "Donation", "amount": _money(row["amount"])}


def _summary(cart: HeldCart) -> dict:
    amount = sum((Decimal(x["price"]) for x in cart.seats), Decimal(0)) + sum(
        (Decimal(d["amount"]) for d in cart.donations), Decimal(0))
    return {"cartId": cart.cart_id, "timeOut": _moment(cart.expires_at),
            "numberOfItems": len(cart.seats) + len(cart.donations), "amount": _money(amount)}


def _cart(cart: HeldCart) -> dict:
    return {**_summary(cart), "cartItems": [_ticket(line) for line in cart.seats] + list(map(_donation, cart.donations))}


# --- input ---------------------------------------------------------------------


def _unprocessable(message: str):
    return Refused(message, 422)


def _ticket_request(item: dict, n: int) -> TicketRequest:
    price_id, rank_id, event_id = item.get("priceId"), _int(item.get("rankId")), _int(item.get("eventId"))
    quantity = 1 if item.get("numberOfTickets") is None else _int(item.get("numberOfTickets"))
    seat_id = item.get("seatId")
    if not isinstance(price_id, str) or not price_id:
        raise _unprocessable(f"item {n}: priceId is required")
    if rank_id is None or event_id is None:
        raise _unprocessable(f"item {n}: rankId and eventId must be integers")
    if quantity is None or quantity < 1:
        raise _unprocessable(f"item {n}: numberOfTickets must be a whole number of at least 1")
    if seat_id is not None and (isinstance(seat_id, bool) or not isinstance(seat_id, (str, int)) or quantity != 1):
        raise _unprocessable(f"item {n}: a seatId (a string or an integer) is one ticket")
    return TicketRequest(event_id, price_id, rank_id, quantity, None if seat_id is None else str(seat_id))


def _decimal(raw) -> Decimal | None:
    """A number as JSON sends it, or as a string (money may come either way)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        return None
    try:
        return Decimal(str(raw).strip())
    except InvalidOperation:
        return None


def _donation_amount(item: dict, n: int) -> Decimal:
    if _int(item.get("rankId")) != DONATION_RANK:
        raise _unprocessable(f"item {n}: a donation has rankId {DONATION_RANK}")
    amount = _decimal(item.get("amount"))
    if amount is None or not amount.is_finite() or amount != amount.quantize(CENT) \
            or not DONATION_MIN <= amount <= DONATION_MAX:
        raise _unprocessable(f"item {n}: a donation's amount must be whole cents from {DONATION_MIN} to {DONATION_MAX}")
    return amount


def _items() -> tuple[list[TicketRequest], list[Decimal]]:
    try:
        data = json.loads(request.get_data(), parse_float=Decimal)  # money exact, as it was sent
    except ValueError:  # not JSON, or not UTF-8
        data = None
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_ITEMS:
        raise _unprocessable(f"The body must be a JSON array of 1 to {MAX_ITEMS} items")
    tickets, donations = [], []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise _unprocessable(f"item {n}: must be an object")
        if item.get("priceId") == DONATION:
            donations.append(_donation_amount(item, n))
        else:
            tickets.append(_ticket_request(item, n))
    return tickets, donations


# --- endpoints -----------------------------------------------------------------


@bp.get("/hall")
def halls():
    return _answer([_hall(hall) for hall in sandbox().catalogue.locations])


@bp.get("/hall/<hall_id>")
def hall(hall_id: str):
    number = _int(hall_id)
    found = sandbox().catalogue.location(number) if number is not None else None
    if found is None:
        raise Refused("Hall not found", 404)
    return _answer(_hall(found))


@bp.get("/seating/<event_id>")
def seating(event_id: str):
    number = _int(event_id)
    if number is None:
        raise Refused("Event not found", 404)
    return _answer(_seating(sandbox().store.availability(number)))


@bp.get("/cart/<cart_id>")
def cart(cart_id: str):
    return _answer(_cart(sandbox().store.held_cart(g.client, cart_id)))


@bp.get("/cart/<cart_id>/summary")
def summary(cart_id: str):
    return _answer(_summary(sandbox().store.held_cart(g.client, cart_id)))


@bp.post("/cart/<cart_id>")
def add_items(cart_id: str):
    tickets, donations = _items()
    return _answer(_cart(sandbox().store.add_items(g.client, cart_id, tickets, donations)))


@bp.delete("/cart/<cart_id>/<item_id>")
def remove_item(cart_id: str, item_id: str):
    return _answer(_cart(sandbox().store.remove_item(g.client, cart_id, item_id)))
