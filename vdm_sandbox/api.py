"""The sandbox's JSON API under /v1/<client_name>/, in VdM's shapes and quirks:
events dates YYYY-MM-DD but cart dates DD-MM-YYYY, an empty cart as
`[{"cart": 0}]`, order/create answering a list, errors as `{"message": ...}`."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, jsonify, request, url_for

from . import sandbox
from .catalogue import NO_VIEW_END, VIEW_END_FORMAT, Performance, Show, money
from .ids import CLIENT_NAME
from .store import Refused

bp = Blueprint("sandbox_api", __name__, url_prefix="/v1/<client_name>")

TEXT_LIMIT = 500


@bp.url_value_preprocessor
def pop_client(endpoint, values):
    g.client = values.pop("client_name", "")
    if not CLIENT_NAME.match(g.client):
        abort(404)


@bp.before_request
def upstream_delay():
    # Lets benchmarks and fault tests see the shop behind a realistically slow API.
    if sandbox().delay:
        time.sleep(sandbox().delay)


@bp.errorhandler(Refused)
def refused(error: Refused):
    return jsonify({"message": error.message}), error.status


# --- events --------------------------------------------------------------------


def _image(path: str | None) -> str | None:
    if not path or path.startswith(("http://", "https://")):
        return path
    return sandbox().base_url() + "sandbox/static/" + path.lstrip("/")


def _sub_event(show: Show, perf: Performance, free: dict[int, int]) -> dict:
    return {
        "event_id": perf.id,
        "event_main_id": show.id,
        "event_name": show.name,
        "event_text": show.text,
        "event_short_text": show.short_text,
        "event_url": show.url,
        "event_image": _image(show.image),
        "event_date": perf.day.isoformat(),
        "event_time": perf.time,
        "event_end": perf.end,
        # As the catalogue sets it. Assumption (VdM documents only "an optional cut-off later than
        # the end time"): the sandbox serves it but hides nothing and refuses no sale because of it.
        "event_view_end": perf.view_end.strftime(VIEW_END_FORMAT) if perf.view_end else NO_VIEW_END,
        "event_rep": "sub",
        "event_free": free.get(perf.id, 0),  # 0 unless for sale: see Store.free
        "event_status": perf.status,
        "location_id": perf.location_id,
        "location_name": perf.location_name,
        # Undocumented (see vdm-api.md): the genre names. Assumption: a sub event carries
        # its own list, which is its show's unless the catalogue gives it one of its own.
        "event_type": list(perf.genres),
    }


def _main_event(show: Show, performances, free: dict[int, int]) -> dict:
    return {
        "event_id": show.id,
        "event_name": show.name,
        "event_text": show.text,
        "event_short_text": show.short_text,
        "event_image": _image(show.image),
        "event_type": list(show.genres),
        "sub_events": [_sub_event(show, p, free) for p in performances],
    }


@bp.get("/events")
def events():
    free = sandbox().store.free()
    return jsonify([_main_event(s, s.performances, free) for s in sandbox().catalogue.shows])


@bp.get("/events/upcoming")
def upcoming():
    free, moment = sandbox().store.free(), sandbox().store.now()
    answer = []
    for show in sandbox().catalogue.shows:
        future = [p for p in show.performances if p.starts_at > moment]
        if future:
            answer.append(_main_event(show, future, free))
    return jsonify(answer)


@bp.get("/events/<event_id>")
def event(event_id: str):
    number = _int(event_id)
    catalogue, free = sandbox().catalogue, sandbox().store.free()
    show = catalogue.show(number) if number is not None else None
    if show is not None:
        return jsonify([_main_event(show, show.performances, free)])
    show, perf = catalogue.performance(number) if number is not None else (None, None)
    if perf is None:
        raise Refused("Event not found", 404)
    return jsonify([_sub_event(show, perf, free)])


@bp.get("/tickettypes/<event_id>")
def ticket_types(event_id: str):
    number = _int(event_id)
    _, perf = sandbox().catalogue.performance(number) if number is not None else (None, None)
    if perf is None:
        raise Refused("sub_event not found", 404)
    return jsonify([t.as_json() for t in perf.ticket_types])


# --- halls and genres: undocumented by VdM, shapes as a maintained plugin reads them ------


@bp.get("/locations")
def locations():
    return jsonify([loc.as_json() for loc in sandbox().catalogue.locations])


@bp.get("/locations/<location_id>")
def location(location_id: str):
    # Assumption: VdM's answer is not known (the plugin builds this URL but never calls it).
    # Like `events/<id>`, the sandbox answers the one hall in a list, and an unknown id with
    # a 404 error object.
    number = _int(location_id)
    hall = sandbox().catalogue.location(number) if number is not None else None
    if hall is None:
        raise Refused("Location not found", 404)
    return jsonify([hall.as_json()])


@bp.get("/eventtypes")
def event_types():
    return jsonify([{"eventtype_name": name} for name in sandbox().catalogue.genres])


@bp.get("/eventtypes/<path:name>")
def events_of_type(name: str):
    """The shows of one genre, in the shape of `events` (all performances, past ones too).

    Assumptions, as VdM's answers are not known: the name must match exactly; a show of
    the genre comes with all its performances, a show of which only some performances
    carry the genre with just those; an unknown genre is an empty list, not an error."""
    free, answer = sandbox().store.free(), []
    for show in sandbox().catalogue.shows:
        if name in show.genres:
            answer.append(_main_event(show, show.performances, free))
            continue
        some = [p for p in show.performances if name in p.genres]
        if some:
            answer.append(_main_event(show, some, free))
    return jsonify(answer)


@bp.get("/paymentmethods")
def payment_methods():
    return jsonify([
        {"payment_id": m.id, "payment_desc": m.description, "payment_cost": money(m.cost)}
        for m in sandbox().catalogue.payment_methods
    ])


# --- cart ----------------------------------------------------------------------


def _cart_json(seats) -> list[dict]:
    if not seats:
        return [{"cart": 0}]
    items, total = [], Decimal(0)
    for seat in seats:
        show, perf = sandbox().catalogue.performance(seat["event_id"])
        ticket_type = perf.ticket_type(seat["discount_id"])
        place = perf.plan.seat(seat["place"]) if perf.plan and seat["place"] else None
        total += Decimal(seat["price"])
        items.append({
            "seat_id": seat["seat_id"],
            # Assumption: VdM fills these for a numbered seat ("0" in an unnumbered hall).
            "seat_row_nr": str(place.row) if place else "0",
            "seat_nr": str(place.number) if place else "0",
            "pmp_name": None,
            "event_id": perf.id,
            "event_name": show.name,
            "location_name": perf.location_name,
            "event_date": perf.day.strftime("%d-%m-%Y"),
            "event_time": perf.time[:5],
            "numberoftickets": 1,
            "seat_price": seat["price"],
            "category_name": "standard",
            "discount_id": seat["discount_id"],
            "discount_name": ticket_type.name if ticket_type else "",
        })
    items.append({"totalprice": money(total)})
    return items


@bp.post("/cart")
@bp.post("/cart/")
def create_cart():
    cart_id = sandbox().store.create_cart(g.client)
    response = jsonify({"cart_id": cart_id})
    response.status_code = 201
    response.headers["Location"] = url_for(".cart", client_name=g.client, cart_id=cart_id)
    return response


@bp.get("/cart/<cart_id>")
def cart(cart_id: str):
    return jsonify(_cart_json(sandbox().store.cart_seats(g.client, cart_id)))


@bp.post("/cart/<cart_id>")
def add_to_cart(cart_id: str):
    body = _body()
    event_id = _int(body.get("event_id"))
    quantity = _int(body.get("numberoftickets"))
    discount_id = body.get("discount_id")
    if event_id is None:
        raise Refused("event_id must be an integer")
    if quantity is None:
        raise Refused("numberoftickets must be an integer")
    if not isinstance(discount_id, str) or not discount_id:
        raise Refused("discount_id is required")
    seats = sandbox().store.add(g.client, cart_id, event_id, quantity, discount_id)
    return jsonify(_cart_json(seats))


@bp.delete("/cart/<cart_id>/<seat_id>")
def remove_seat(cart_id: str, seat_id: str):
    return jsonify(_cart_json(sandbox().store.remove(g.client, cart_id, seat_id)))


# --- orders --------------------------------------------------------------------

CUSTOMER_FIELDS = ("email", "firstname", "lastname", "phone", "address", "city", "zip")


@bp.post("/order/create")
def create_order():
    body = _body()
    cart_id = body.get("cart_id")
    payment_id = _int(body.get("payment_id"))
    redirect_url = body.get("redirectURL")
    if not isinstance(cart_id, str) or not cart_id:
        raise Refused("cart_id is required")
    if payment_id is None:
        raise Refused("payment_id must be an integer")
    if not isinstance(redirect_url, str) or not _is_web_url(redirect_url):
        raise Refused("redirectURL must be an http(s) URL")
    customer = {name: str(body.get(name) or "")[:TEXT_LIMIT] for name in CUSTOMER_FIELDS}
    if "@" not in customer["email"]:
        raise Refused("email is required")
    customer["avg_optin"] = _bool(body.get("avg_optin"))
    customer["avg_mailinglist"] = _bool(body.get("avg_mailinglist"))
    public_url = sandbox().base_url()
    order_key = sandbox().store.create_order(g.client, cart_id, payment_id, customer, redirect_url, public_url)
    return jsonify([{"url": f"{public_url}sandbox/pay/{order_key}", "order_key": order_key}])


@bp.get("/order/<order_key>")
def order_status(order_key: str):
    order = sandbox().store.order(order_key, g.client)
    base = f"{order.public_url}sandbox/order/{order.order_key}"
    return jsonify({
        "order_payment_status": order.status,
        "order_tickets_nr": len(order.seats),
        "order_tickets_url": f"{base}/ticket",
        "order_receipt_url": f"{base}/receipt",
        "seats": [
            {"seat_id": seat["seat_no"], "event_name": sandbox().catalogue.performance(seat["event_id"])[0].name,
             "event_type": None}
            for seat in order.seats
        ],
    })


# --- input ---------------------------------------------------------------------


def _body() -> dict:
    """VdM's documentation does not say JSON or form: accept both."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Refused("The body must be a JSON object")
        return data
    return request.form.to_dict()


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value.strip()):
        return int(value)
    return None


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return value is True or value == 1


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
