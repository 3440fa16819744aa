"""The buyer's cart: its id in the signed session, adding seats to it (a number of a ticket type,
or chosen seats), its lines, and until when it is held.

The cart itself lives at VdM and is never cached; the session keeps only its id
and the number of tickets, for the header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Callable, TypeVar

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from shop.domain.ledger import LedgerUnavailable
from shop.domain.ordering import settle
from shop.infra.box_office import box_office
from shop.vdm import Cart, CartNotFound, NotFound, Rejected, Seat, TicketType
from shop.vdm.models import now
from shop.vdm.peppered import HeldCart, NewItem

T = TypeVar("T")

# --- the cart in the session ---------------------------------------------------------


def remember(cart: Cart) -> None:
    session["cart_id"] = cart.id
    session["cart_count"] = cart.count


def forget() -> None:
    session.pop("cart_id", None)
    session.pop("cart_count", None)
    session.pop("held_until", None)


def drop_expired() -> None:
    expired = _held_until()
    forget()
    if expired is not None and expired <= now():
        # The one way the shop writes a time (shop/infra/i18n.py), as the templates' filter.
        flash(_("Your cart expired at %(time)s, so it was emptied. Please choose your tickets again.",
                time=current_app.jinja_env.filters["time"](expired)), "warning")
    else:
        flash(_("Your cart had expired, so it was emptied. Please choose your tickets again."), "warning")


def held(cart: Cart | None) -> HeldCart | None:
    """The cart as VdM's authenticated API shows it (with when it expires, and the seats' rows
    and numbers), or None when the shop has no such view of it (seat choice off, VdM failing).
    When it expires is kept, so that the buyer can be told later when an emptied cart expired."""
    if cart is None or cart.is_empty:
        return None
    found = box_office().held_cart(cart.id)
    if found is not None and found.cart_id in ("", cart.id):
        _keep_held_until(found)
    return found


def seats_in_cart() -> set[str]:
    """The plan's seats already in the buyer's cart (none known without seat choice)."""
    cart_id = session.get("cart_id")
    found = box_office().held_cart(cart_id) if cart_id and session.get("cart_count") else None
    return {item.seat_id for item in found.items if item.seat_id} if found else set()


def _keep_held_until(cart: HeldCart) -> None:
    if cart.time_out is not None:
        session["held_until"] = cart.time_out.isoformat()
    else:
        session.pop("held_until", None)


def _held_until() -> datetime | None:
    try:
        return datetime.fromisoformat(session.get("held_until", ""))
    except (TypeError, ValueError):
        return None


def load() -> Cart | None:
    """The buyer's cart, or None. A cart VdM no longer knows is dropped and the buyer told."""
    cart_id = session.get("cart_id")
    if not cart_id:
        return None
    try:
        cart = box_office().cart(cart_id)
    except CartNotFound:
        drop_expired()
        return None
    remember(cart)
    return cart


class AddFailed(Exception):
    def __init__(self, ticket_type: TicketType, message: str, added: list[tuple[TicketType, int]]):
        super().__init__(message)
        self.ticket_type = ticket_type
        self.message = message
        self.added = added


def ledger():
    return current_app.extensions["ledger"]


def noted(call, *args, otherwise=None):
    """A ledger call made for changing a cart. While the ledger (Redis) is away no order can be
    placed at all, so changing the cart is safe: it goes ahead as if the call had succeeded."""
    try:
        return call(*args)
    except LedgerUnavailable:
        return otherwise


def new_cart(gone: list[str] | None = None) -> str:
    """A new cart for this browser. Two tabs making their first cart at the same moment share
    the one made first (the other, still empty, holds nothing), unless it is `gone`."""
    cart_id = box_office().create_cart()
    token = session.get("csrf_token")  # the same in every tab of this browser's session
    if token:
        browser = hashlib.sha256(f"cart:{token}".encode()).hexdigest()[:32]
        cart_id = noted(ledger().session_cart, browser, cart_id, (gone or []) + session.get("ordered_carts", []),
                        otherwise=cart_id)
    session["cart_id"], session["cart_count"] = cart_id, 0
    return cart_id


class Held:
    """The cart a request changes, held against being ordered meanwhile (a lease in the ledger)."""

    def __init__(self, cart_id: str):
        self.cart_id = cart_id
        for _attempt in range(3):
            if noted(ledger().lease, cart_id, otherwise=True):
                return
            if settle(ledger(), cart_id, current_app.config["VDM_READ_TIMEOUT"] + 2) is not None:
                break  # it is being ordered, or was: its seats are that order's
        forget()
        flash(_("Your previous cart is being ordered, so these tickets are in a new cart."), "warning")
        self.move()

    def move(self) -> None:
        """Hold a new cart instead (the old one is gone or ordered)."""
        noted(ledger().unlease, self.cart_id)
        self.cart_id = new_cart(gone=[self.cart_id])
        noted(ledger().lease, self.cart_id)

    def __enter__(self) -> Held:
        return self

    def __exit__(self, *_exc) -> None:
        noted(ledger().unlease, self.cart_id)


def add(performance_id: int, chosen: list[tuple[TicketType, int]]) -> Cart:
    """Put each chosen ticket type in the cart, making a new cart when there is none, it expired
    or it is being ordered. Raises AddFailed naming the ticket type VdM refused and what was
    added before it."""
    with Held(session.get("cart_id") or new_cart()) as held:
        return _add(held, performance_id, chosen)


def _put(held: Held, put: Callable[[str], T], *, first: bool) -> T:
    """`put(cart_id)` on the held cart. Putting into a cart that is gone changed nothing, so the
    first put goes into a new cart instead; after that, CartNotFound is the caller's."""
    try:
        return put(held.cart_id)
    except CartNotFound:
        if not first:
            raise
    forget()
    flash(_("Your previous cart had expired, so these tickets are in a new one."), "warning")
    held.move()
    return put(held.cart_id)


def _add(held: Held, performance_id: int, chosen: list[tuple[TicketType, int]]) -> Cart:
    added: list[tuple[TicketType, int]] = []
    cart = None
    for ticket_type, quantity in chosen:
        try:
            cart = _put(held, partial(_add_one, performance_id=performance_id, quantity=quantity,
                                      ticket_type_id=ticket_type.id), first=not added)
        except CartNotFound as error:  # it vanished between our own calls: say so, keep what is known
            drop_expired()
            raise AddFailed(ticket_type, error.message, added) from error
        except (Rejected, NotFound) as error:
            if cart is not None:
                remember(cart)
            raise AddFailed(ticket_type, error.message, added) from error
        added.append((ticket_type, quantity))
    remember(cart)
    session.pop("held_until", None)  # adding may have moved when the cart expires: no longer known
    return cart


def _add_one(cart_id: str, *, performance_id: int, quantity: int, ticket_type_id: str) -> Cart:
    return box_office().add_to_cart(cart_id, performance_id, quantity, ticket_type_id)


def add_seats(items: list[NewItem]) -> HeldCart:
    """Put chosen seats in the cart in one call (VdM adds all of them or none), making a new cart
    when there is none, it expired or it is being ordered. Raises VdM's refusal as it is
    (SeatsTaken names the seats that are no longer free)."""
    with Held(session.get("cart_id") or new_cart()) as held:
        try:
            cart = _put(held, lambda cart_id: box_office().add_items(cart_id, items), first=True)
        except CartNotFound:
            drop_expired()
            raise
        session["cart_id"] = held.cart_id
        session["cart_count"] = sum(1 for item in cart.items if not item.is_donation)
        _keep_held_until(cart)
        return cart


REMOVED, NOT_THERE, BEING_ORDERED, EXPIRED = "removed", "not-there", "being-ordered", "expired"


def remove(seat_id: str) -> str:
    """Take one seat out of the buyer's cart; returns what happened (one of the four above)."""
    cart_id = session.get("cart_id")
    if not cart_id:
        return NOT_THERE
    if not noted(ledger().lease, cart_id, otherwise=True):  # being ordered: the order is the cart as confirmed
        return BEING_ORDERED
    try:
        remember(box_office().remove_seat(cart_id, seat_id))
        session.pop("held_until", None)  # as after adding: when the cart expires may have moved
        return REMOVED
    except CartNotFound:
        return EXPIRED
    except (NotFound, Rejected):
        return NOT_THERE
    finally:
        noted(ledger().unlease, cart_id)


# --- the cart as the buyer reads it: lines per performance and ticket type --------------------


@dataclass
class Line:
    """Seats of one ticket type at one price, for one performance."""

    name: str
    price: Decimal
    seats: list[Seat] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return self.price * len(self.seats)


@dataclass
class Group:
    event_id: int
    name: str
    starts_at: datetime
    location: str
    lines: list[Line] = field(default_factory=list)


def grouped(cart: Cart) -> list[Group]:
    groups: dict[int, Group] = {}
    lines: dict[tuple, Line] = {}
    for seat in sorted(cart.seats, key=lambda s: (s.starts_at, s.event_id, s.discount_name, s.price)):
        group = groups.setdefault(seat.event_id, Group(seat.event_id, seat.event_name, seat.starts_at,
                                                       seat.location_name))
        key = (seat.event_id, seat.discount_id, seat.discount_name, seat.price)
        if key not in lines:
            lines[key] = Line(seat.discount_name, seat.price)
            group.lines.append(lines[key])
        lines[key].seats.append(seat)
    return list(groups.values())


def refusal(sentence: str, reason: str) -> Markup:
    """The shop's own sentence, then VdM's reason as a quotation of its own. VdM's messages are
    English ("Event not found"), so they are marked as such rather than set inside a sentence
    of the buyer's language."""
    return Markup("{} {} <q lang=\"en\">{}</q>").format(sentence, _("The box office said:"), escape(reason))


def added_message(added: list[tuple[TicketType, int]]) -> str:
    return tickets_added(sum(quantity for _, quantity in added))


def tickets_added(count: int) -> str:
    return ngettext("%(num)d ticket was added to your cart.", "%(num)d tickets were added to your cart.", count)
