"""Placing an order: one cart becomes at most one order, the order is exactly the cart the
buyer confirmed, and the buyer always reaches it. Flask-free: it takes the ledger, the VdM
client (or anything with its `cart` and `create_order`), the cart id and the details, and
returns what happened; the checkout view turns each outcome into a page.

The ledger (shop/ledger.py) keeps, per cart id, one of these states:

    (none)     ── claim ──────────────────────────────▶ CREATING
    CREATING   ── VdM answered with an order ─────────▶ CREATED   (order key, payment URL,
                                                                   what was bought)
    CREATING   ── VdM surely did nothing ─────────────▶ (none)    (release: refused, not sent,
                                                                   cart changed or gone)
    CREATING   ── no usable answer (time-out, 5xx) ───▶ UNCERTAIN
    CREATING   ── its request died (stale, 120 s) ────▶ UNCERTAIN (read as such)
    UNCERTAIN  ── the buyer confirms a new try ───────▶ CREATING  (reclaim)
    CREATED    ── cancelled, buyer takes the cart back ▶ (none)   (forget, in orders.py)
    (none)     ── a request changes the cart ─────────▶ CHANGING  (lease, in cart.py; lapses
                                                                   after 30 s) ──▶ (none)

Only the request holding CREATING may send `order/create`, and only one holding CHANGING may
add or remove seats: so the cart ordered is the cart as the buyer confirmed it (it is read
again under the claim), and seats added in another tab meanwhile go into a new cart.

Every other request for the same cart (a double click, a reload, another tab or host) waits
for the state to settle and then follows it: CREATED goes to the same payment page,
UNCERTAIN asks the buyer first.

What was bought (a `Purchase`) is taken from the cart read under the claim, which is the cart
the buyer confirmed, with the show, times and hall from the catalogue snapshot (and each
numbered seat's row and number from the authenticated cart), and kept with CREATED: VdM's
order status tells only seat ids and show names, and the order page and the buyer's calendar
file need more.

A donation (when the venue asks for them) goes into the cart under the claim, right before
`order/create`, so that no other request changes the cart in between. VdM keeps a donation
in the cart when an order is refused or never sent, so what the cart already holds is
read first: a donation of another amount is taken out, one of the same amount kept. A retry
never adds a second one, and a buyer who leaves the field empty the next time gives nothing.
When the donation cannot be put in (or the cart not read), the claim is released and nothing
is ordered.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from shop.domain.ledger import CHANGING, CREATED, CREATING, Entry, LedgerUnavailable, OrderLine, Purchase
from shop.domain.seating import places
from shop.vdm import Cart, CartNotFound, ConnectFailed, Customer, NotFound, Rejected, Seat, VdmError
from shop.vdm.peppered import DONATION, HeldCart, NewItem

if TYPE_CHECKING:
    from shop.infra.snapshot import Snapshot

log = logging.getLogger(__name__)


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToPayment:
    """The order exists: the buyer goes to pay (or to the order page, without a payment URL)."""

    entry: Entry
    unsafe_payment_url: bool = False  # VdM gave a payment URL the shop will not follow


@dataclass(frozen=True)
class Refused:
    """VdM refused the order; nothing was ordered."""

    reason: str


@dataclass(frozen=True)
class CartChanged:
    """The cart is not the one the buyer confirmed (another tab changed it): ask again."""

    cart: Cart


@dataclass(frozen=True)
class DonationFailed:
    """The donation could not be put in the cart (VdM's reason, or None when the cart could not
    be read); nothing was ordered."""

    reason: str | None


class CartGone:
    """VdM no longer has the cart, and no order of this shop was made from it."""


class NothingOrdered:
    """VdM could not be reached, so certainly nothing was ordered: try again later."""


class MayExist:
    """VdM gave no usable answer: the order may exist. The buyer must confirm a new try."""


class ProbablyCreated:
    """After an uncertain try the cart is gone at VdM: most likely it became the order."""


class StillCreating:
    """Another request is creating this cart's order and did not finish in time."""


Outcome = (ToPayment | Refused | CartChanged | DonationFailed | CartGone | NothingOrdered | MayExist | ProbablyCreated
           | StillCreating)


# --- what was bought -------------------------------------------------------------------------


def purchase_of(cart: Cart, payment_id: int, snapshot: Snapshot | None, held: HeldCart | None = None,
                donation: Decimal = Decimal("0.00")) -> Purchase:
    """The cart as the buyer confirmed it: one line per performance, ticket type and price (one
    per seat for numbered seats, with their place from `held`, the authenticated cart), with
    the show, its times and hall from the catalogue (from the cart itself when the catalogue
    does not have the performance), the donation and the chosen payment method's surcharge."""
    lines: dict[tuple, OrderLine] = {}
    where = places(held)
    for seat in cart.seats:
        place = where.get(seat.id)
        key = (seat.event_id, seat.discount_id, seat.discount_name, seat.price, seat.id if place else None)
        known = lines.get(key)
        lines[key] = replace(known, quantity=known.quantity + 1) if known else replace(_line(seat, snapshot),
                                                                                         seat=place)
    costs = {method.id: method.cost for method in snapshot.payment_methods} if snapshot else {}
    return Purchase(tuple(lines.values()), cart.total, costs.get(payment_id, Decimal("0.00")), donation)


def _line(seat: Seat, snapshot: Snapshot | None) -> OrderLine:
    found = snapshot.performance(seat.event_id) if snapshot else None
    if found is None:
        return OrderLine(seat.event_id, None, seat.event_name, seat.starts_at, None, seat.location_name, None,
                         seat.discount_name, seat.price, 1)
    show, performance = found
    return OrderLine(performance.id, show.id, show.name or seat.event_name, performance.starts_at,
                     performance.ends_at, performance.location_name or seat.location_name, performance.location_id,
                     seat.discount_name, seat.price, 1)


# --- placing ----------------------------------------------------------------------------------


def settle(ledger, cart_id: str, seconds: float) -> Entry | None:
    """The cart's ledger entry once no request is creating its order or changing it (or after
    `seconds` of waiting)."""
    deadline = time.monotonic() + seconds
    entry = ledger.get(cart_id)
    while entry is not None and entry.state in (CREATING, CHANGING) and time.monotonic() < deadline:
        time.sleep(0.1)
        entry = ledger.get(cart_id)
    return entry


@dataclass(frozen=True)
class Ready:
    """The cart checked under the claim, and what it holds: it may be ordered."""

    purchase: Purchase | None


@dataclass
class Order:
    """What the buyer confirmed: this cart, as it was shown (its version), with these details."""

    cart_id: str
    version: str
    payment_id: int
    customer: Customer
    redirect_url: str
    retry: bool = False  # the buyer confirmed a new try after an uncertain one
    donation: Decimal | None = None  # None: the venue asks for none, so the cart's are left alone


class Placement:
    def __init__(self, ledger, client, *, version_of: Callable[[Cart], str],
                 payment_url_allowed: Callable[[str], bool], wait_seconds: float,
                 catalogue: Callable[[], Snapshot | None] = lambda: None,
                 held_cart: Callable[[str], HeldCart | None] = lambda cart_id: None):
        self.ledger = ledger
        self.client = client  # with `add_items` and `remove_item` too when orders carry donations
        self.held_cart = held_cart  # the authenticated cart (seats' places, donations), None when unknown
        self.version_of = version_of
        self.payment_url_allowed = payment_url_allowed
        self.wait_seconds = wait_seconds
        self.catalogue = catalogue  # the current snapshot, for the shows, times and halls of what is bought

    def follow(self, cart_id: str) -> Entry | None:
        return settle(self.ledger, cart_id, self.wait_seconds)

    def settled(self, cart_id: str) -> Outcome | None:
        """What became of this cart so far, once no other request is creating its order;
        None when no order was tried for it."""
        entry = self.follow(cart_id)
        if entry is None:
            return None
        if entry.state == CREATED:
            return ToPayment(entry)
        return StillCreating() if entry.state in (CREATING, CHANGING) else MayExist()

    def place(self, order: Order) -> Outcome:
        try:
            return self._place(order)
        except LedgerUnavailable as error:  # only raised before order/create was sent
            log.warning("ledger unavailable, nothing ordered: %s", error)
            return NothingOrdered()

    def _note(self, change, *args) -> None:
        """A change to the ledger once order/create was sent: what happened stands without it."""
        try:
            change(*args)
        except LedgerUnavailable as error:
            log.error("the ledger could not note %s for a cart: %s", change.__name__, error)

    def _place(self, order: Order) -> Outcome:
        for _ in range(3):  # a claim lost to a request that then released it: look again
            known = self.settled(order.cart_id)
            if known is None:
                if self.ledger.claim(order.cart_id):
                    return self._create(order, after_uncertain=False)
            elif isinstance(known, MayExist) and order.retry:
                if self.ledger.reclaim(order.cart_id):
                    return self._create(order, after_uncertain=True)
            else:
                return known
        return StillCreating()

    def _create(self, order: Order, *, after_uncertain: bool) -> Outcome:
        """With the claim held: check the cart is the one confirmed, then order it."""
        cart_id = order.cart_id
        ready = self._ready(order, after_uncertain)
        if not isinstance(ready, Ready):
            return ready
        purchase = ready.purchase
        try:
            created = self.client.create_order(cart_id, order.payment_id, order.redirect_url, order.customer)
        except CartNotFound:
            return self._cart_gone(cart_id, after_uncertain)
        except (Rejected, NotFound) as error:
            return self._nothing(cart_id, Refused(error.message))
        except ConnectFailed:  # never sent (or not within the page's time budget)
            return self._nothing(cart_id, NothingOrdered())
        except VdmError as error:  # a time-out, a 5xx or a garbled answer: the order may exist
            log.warning("order/create ended uncertain: %s: %s", type(error).__name__, error)
            self._note(self.ledger.uncertain, cart_id)
            return MayExist()
        safe = self.payment_url_allowed(created.url)
        if not safe:
            log.error("VdM gave order %s a payment URL the shop will not follow", created.order_key)
        payment_url = created.url if safe else None
        self._note(self.ledger.created, cart_id, created.order_key, payment_url, purchase)
        return ToPayment(Entry(cart_id, CREATED, created.order_key, payment_url, purchase),
                         unsafe_payment_url=not safe)

    def _ready(self, order: Order, after_uncertain: bool) -> Ready | Outcome:
        """The cart is the one confirmed, with the donation asked for in it: ready to be ordered."""
        cart_id = order.cart_id
        try:
            cart = self.client.cart(cart_id)
        except CartNotFound:
            return self._cart_gone(cart_id, after_uncertain)
        except VdmError:
            return self._nothing(cart_id, NothingOrdered())
        if cart.is_empty or self.version_of(cart) != order.version:
            return self._nothing(cart_id, CartChanged(cart))
        held = self.held_cart(cart_id)
        if order.donation is not None:
            failed = self._donate(cart_id, held, order.donation)
            if failed is not None:
                return self._nothing(cart_id, failed)
        return Ready(self._purchase(cart, order.payment_id, held, order.donation or Decimal("0.00")))

    def _donate(self, cart_id: str, held: HeldCart | None, amount: Decimal) -> DonationFailed | None:
        """Make the cart's donation `amount` (none for 0), whatever an earlier try left in it."""
        if held is None:
            return DonationFailed(None)
        present = [item for item in held.items if item.is_donation]
        keep = next((item for item in present if item.amount == amount), None) if amount else None
        try:
            for item in present:
                if item is not keep:
                    self.client.remove_item(cart_id, item.item_id)
            if amount and keep is None:
                self.client.add_items(cart_id, [NewItem(DONATION, 0, amount=amount)])
        except VdmError as error:  # after a time-out it may be in: the next try finds it there
            log.warning("the donation could not be put in a cart: %s: %s", type(error).__name__, error)
            return DonationFailed(error.message)
        return None

    def _purchase(self, cart: Cart, payment_id: int, held: HeldCart | None, donation: Decimal) -> Purchase | None:
        """What is bought, for the order page: never a reason for an order not to be placed."""
        try:
            return purchase_of(cart, payment_id, self.catalogue(), held, donation)
        except Exception:
            log.exception("what cart %s holds could not be described; its order page will say less", cart.id)
            return None

    def _cart_gone(self, cart_id: str, after_uncertain: bool) -> Outcome:
        if after_uncertain:  # the earlier try most likely turned the cart into an order
            self._note(self.ledger.uncertain, cart_id)
            return ProbablyCreated()
        return self._nothing(cart_id, CartGone())

    def _nothing(self, cart_id: str, outcome: Outcome) -> Outcome:
        self._note(self.ledger.release, cart_id)
        return outcome

