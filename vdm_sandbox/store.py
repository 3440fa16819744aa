"""The sandbox's state in SQLite: carts, the seats and donations they hold, and orders.

SQLite in WAL mode is shared by every worker process; each change that checks
stock runs in a `BEGIN IMMEDIATE` transaction, so two requests can never both
take the last seat, nor the same numbered seat.

One stock: in a hall with a seating plan, every cart line (`seats` row) holds one seat of
the plan (its `place`), whether the public cart chose it (best available) or a Peppered
cart named it; a performance in an unnumbered hall only counts its lines. Either way a
line counts against stock while its cart is alive, or once ordered unless cancelled.

The store reads the time only through its `clock` (by default `time.time`): cart expiry,
pending payments becoming paid and whether a performance has started all follow it, so a
test can move the time forward instead of waiting.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterator

from .catalogue import Catalogue, Performance, money
from .ids import new_cart_id, new_order_key, new_seat_id
from .seating import PlanSeat
from .venue_time import Clock, now

SCHEMA = """
CREATE TABLE IF NOT EXISTS carts (
    cart_id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    touched_at REAL NOT NULL,
    order_key TEXT
);
CREATE TABLE IF NOT EXISTS seats (
    seat_no INTEGER PRIMARY KEY AUTOINCREMENT,
    seat_id TEXT UNIQUE NOT NULL,
    cart_id TEXT NOT NULL REFERENCES carts (cart_id),
    event_id INTEGER NOT NULL,
    discount_id TEXT NOT NULL,
    price TEXT NOT NULL,
    place TEXT  -- the plan's seatId in a numbered hall; NULL in an unnumbered one
);
CREATE INDEX IF NOT EXISTS seats_by_cart ON seats (cart_id);
CREATE INDEX IF NOT EXISTS seats_by_event ON seats (event_id);
CREATE TABLE IF NOT EXISTS donations (
    item_no INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT UNIQUE NOT NULL,
    cart_id TEXT NOT NULL REFERENCES carts (cart_id),
    amount TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS donations_by_cart ON donations (cart_id);
CREATE TABLE IF NOT EXISTS orders (
    order_key TEXT PRIMARY KEY,
    cart_id TEXT NOT NULL UNIQUE,
    client TEXT NOT NULL,
    status TEXT NOT NULL,
    payment_id INTEGER NOT NULL,
    payment_cost TEXT NOT NULL,
    total TEXT NOT NULL,
    paid TEXT NOT NULL DEFAULT '0.00',
    customer TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    public_url TEXT NOT NULL,
    created_at REAL NOT NULL,
    pending_since REAL
);
"""

# Seats count against stock while their cart is alive, or once ordered unless cancelled.
HELD = """
    (c.order_key IS NULL AND c.touched_at > :alive_after)
    OR (c.order_key IS NOT NULL AND o.status != 'cancelled')
"""


class Refused(Exception):
    """A request the sandbox answers with an error object, like VdM."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class SeatsNotFree(Refused):
    """A Peppered add refused as a whole because stock is gone: the chosen seats that are not
    free (none when best-available found too few)."""

    def __init__(self, message: str, seat_ids: list[str]):
        super().__init__(message, 409)
        self.seat_ids = seat_ids


@dataclass(frozen=True)
class TicketRequest:
    """Tickets a Peppered add asks for: one chosen seat, or `quantity` best available."""

    event_id: int
    discount_id: str  # Peppered's priceId
    rank_id: int
    quantity: int = 1
    seat_id: str | None = None  # a seatId of the hall's plan


@dataclass(frozen=True)
class HeldCart:
    cart_id: str
    expires_at: float  # seconds since the epoch, by the store's clock
    seats: list[sqlite3.Row]
    donations: list[sqlite3.Row]


@dataclass(frozen=True)
class Availability:
    """A performance's seats as `GET seating` shows them."""

    performance: Performance
    free: frozenset[str]  # the plan's seatIds that can be chosen now
    left: int  # how many tickets can still be sold


@dataclass(frozen=True)
class Order:
    order_key: str
    cart_id: str
    status: str
    payment_id: int
    payment_cost: Decimal
    total: Decimal  # the tickets
    paid: Decimal
    customer: dict
    redirect_url: str
    public_url: str
    seats: list[sqlite3.Row]
    donations: list[sqlite3.Row] = field(default_factory=list)

    @property
    def donation(self) -> Decimal:
        return sum((Decimal(d["amount"]) for d in self.donations), Decimal("0.00"))

    @property
    def amount_due(self) -> Decimal:
        return self.total + self.donation + self.payment_cost


class _Stock:
    """What one change may still take, read inside its transaction and kept up to date as the
    change takes seats, so that one request asking twice for a seat gets it once."""

    def __init__(self, store: Store, db: sqlite3.Connection):
        self.store, self.db = store, db
        self._left: dict[int, int] = {}
        self._free: dict[int, list[PlanSeat]] = {}

    def left(self, perf: Performance) -> int:
        if perf.id not in self._left:
            held = self.store._held(self.db, perf.id).get(perf.id, 0)
            self._left[perf.id] = Store._remaining(perf, held)
        return self._left[perf.id]

    def free(self, perf: Performance) -> list[PlanSeat]:
        if perf.id not in self._free:
            taken = self.store._taken(self.db, perf.id)
            self._free[perf.id] = [seat for seat in perf.open_seats if seat.id not in taken]
        return self._free[perf.id]

    def best(self, perf: Performance, quantity: int, rank_id: int | None = None) -> list[PlanSeat | None] | None:
        """`quantity` seats, best rank first (only of `rank_id` when given), in the plan's order
        within a rank; None when there are not so many. An unnumbered hall has no seats to
        name: its tickets are Nones."""
        if quantity > self.left(perf):
            return None
        if perf.plan is None:
            self._left[perf.id] -= quantity
            return [None] * quantity
        candidates = [seat for seat in self.free(perf) if rank_id is None or seat.rank_id == rank_id]
        chosen = sorted(candidates, key=perf.plan.rank_order)[:quantity]  # sorted() keeps the plan's order
        if len(chosen) < quantity:
            return None
        self._take(perf, chosen)
        return list(chosen)

    def seat(self, perf: Performance, seat_id: str) -> PlanSeat | None:
        """The seat `seat_id` if it is free (and taken now), else None."""
        seat = next((s for s in self.free(perf) if s.id == seat_id), None)
        if seat is None or self.left(perf) < 1:
            return None
        self._take(perf, [seat])
        return seat

    def _take(self, perf: Performance, seats: list[PlanSeat]) -> None:
        ids = {seat.id for seat in seats}
        self._free[perf.id] = [seat for seat in self._free[perf.id] if seat.id not in ids]
        self._left[perf.id] -= len(seats)


class Store:
    def __init__(self, path: str, catalogue: Catalogue, *, cart_ttl: float = 1800, pending_delay: float = 30,
                 clock: Clock = time.time):
        self.path = path
        self.catalogue = catalogue
        self.cart_ttl = cart_ttl
        self.pending_delay = pending_delay
        self.clock = clock  # seconds since the epoch, like time.time: tests replace it to move time
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        self._upgrade()

    def _upgrade(self) -> None:
        """A database kept from before numbered seats gets their column (once, whichever worker is first)."""
        with self._transaction(write=True) as db:
            if not any(row["name"] == "place" for row in db.execute("PRAGMA table_info(seats)")):
                db.execute("ALTER TABLE seats ADD COLUMN place TEXT")
            db.execute("CREATE INDEX IF NOT EXISTS seats_by_place ON seats (event_id, place)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def now(self) -> datetime:
        """The store's moment in venue time."""
        return now(self.clock)

    # --- stock -----------------------------------------------------------------

    def _held(self, db: sqlite3.Connection, event_id: int | None = None) -> dict[int, int]:
        query = f"""
            SELECT s.event_id, COUNT(*) AS n FROM seats s
            JOIN carts c ON c.cart_id = s.cart_id
            LEFT JOIN orders o ON o.order_key = c.order_key
            WHERE ({HELD}) {'AND s.event_id = :event_id' if event_id is not None else ''}
            GROUP BY s.event_id
        """
        rows = db.execute(query, {"alive_after": self.clock() - self.cart_ttl, "event_id": event_id})
        return {row["event_id"]: row["n"] for row in rows}

    def _taken(self, db: sqlite3.Connection, event_id: int) -> set[str]:
        """The seats of the plan that a live cart or an order holds."""
        rows = db.execute(f"""
            SELECT s.place FROM seats s
            JOIN carts c ON c.cart_id = s.cart_id
            LEFT JOIN orders o ON o.order_key = c.order_key
            WHERE s.event_id = :event_id AND s.place IS NOT NULL AND ({HELD})
        """, {"alive_after": self.clock() - self.cart_ttl, "event_id": event_id})
        return {row["place"] for row in rows}

    @staticmethod
    def _remaining(perf: Performance, held: int) -> int:
        return max(0, perf.capacity - perf.presold - held)

    def free(self) -> dict[int, int]:
        """`event_free` per performance: what one order may still take. That is 0 for a
        performance that `add` refuses (not `pub`, or started), whatever stock is left."""
        moment = self.now()
        with self._transaction() as db:
            held = self._held(db)
        return {
            perf.id: min(perf.max_per_order, self._remaining(perf, held.get(perf.id, 0)))
            if perf.for_sale(moment) else 0
            for show in self.catalogue.shows
            for perf in show.performances
        }

    def availability(self, event_id: int) -> Availability:
        """Which seats of a performance can be chosen now: none unless it is for sale."""
        _, perf = self.catalogue.performance(event_id)
        if perf is None:
            raise Refused("Event not found", 404)
        if not perf.for_sale(self.now()):
            return Availability(perf, frozenset(), 0)
        with self._transaction() as db:
            stock = _Stock(self, db)
            if perf.plan is None:
                return Availability(perf, frozenset(), stock.left(perf))
            free = frozenset(seat.id for seat in stock.free(perf))
        return Availability(perf, free, len(free))

    # --- carts -----------------------------------------------------------------

    def create_cart(self, client: str) -> str:
        cart_id = new_cart_id()
        with self._transaction(write=True) as db:
            db.execute("INSERT INTO carts (cart_id, client, touched_at) VALUES (?, ?, ?)",
                       (cart_id, client, self.clock()))
        return cart_id

    def _open_cart(self, db: sqlite3.Connection, client: str, cart_id: str) -> sqlite3.Row:
        row = db.execute(
            "SELECT * FROM carts WHERE cart_id = ? AND client = ? AND order_key IS NULL AND touched_at > ?",
            (cart_id, client, self.clock() - self.cart_ttl),
        ).fetchone()
        if row is None:
            raise Refused("Cart not found", 404)
        return row

    def _touch(self, db: sqlite3.Connection, cart_id: str) -> None:
        """Every change gives the cart its full time again (SANDBOX_CART_MINUTES from now)."""
        db.execute("UPDATE carts SET touched_at = ? WHERE cart_id = ?", (self.clock(), cart_id))

    def cart_seats(self, client: str, cart_id: str) -> list[sqlite3.Row]:
        with self._transaction() as db:
            self._open_cart(db, client, cart_id)
            return self._seats(db, cart_id)

    @staticmethod
    def _seats(db: sqlite3.Connection, cart_id: str) -> list[sqlite3.Row]:
        return db.execute("SELECT * FROM seats WHERE cart_id = ? ORDER BY seat_no", (cart_id,)).fetchall()

    @staticmethod
    def _donations(db: sqlite3.Connection, cart_id: str) -> list[sqlite3.Row]:
        return db.execute("SELECT * FROM donations WHERE cart_id = ? ORDER BY item_no", (cart_id,)).fetchall()

    def _held_cart(self, db: sqlite3.Connection, client: str, cart_id: str) -> HeldCart:
        cart = self._open_cart(db, client, cart_id)
        return HeldCart(cart_id, cart["touched_at"] + self.cart_ttl, self._seats(db, cart_id),
                        self._donations(db, cart_id))

    def held_cart(self, client: str, cart_id: str) -> HeldCart:
        """The whole cart, donations and expiry too, as Peppered shows it."""
        with self._transaction() as db:
            return self._held_cart(db, client, cart_id)

    @staticmethod
    def _line(cart_id: str, perf: Performance, discount_id: str, seat: PlanSeat | None) -> tuple:
        """A `seats` row: its price is its price level's (the ticket type's in the seat's rank)."""
        rank_id = seat.rank_id if seat else perf.ranks[0].id
        return (new_seat_id(), cart_id, perf.id, discount_id, money(perf.price(discount_id, rank_id)),
                seat.id if seat else None)

    @staticmethod
    def _insert(db: sqlite3.Connection, lines: list[tuple]) -> None:
        db.executemany("INSERT INTO seats (seat_id, cart_id, event_id, discount_id, price, place) "
                       "VALUES (?, ?, ?, ?, ?, ?)", lines)

    @staticmethod
    def _check_per_order(db: sqlite3.Connection, cart_id: str, perf: Performance, adding: int, status: int) -> None:
        in_cart = db.execute("SELECT COUNT(*) FROM seats WHERE cart_id = ? AND event_id = ?",
                             (cart_id, perf.id)).fetchone()[0]
        if in_cart + adding > perf.max_per_order:
            raise Refused(f"At most {perf.max_per_order} tickets per order for this event", status)

    def add(self, client: str, cart_id: str, event_id: int, quantity: int, discount_id: str) -> list[sqlite3.Row]:
        """The public cart's add: `quantity` tickets, best available (best rank first)."""
        _, perf = self.catalogue.performance(event_id)
        if perf is None:
            raise Refused("Event not found", 404)
        if not perf.for_sale(self.now()):
            raise Refused("Event is not for sale")
        if perf.ticket_type(discount_id) is None:
            raise Refused("Unknown discount_id for this event")
        if quantity < 1:
            raise Refused("numberoftickets must be at least 1")
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            stock = _Stock(self, db)
            if quantity > stock.left(perf):
                raise Refused(f"Not enough tickets available: {stock.left(perf)} left")
            self._check_per_order(db, cart_id, perf, quantity, 400)
            seats = stock.best(perf, quantity)
            if seats is None:  # only a database kept from before the plan: lines without a seat
                raise Refused(f"Not enough tickets available: {len(stock.free(perf))} left")
            self._insert(db, [self._line(cart_id, perf, discount_id, seat) for seat in seats])
            self._touch(db, cart_id)
            return self._seats(db, cart_id)

    def remove(self, client: str, cart_id: str, seat_id: str) -> list[sqlite3.Row]:
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            if db.execute("DELETE FROM seats WHERE cart_id = ? AND seat_id = ?", (cart_id, seat_id)).rowcount == 0:
                raise Refused("Seat not found", 404)
            self._touch(db, cart_id)
            return self._seats(db, cart_id)

    # --- the Peppered cart -------------------------------------------------------

    def _requested(self, ticket: TicketRequest) -> Performance:
        """The performance a Peppered ticket item is for, once the catalogue allows the item (else 422)."""
        _, perf = self.catalogue.performance(ticket.event_id)
        if perf is None:
            raise Refused(f"Unknown eventId {ticket.event_id}", 422)
        if not perf.for_sale(self.now()):
            raise Refused(f"Event {perf.id} is not for sale", 422)
        if perf.price(ticket.discount_id, ticket.rank_id) is None:
            raise Refused(f"Event {perf.id} has no price for priceId {ticket.discount_id!r} "
                          f"with rankId {ticket.rank_id}", 422)
        if ticket.seat_id is not None:
            seat = perf.plan.seat(ticket.seat_id) if perf.plan else None
            if seat is None:
                raise Refused(f"Event {perf.id} has no seat {ticket.seat_id!r}", 422)
            if seat.rank_id != ticket.rank_id:
                raise Refused(f"Seat {seat.id!r} is in rankId {seat.rank_id}, not {ticket.rank_id}", 422)
        return perf

    def _take(self, stock: _Stock, cart_id: str, requested: list[tuple[Performance, TicketRequest]]) -> list[tuple]:
        """The lines of all the tickets asked for, or SeatsNotFree naming every chosen seat not free.
        Chosen seats go first, so that best-available in the same request never takes one of them."""
        lines, not_free, short = [], [], []
        for perf, ticket in sorted(requested, key=lambda asked: asked[1].seat_id is None):
            if ticket.seat_id is not None:
                seat = stock.seat(perf, ticket.seat_id)
                seats = None if seat is None else [seat]
                if seats is None:
                    not_free.append(ticket.seat_id)
            else:
                seats = stock.best(perf, ticket.quantity, ticket.rank_id)
                if seats is None:
                    short.append(f"{ticket.quantity} for event {perf.id} in rankId {ticket.rank_id}")
            lines += [self._line(cart_id, perf, ticket.discount_id, seat) for seat in seats or ()]
        if not_free:
            raise SeatsNotFree("These seats are not free: " + ", ".join(not_free), not_free)
        if short:
            raise SeatsNotFree("Not enough seats available: " + "; ".join(short), [])
        return lines

    def add_items(self, client: str, cart_id: str, tickets: list[TicketRequest],
                  donations: list[Decimal]) -> HeldCart:
        """Peppered's add: all the items, or none of them."""
        requested = [(self._requested(ticket), ticket) for ticket in tickets]
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            adding: dict[int, tuple[Performance, int]] = {}
            for perf, ticket in requested:
                adding[perf.id] = (perf, adding.get(perf.id, (perf, 0))[1] + ticket.quantity)
            for perf, quantity in adding.values():
                self._check_per_order(db, cart_id, perf, quantity, 422)
            self._insert(db, self._take(_Stock(self, db), cart_id, requested))
            db.executemany("INSERT INTO donations (item_id, cart_id, amount) VALUES (?, ?, ?)",
                           [(new_seat_id(), cart_id, money(amount)) for amount in donations])
            self._touch(db, cart_id)
            return self._held_cart(db, client, cart_id)

    def remove_item(self, client: str, cart_id: str, item_id: str) -> HeldCart:
        """Peppered's delete: a ticket (by its line's seat_id) or a donation."""
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            gone = sum(db.execute(f"DELETE FROM {table} WHERE cart_id = ? AND {column} = ?",
                                  (cart_id, item_id)).rowcount
                       for table, column in (("seats", "seat_id"), ("donations", "item_id")))
            if not gone:
                raise Refused("Item not found", 404)
            self._touch(db, cart_id)
            return self._held_cart(db, client, cart_id)

    # --- orders ----------------------------------------------------------------

    def create_order(self, client: str, cart_id: str, payment_id: int, customer: dict,
                     redirect_url: str, public_url: str) -> str:
        """An order of everything in the cart: its tickets, and its donations (Peppered's) too."""
        method = self.catalogue.payment_method(payment_id)
        if method is None:
            raise Refused("Unknown payment_id")
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            seats = self._seats(db, cart_id)
            if not seats and not self._donations(db, cart_id):
                raise Refused("Cart is empty")
            order_key = new_order_key()
            total = sum((Decimal(s["price"]) for s in seats), Decimal(0))
            db.execute(
                """INSERT INTO orders (order_key, cart_id, client, status, payment_id, payment_cost, total,
                                       customer, redirect_url, public_url, created_at)
                   VALUES (?, ?, ?, 'none', ?, ?, ?, ?, ?, ?, ?)""",
                (order_key, cart_id, client, payment_id, money(method.cost), money(total),
                 json.dumps(customer), redirect_url, public_url, self.clock()),
            )
            db.execute("UPDATE carts SET order_key = ? WHERE cart_id = ?", (order_key, cart_id))
        return order_key

    def _order(self, db: sqlite3.Connection, row: sqlite3.Row) -> Order:
        return Order(
            order_key=row["order_key"], cart_id=row["cart_id"], status=row["status"],
            payment_id=row["payment_id"], payment_cost=Decimal(row["payment_cost"]),
            total=Decimal(row["total"]), paid=Decimal(row["paid"]), customer=json.loads(row["customer"]),
            redirect_url=row["redirect_url"], public_url=row["public_url"], seats=self._seats(db, row["cart_id"]),
            donations=self._donations(db, row["cart_id"]),
        )

    def order(self, order_key: str, client: str | None = None) -> Order:
        with self._transaction(write=True) as db:
            row = db.execute("SELECT * FROM orders WHERE order_key = ?", (order_key,)).fetchone()
            if row is None or (client is not None and row["client"] != client):
                raise Refused("Order not found", 404)
            order = self._order(db, row)
            if order.status == "pending" and row["pending_since"] <= self.clock() - self.pending_delay:
                # A pending payment completes by itself after the configured delay.
                db.execute("UPDATE orders SET status = 'paid', paid = ? WHERE order_key = ?",
                           (money(order.amount_due), order_key))
                order = self._order(db, db.execute("SELECT * FROM orders WHERE order_key = ?", (order_key,)).fetchone())
        return order

    def settle(self, order_key: str, choice: str) -> Order:
        """What the person chose on the payment page: pay, pending, cancel or partial."""
        due = self.order(order_key).amount_due
        status, paid = {
            "pay": ("paid", due),
            "pending": ("pending", Decimal(0)),
            "cancel": ("cancelled", Decimal(0)),
            "partial": ("partial", due / 2),
        }[choice]
        with self._transaction(write=True) as db:
            changed = db.execute(
                "UPDATE orders SET status = ?, paid = ?, pending_since = ? "
                "WHERE order_key = ? AND status IN ('none', 'pending')",
                (status, money(paid), self.clock() if status == "pending" else None, order_key),
            ).rowcount
        if not changed:
            raise Refused("This order can no longer be paid", 409)
        return self.order(order_key)
