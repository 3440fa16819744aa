"""Which cart became which order: the shop's guard against ever creating two orders for one cart.

A cart is *claimed* before `order/create` is sent, atomically, so that a double click, a
reload or a second tab finds the claim and waits for (or is sent to) the same order. The
ledger is a SQLite file in the instance folder, shared by every worker process on the host,
or Redis when the shop has one, shared by every host.

While Redis is away, the Redis ledger cannot say whether a cart is already being ordered,
so every one of its methods raises LedgerUnavailable: the checkout orders nothing and asks
the buyer to try again in a minute.

The SQLite file holds order keys and payment links, which open buyers' orders: only the
shop's user may read it.

With a created order the ledger keeps what was bought (a `Purchase`: the lines of the cart the
buyer confirmed), because VdM's order status names only seats and show names. It holds nothing
about the buyer: the order page shows it to anyone with the order's key.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator

from shop.domain.seating import Place
from shop.extensions import RedisUnavailable, redis_link
from shop.vdm.models import VENUE_TZ

log = logging.getLogger(__name__)

CREATING, CREATED, UNCERTAIN = "creating", "created", "uncertain"
# A short lease while a request changes the cart (adds or removes seats): no order is created
# from a cart that is changing, and no cart being ordered is changed (see shop/ordering.py).
CHANGING = "changing"
LEASE_SECONDS = 30  # far above one request's time on VdM; a lease left by a dead request lapses
# Which cart a browser's session has, for the moment two tabs of it both make their first cart.
SESSION_CART_SECONDS = 10

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    cart_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    order_key TEXT,
    payment_url TEXT,
    updated_at REAL NOT NULL,
    purchase TEXT
);
CREATE INDEX IF NOT EXISTS ledger_by_order ON ledger (order_key);
CREATE TABLE IF NOT EXISTS session_carts (
    session TEXT PRIMARY KEY,
    cart_id TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


class LedgerUnavailable(Exception):
    """The ledger (Redis) cannot be reached or did not answer. What it holds is not known, so
    no order may be created now; after create_order succeeded, the order exists all the same."""


@dataclass(frozen=True)
class OrderLine:
    """Tickets of one type at one price for one performance, as the catalogue told them when
    the order was placed. Only what any visitor of the programme may see."""

    performance_id: int
    show_id: int | None  # the show's page (None when the catalogue no longer had the performance)
    show: str
    starts_at: datetime  # the venue's time
    ends_at: datetime | None
    hall: str
    location_id: int | None  # the hall's address, from the catalogue's halls
    ticket_type: str
    price: Decimal
    quantity: int
    seat: Place | None = None  # a numbered seat: then one line per seat

    @property
    def subtotal(self) -> Decimal:
        return self.price * self.quantity

    def as_dict(self) -> dict:
        return {"performance_id": self.performance_id, "show_id": self.show_id, "show": self.show,
                "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat() if self.ends_at else None,
                "hall": self.hall, "location_id": self.location_id, "ticket_type": self.ticket_type,
                "price": str(self.price), "quantity": self.quantity,
                "seat": self.seat.as_dict() if self.seat else None}

    @classmethod
    def from_dict(cls, d: dict) -> OrderLine:
        return cls(int(d["performance_id"]), _int_or_none(d.get("show_id")), str(d["show"]), _moment(d["starts_at"]),
                   _moment(d["ends_at"]) if d.get("ends_at") else None, str(d["hall"]),
                   _int_or_none(d.get("location_id")), str(d["ticket_type"]), Decimal(d["price"]),
                   int(d["quantity"]), Place.read(d.get("seat")))


@dataclass(frozen=True)
class Purchase:
    """What an order is for: its lines, the cart's total, the buyer's donation and the payment
    method's surcharge."""

    lines: tuple[OrderLine, ...]
    total: Decimal  # the tickets' total, as VdM's public cart gave it (it leaves donations out)
    payment_cost: Decimal = Decimal("0.00")  # added by the payment provider on top of the total
    donation: Decimal = Decimal("0.00")  # given with the order, on top of the tickets

    @property
    def total_paid(self) -> Decimal:
        return self.total + self.donation + self.payment_cost

    def by_performance(self) -> list[tuple[OrderLine, ...]]:
        """The lines per performance, soonest first (the first line of each names the performance)."""
        groups: dict[int, list[OrderLine]] = {}
        for line in sorted(self.lines, key=lambda line: (line.starts_at, line.performance_id)):
            groups.setdefault(line.performance_id, []).append(line)
        return [tuple(lines) for lines in groups.values()]

    def as_dict(self) -> dict:
        return {"lines": [line.as_dict() for line in self.lines], "total": str(self.total),
                "payment_cost": str(self.payment_cost), "donation": str(self.donation)}

    @classmethod
    def read(cls, data: dict | str | None) -> Purchase | None:
        """From the ledger (an object in Redis, JSON text in SQLite). None for an entry written
        before the ledger kept purchases, or one it cannot read: the order page does without."""
        if not data:
            return None
        try:
            d = json.loads(data) if isinstance(data, str) else data
            return cls(tuple(OrderLine.from_dict(line) for line in d["lines"]), Decimal(d["total"]),
                       Decimal(d.get("payment_cost") or "0.00"), Decimal(d.get("donation") or "0.00"))
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            log.warning("the ledger holds a purchase it cannot read: %s", error)
            return None


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(VENUE_TZ)


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True)
class Entry:
    cart_id: str
    state: str
    order_key: str | None
    payment_url: str | None
    purchase: Purchase | None = None  # for a created order (None for one created before purchases were kept)


class Ledger:
    def __init__(self, path: str, stale_after: float = 120):
        self.path = path
        # A claim whose request died without an answer: the order may exist, so it is uncertain.
        self.stale_after = stale_after
        _private(path)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            _add_purchase_column(db)
            # Like Redis's expiry: after a month no payment comes back for these carts.
            db.execute("DELETE FROM ledger WHERE updated_at < ?", (time.time() - RedisLedger.TTL,))
            db.execute("DELETE FROM session_carts WHERE updated_at < ?", (time.time() - 3600,))

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
        return self._take(cart_id, CREATING)

    def lease(self, cart_id: str) -> bool:
        """True for the one request that may now change this cart."""
        return self._take(cart_id, CHANGING)

    def unlease(self, cart_id: str) -> None:
        self._run("DELETE FROM ledger WHERE cart_id = ? AND state = ?", (cart_id, CHANGING))

    def _take(self, cart_id: str, state: str) -> bool:
        now = time.time()
        return (self._run("INSERT OR IGNORE INTO ledger (cart_id, state, updated_at) VALUES (?, ?, ?)",
                          (cart_id, state, now)) == 1
                or self._run("UPDATE ledger SET state = ?, updated_at = ? WHERE cart_id = ? AND state = ? "
                             "AND updated_at < ?", (state, now, cart_id, CHANGING, now - LEASE_SECONDS)) == 1)

    def session_cart(self, session: str, cart_id: str, gone: list[str]) -> str:
        """The cart of this browser session: `cart_id`, unless another request of the same
        session made one a moment ago (then that one), or the known one is `gone`."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT cart_id, updated_at FROM session_carts WHERE session = ?", (session,)).fetchone()
            if row is not None and row["cart_id"] not in gone and row["updated_at"] > time.time() - SESSION_CART_SECONDS:
                db.execute("COMMIT")
                return row["cart_id"]
            db.execute("INSERT OR REPLACE INTO session_carts (session, cart_id, updated_at) VALUES (?, ?, ?)",
                       (session, cart_id, time.time()))
            db.execute("COMMIT")
            return cart_id
        finally:
            db.close()

    def reclaim(self, cart_id: str) -> bool:
        """After the buyer confirmed a retry of an uncertain attempt."""
        return self._run("UPDATE ledger SET state = ?, updated_at = ? WHERE cart_id = ? AND "
                         "(state = ? OR (state = ? AND updated_at < ?))",
                         (CREATING, time.time(), cart_id, UNCERTAIN, CREATING, time.time() - self.stale_after)) == 1

    def created(self, cart_id: str, order_key: str, payment_url: str | None, purchase: Purchase | None = None) -> None:
        bought = json.dumps(purchase.as_dict()) if purchase else None
        self._run("UPDATE ledger SET state = ?, order_key = ?, payment_url = ?, purchase = ?, updated_at = ? "
                  "WHERE cart_id = ?", (CREATED, order_key, payment_url, bought, time.time(), cart_id))

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
        state = _state(row["state"], row["updated_at"], self.stale_after)
        if not state:
            return None
        return Entry(row["cart_id"], state, row["order_key"], row["payment_url"], Purchase.read(row["purchase"]))


def _state(state: str, updated_at: float, stale_after: float) -> str | None:
    """A claim whose request died reads as uncertain (the order may exist); a lapsed lease as nothing."""
    if state == CREATING and updated_at < time.time() - stale_after:
        return UNCERTAIN
    if state == CHANGING and updated_at < time.time() - LEASE_SECONDS:
        return None
    return state


def _add_purchase_column(db: sqlite3.Connection) -> None:
    """A ledger file from before purchases were kept gets their column; its orders keep working
    without one. Two workers starting at once may both try: the second finds it there."""
    if any(row["name"] == "purchase" for row in db.execute("PRAGMA table_info(ledger)")):
        return
    try:
        db.execute("ALTER TABLE ledger ADD COLUMN purchase TEXT")
    except sqlite3.OperationalError as error:
        if "duplicate column" not in str(error):
            raise


def _private(path: str) -> None:
    """Create the database file for the shop's user alone (SQLite gives its -wal and -shm files
    the database's mode), and take away what others may do with one made before."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            if stat.S_IMODE(os.stat(name).st_mode) & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            pass
        except PermissionError:  # another user's file: it keeps its mode, but say so
            log.warning("the ledger file %s is readable by others and not the shop's to change", name)


class RedisLedger:
    """The same ledger in Redis, for several hosts behind a load balancer. Each change is one
    atomic command or script, so the claim holds across every process that shares the Redis."""

    TTL = 30 * 24 * 3600  # long after any payment could still come back

    # Claim again only what is uncertain, or a claim whose request died without an answer.
    RECLAIM = """
        local entry = redis.call('GET', KEYS[1])
        if not entry then return 0 end
        local state = cjson.decode(entry)
        if state.state == 'uncertain' or (state.state == 'creating' and state.updated_at < tonumber(ARGV[2])) then
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
            return 1
        end
        return 0
    """
    RELEASE = """
        local entry = redis.call('GET', KEYS[1])
        if entry and cjson.decode(entry).state ~= 'created' then redis.call('DEL', KEYS[1]) end
        return 0
    """
    UNLEASE = """
        local entry = redis.call('GET', KEYS[1])
        if entry and cjson.decode(entry).state == 'changing' then redis.call('DEL', KEYS[1]) end
        return 0
    """
    # The session's cart: the one known unless it is gone (ARGV[3..]); else this one (ARGV[1]).
    SESSION_CART = """
        local known = redis.call('GET', KEYS[1])
        if known then
            local gone = false
            for i = 3, #ARGV do if ARGV[i] == known then gone = true end end
            if not gone then return known end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        return ARGV[1]
    """

    def __init__(self, url: str, prefix: str = "vdmshop:ledger:", stale_after: float = 120):
        self.link = redis_link(url)  # short time-outs, and a failure remembered for a few seconds
        self.redis = self.link.client
        self.prefix = prefix
        self.stale_after = stale_after
        self._reclaim = self.redis.register_script(self.RECLAIM)
        self._release = self.redis.register_script(self.RELEASE)
        self._unlease = self.redis.register_script(self.UNLEASE)
        self._session_cart = self.redis.register_script(self.SESSION_CART)

    @contextmanager
    def _redis(self) -> Iterator[Any]:
        """Redis, or LedgerUnavailable. After a time-out a change may or may not have been made:
        never a danger, as an unfinished claim reads as uncertain after `stale_after`."""
        try:
            with self.link.use() as client:
                yield client
        except RedisUnavailable as error:
            raise LedgerUnavailable(f"the order ledger (Redis) is unavailable: {error}") from error

    def _key(self, cart_id: str) -> str:
        return f"{self.prefix}cart:{cart_id}"

    @staticmethod
    def _value(state: str, order_key: str | None = None, payment_url: str | None = None,
               purchase: Purchase | None = None) -> str:
        return json.dumps({"state": state, "order_key": order_key, "payment_url": payment_url,
                           "updated_at": time.time(), "purchase": purchase.as_dict() if purchase else None})

    def claim(self, cart_id: str) -> bool:
        with self._redis() as redis:
            return bool(redis.set(self._key(cart_id), self._value(CREATING), nx=True, ex=self.TTL))

    def lease(self, cart_id: str) -> bool:
        with self._redis() as redis:  # Redis itself ends a lease its request left behind
            return bool(redis.set(self._key(cart_id), self._value(CHANGING), nx=True, ex=LEASE_SECONDS))

    def unlease(self, cart_id: str) -> None:
        with self._redis():
            self._unlease(keys=[self._key(cart_id)])

    def session_cart(self, session: str, cart_id: str, gone: list[str]) -> str:
        with self._redis():
            known = self._session_cart(keys=[f"{self.prefix}session:{session}"],
                                       args=[cart_id, SESSION_CART_SECONDS, *gone])
        return known.decode() if isinstance(known, bytes) else known

    def reclaim(self, cart_id: str) -> bool:
        with self._redis():
            return bool(self._reclaim(keys=[self._key(cart_id)],
                                      args=[self._value(CREATING), time.time() - self.stale_after, self.TTL]))

    def created(self, cart_id: str, order_key: str, payment_url: str | None, purchase: Purchase | None = None) -> None:
        with self._redis() as redis, redis.pipeline() as pipe:
            pipe.set(self._key(cart_id), self._value(CREATED, order_key, payment_url, purchase), ex=self.TTL)
            pipe.set(f"{self.prefix}order:{order_key}", cart_id, ex=self.TTL)
            pipe.execute()

    def uncertain(self, cart_id: str) -> None:
        with self._redis() as redis:
            redis.set(self._key(cart_id), self._value(UNCERTAIN), xx=True, ex=self.TTL)

    def release(self, cart_id: str) -> None:
        with self._redis():
            self._release(keys=[self._key(cart_id)])

    def forget(self, cart_id: str) -> None:
        with self._redis() as redis:
            redis.delete(self._key(cart_id))

    def get(self, cart_id: str) -> Entry | None:
        with self._redis() as redis:
            raw = redis.get(self._key(cart_id))
        if raw is None:
            return None
        data = json.loads(raw)
        state = _state(data["state"], data["updated_at"], self.stale_after)
        if not state:
            return None
        return Entry(cart_id, state, data["order_key"], data["payment_url"], Purchase.read(data.get("purchase")))

    def by_order(self, order_key: str) -> Entry | None:
        with self._redis() as redis:
            cart_id = redis.get(f"{self.prefix}order:{order_key}")
        return self.get(cart_id.decode()) if cart_id else None


def open_ledger(config: dict) -> Ledger | RedisLedger:
    """In Redis when the shop has one (shared by every host), else SQLite (shared on this host)."""
    if config["SHOP_REDIS_URL"]:
        return RedisLedger(config["SHOP_REDIS_URL"], prefix=f"vdmshop:{config['VDM_CLIENT_NAME']}:ledger:")
    Path(config["SHOP_LEDGER_DB"]).parent.mkdir(parents=True, exist_ok=True)
    return Ledger(config["SHOP_LEDGER_DB"])
