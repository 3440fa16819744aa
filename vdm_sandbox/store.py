"""The sandbox's state in SQLite: carts, the seats they hold, and orders.

SQLite in WAL mode is shared by every worker process; each change that checks
stock runs in a `BEGIN IMMEDIATE` transaction, so two requests can never both
take the last seat.

The store reads the time only through its `clock` (by default `time.time`): cart expiry,
pending payments becoming paid and whether a performance has started all follow it, so a
test can move the time forward instead of waiting.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterator

from .catalogue import Catalogue, Performance, money
from .ids import new_cart_id, new_order_key, new_seat_id
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
    price TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS seats_by_cart ON seats (cart_id);
CREATE INDEX IF NOT EXISTS seats_by_event ON seats (event_id);
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


@dataclass(frozen=True)
class Order:
    order_key: str
    cart_id: str
    status: str
    payment_id: int
    payment_cost: Decimal
    total: Decimal
    paid: Decimal
    customer: dict
    redirect_url: str
    public_url: str
    seats: list[sqlite3.Row]

    @property
    def amount_due(self) -> Decimal:
        return self.total + self.payment_cost


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

    def cart_seats(self, client: str, cart_id: str) -> list[sqlite3.Row]:
        with self._transaction() as db:
            self._open_cart(db, client, cart_id)
            return self._seats(db, cart_id)

    @staticmethod
    def _seats(db: sqlite3.Connection, cart_id: str) -> list[sqlite3.Row]:
        return db.execute("SELECT * FROM seats WHERE cart_id = ? ORDER BY seat_no", (cart_id,)).fetchall()

    def add(self, client: str, cart_id: str, event_id: int, quantity: int, discount_id: str) -> list[sqlite3.Row]:
        _, perf = self.catalogue.performance(event_id)
        if perf is None:
            raise Refused("Event not found", 404)
        if not perf.for_sale(self.now()):
            raise Refused("Event is not for sale")
        ticket_type = perf.ticket_type(discount_id)
        if ticket_type is None:
            raise Refused("Unknown discount_id for this event")
        if quantity < 1:
            raise Refused("numberoftickets must be at least 1")
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            in_cart = db.execute("SELECT COUNT(*) FROM seats WHERE cart_id = ? AND event_id = ?",
                                 (cart_id, event_id)).fetchone()[0]
            remaining = self._remaining(perf, self._held(db, event_id).get(event_id, 0))
            if quantity > remaining:
                raise Refused(f"Not enough tickets available: {remaining} left")
            if in_cart + quantity > perf.max_per_order:
                raise Refused(f"At most {perf.max_per_order} tickets per order for this event")
            db.executemany(
                "INSERT INTO seats (seat_id, cart_id, event_id, discount_id, price) VALUES (?, ?, ?, ?, ?)",
                [(new_seat_id(), cart_id, event_id, discount_id, money(ticket_type.price)) for _ in range(quantity)],
            )
            db.execute("UPDATE carts SET touched_at = ? WHERE cart_id = ?", (self.clock(), cart_id))
            return self._seats(db, cart_id)

    def remove(self, client: str, cart_id: str, seat_id: str) -> list[sqlite3.Row]:
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            if db.execute("DELETE FROM seats WHERE cart_id = ? AND seat_id = ?", (cart_id, seat_id)).rowcount == 0:
                raise Refused("Seat not found", 404)
            return self._seats(db, cart_id)

    # --- orders ----------------------------------------------------------------

    def create_order(self, client: str, cart_id: str, payment_id: int, customer: dict,
                     redirect_url: str, public_url: str) -> str:
        method = self.catalogue.payment_method(payment_id)
        if method is None:
            raise Refused("Unknown payment_id")
        with self._transaction(write=True) as db:
            self._open_cart(db, client, cart_id)
            seats = self._seats(db, cart_id)
            if not seats:
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

    def order(self, order_key: str, client: str | None = None) -> Order:
        with self._transaction(write=True) as db:
            row = db.execute("SELECT * FROM orders WHERE order_key = ?", (order_key,)).fetchone()
            if row is None or (client is not None and row["client"] != client):
                raise Refused("Order not found", 404)
            if row["status"] == "pending" and row["pending_since"] <= self.clock() - self.pending_delay:
                # A pending payment completes by itself after the configured delay.
                due = Decimal(row["total"]) + Decimal(row["payment_cost"])
                db.execute("UPDATE orders SET status = 'paid', paid = ? WHERE order_key = ?", (money(due), order_key))
                row = db.execute("SELECT * FROM orders WHERE order_key = ?", (order_key,)).fetchone()
            seats = self._seats(db, row["cart_id"])
        return Order(
            order_key=row["order_key"], cart_id=row["cart_id"], status=row["status"],
            payment_id=row["payment_id"], payment_cost=Decimal(row["payment_cost"]),
            total=Decimal(row["total"]), paid=Decimal(row["paid"]), customer=json.loads(row["customer"]),
            redirect_url=row["redirect_url"], public_url=row["public_url"], seats=seats,
        )

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
