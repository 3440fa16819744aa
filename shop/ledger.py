"""Which cart became which order: the shop's guard against ever creating two orders for one cart.

A cart is *claimed* before `order/create` is sent, atomically, so that a double click, a
reload or a second tab finds the claim and waits for (or is sent to) the same order. The
ledger is a SQLite file in the instance folder, shared by every worker process on the host.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

CREATING, CREATED, UNCERTAIN = "creating", "created", "uncertain"

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    cart_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    order_key TEXT,
    payment_url TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_order ON ledger (order_key);
"""


@dataclass(frozen=True)
class Entry:
    cart_id: str
    state: str
    order_key: str | None
    payment_url: str | None


class Ledger:
    def __init__(self, path: str, stale_after: float = 120):
        self.path = path
        # A claim whose request died without an answer: the order may exist, so it is uncertain.
        self.stale_after = stale_after
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    def _run(self, sql: str, args: tuple = ()) -> int:
        db = self._connect()
        try:
            return db.execute(sql, args).rowcount
        finally:
            db.close()

    def claim(self, cart_id: str) -> bool:
        """True for the one request that may now create the order for this cart."""
        return self._run("INSERT OR IGNORE INTO ledger (cart_id, state, updated_at) VALUES (?, ?, ?)",
                         (cart_id, CREATING, time.time())) == 1

    def reclaim(self, cart_id: str) -> bool:
        """After the buyer confirmed a retry of an uncertain attempt."""
        return self._run("UPDATE ledger SET state = ?, updated_at = ? WHERE cart_id = ? AND "
                         "(state = ? OR (state = ? AND updated_at < ?))",
                         (CREATING, time.time(), cart_id, UNCERTAIN, CREATING, time.time() - self.stale_after)) == 1

    def created(self, cart_id: str, order_key: str, payment_url: str | None) -> None:
        self._run("UPDATE ledger SET state = ?, order_key = ?, payment_url = ?, updated_at = ? WHERE cart_id = ?",
                  (CREATED, order_key, payment_url, time.time(), cart_id))

    def uncertain(self, cart_id: str) -> None:
        self._run("UPDATE ledger SET state = ?, updated_at = ? WHERE cart_id = ?", (UNCERTAIN, time.time(), cart_id))

    def release(self, cart_id: str) -> None:
        """VdM surely created nothing: the cart may be checked out again."""
        self._run("DELETE FROM ledger WHERE cart_id = ? AND state != ?", (cart_id, CREATED))

    def forget(self, cart_id: str) -> None:
        """The cart's order was cancelled and the buyer took the cart back."""
        self._run("DELETE FROM ledger WHERE cart_id = ?", (cart_id,))

    def get(self, cart_id: str) -> Entry | None:
        return self._one("SELECT * FROM ledger WHERE cart_id = ?", cart_id)

    def by_order(self, order_key: str) -> Entry | None:
        return self._one("SELECT * FROM ledger WHERE order_key = ?", order_key)

    def _one(self, sql: str, arg: str) -> Entry | None:
        db = self._connect()
        try:
            row = db.execute(sql, (arg,)).fetchone()
        finally:
            db.close()
        if row is None:
            return None
        state = row["state"]
        if state == CREATING and row["updated_at"] < time.time() - self.stale_after:
            state = UNCERTAIN
        return Entry(row["cart_id"], state, row["order_key"], row["payment_url"])
