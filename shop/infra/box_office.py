"""The shop's one way to VdM: every call the shop makes goes through here.

The box office owns
- the VdM client (one per process; without VDM_API_URL it starts the built-in sandbox on
  a loopback port and talks HTTP to it, with the very code used against VdM). Tests give
  it a client of their own instead;
- the catalogue snapshot (shop/snapshot.py): catalogue pages never wait on VdM;
- the status throttle: an order's status is asked of VdM at most once per interval;
- the pass-through of cart and order calls, which always ask VdM: prices and
  availability at the moment of adding or ordering are VdM's;
- the time budget: within one web request, all VdM calls together wait at most one read
  time-out; calls beyond it are not made;
- the seat features of VdM's authenticated API (seat choice, hold times, donations): on with
  an API key (VDM_API_KEY, or the built-in sandbox's own), off for the rest of the process
  once VdM refuses the key, with one log line. Seating plans are kept a few seconds per
  performance, so that a rush on one plan is not one VdM call per page.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, TypeVar

from flask import Flask, current_app, g

from shop.extensions import cache
from shop.infra.requestlog import vdm_call_finished
from shop.infra.snapshot import Catalogue, MemoryStore, RedisStore, Snapshot
from shop.vdm import (
    Cart,
    CartNotFound,
    Customer,
    Hall,
    HeldCart,
    KeyRefused,
    NewItem,
    NotFound,
    OrderCreated,
    OrderStatus,
    PaymentMethod,
    SeatPlan,
    TicketType,
    UpstreamUnavailable,
    VdmClient,
    VdmError,
    budget_left,
    time_budget,
)

log = logging.getLogger(__name__)

# How long a performance's seating plan is kept: short, since every sale changes it.
SEAT_PLAN_SECONDS = 5
_NO_PLAN = "no-plan"  # kept like a plan: a hall without numbered seats, or a plan VdM failed to give

T = TypeVar("T")


class CatalogueLoading(Exception):
    """There is no snapshot yet, and the first did not come within the page's budget."""


class BoxOffice:
    def __init__(self, app: Flask, client: VdmClient | None = None):
        cfg = app.config
        self.app = app
        self._lock = threading.Lock()
        self._client = client
        self._injected = client is not None
        self._pid = os.getpid() if client else None
        self._key_refused = False
        self.budget = cfg["VDM_READ_TIMEOUT"]
        self.status_interval = cfg["SHOP_STATUS_INTERVAL"]
        # With Redis the gates are shared by every process; in memory they are this process's,
        # in a store that only time empties, so a flood of made-up keys cannot push out a real
        # order's gate (the shared cache drops entries when it is full).
        self.gates = cache if cfg["SHOP_REDIS_URL"] else Gates()
        prefix = f"vdmshop:{cfg['VDM_CLIENT_NAME']}:"
        store = RedisStore(cfg["SHOP_REDIS_URL"], prefix) if cfg["SHOP_REDIS_URL"] else MemoryStore()
        self.catalogue = Catalogue(self.client, store, interval=cfg["SHOP_CATALOGUE_REFRESH"],
                                   concurrency=cfg["SHOP_CATALOGUE_CONCURRENCY"], halls=self.halls)
        app.extensions["box_office"] = self
        app.before_request(self._start_budget)
        app.teardown_request(self._end_budget)

    # --- the client ---------------------------------------------------------------------

    def client(self) -> VdmClient:
        # Worker processes forked from a preloaded app must not share sockets or threads.
        if self._client is None or (self._pid != os.getpid() and not self._injected):
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    cfg = self.app.config
                    self._client = VdmClient(
                        cfg["VDM_API_URL"] or self._start_sandbox(),
                        cfg["VDM_CLIENT_NAME"],
                        connect_timeout=cfg["VDM_CONNECT_TIMEOUT"],
                        read_timeout=cfg["VDM_READ_TIMEOUT"],
                        on_call=vdm_call_finished,
                        api_key=self._api_key(),
                    )
                    self._pid = os.getpid()
        return self._client

    def _api_key(self) -> str | None:
        """VDM_API_KEY; with the built-in sandbox and no key of its own, the sandbox's generated one."""
        cfg = self.app.config
        if cfg["VDM_API_KEY"] or cfg["VDM_API_URL"]:
            return cfg["VDM_API_KEY"] or None
        return cfg["SANDBOX_SETTINGS"].api_key

    def _start_sandbox(self) -> str:
        from dataclasses import replace

        from vdm_sandbox import create_app as create_sandbox
        from vdm_sandbox.server import serve_in_thread

        cfg = self.app.config
        settings = cfg["SANDBOX_SETTINGS"]  # read by the sandbox's own rules (config.py)
        # The sandbox's pages (payment, tickets, images) are served by the shop itself, so its
        # links are paths on the shop's own site: never a host taken from some request's header.
        settings = replace(settings, public_url=settings.public_url or cfg["SHOP_BASE_URL"] or "/",
                           secret_key=cfg["SECRET_KEY"])
        _, url = serve_in_thread(create_sandbox(settings))
        return url + "/v1"

    # --- the time budget of a web request -----------------------------------------------

    def _start_budget(self) -> None:
        g.vdm_budget = time_budget(self.budget)
        g.vdm_budget.__enter__()

    @staticmethod
    def _end_budget(_error=None) -> None:
        budget = g.pop("vdm_budget", None)
        if budget is not None:
            budget.__exit__(None, None, None)

    # --- the catalogue: from the snapshot -----------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current snapshot. Only before the first one does this wait (within the page's
        budget) for the refresher's first call; raises CatalogueLoading when it does not come."""
        snapshot = self.catalogue.current()
        if snapshot is None:
            left = budget_left()
            snapshot = self.catalogue.wait_for_first(self.budget if left is None else left)
        if snapshot is None:
            if self.catalogue.unreachable:
                raise UpstreamUnavailable("the catalogue could not be loaded from VdM")
            raise CatalogueLoading()
        return snapshot

    def ticket_types(self, snapshot: Snapshot, performance_id: int) -> tuple[TicketType, ...] | None:
        """A performance's ticket types from the snapshot. Only while the first snapshot has
        no prices yet is VdM asked directly (within the budget). None: not known now."""
        if performance_id in snapshot.ticket_types:
            return snapshot.ticket_types[performance_id]
        if snapshot.complete:
            return None
        newest = self.catalogue.newest()  # another process may have the prices already
        if newest is not None and newest.complete:
            return newest.ticket_types.get(performance_id)
        try:
            return tuple(self.client().ticket_types(performance_id))
        except NotFound:
            return ()
        except VdmError:
            return None

    def payment_methods(self) -> tuple[PaymentMethod, ...]:
        """From the snapshot; asked of VdM directly only when the snapshot has none (the first
        one still loading, or VdM failing that part since the shop started)."""
        snapshot = self.catalogue.current()
        if snapshot is not None and snapshot.payment_methods:
            return snapshot.payment_methods
        return tuple(self.client().payment_methods())

    # --- cart and order: always VdM's answer --------------------------------------------

    def create_cart(self) -> str:
        return self.client().create_cart()

    def cart(self, cart_id: str) -> Cart:
        return self.client().cart(cart_id)

    def add_to_cart(self, cart_id: str, performance_id: int, quantity: int, ticket_type_id: str) -> Cart:
        return self.client().add_to_cart(cart_id, performance_id, quantity, ticket_type_id)

    def remove_seat(self, cart_id: str, seat_id: str) -> Cart:
        return self.client().remove_seat(cart_id, seat_id)

    def create_order(self, cart_id: str, payment_id: int, redirect_url: str, customer: Customer) -> OrderCreated:
        return self.client().create_order(cart_id, payment_id, redirect_url, customer)

    # --- seats, hold times and donations: VdM's authenticated API ------------------------

    @property
    def seats_enabled(self) -> bool:
        """There is an API key, and VdM has not refused it since this process started."""
        return not self._key_refused and bool(getattr(self.client(), "has_key", False))

    def seat_plan(self, performance_id: int) -> SeatPlan | None:
        """The performance's seating plan, kept SEAT_PLAN_SECONDS (it is the same for every buyer).
        None when seats are off, the hall has no numbered seats, or VdM failed (logged)."""
        if not self.seats_enabled:
            return None
        key = f"seat-plan:{int(performance_id)}"
        plan = cache.get(key)
        if plan is None:
            try:
                plan = self._authenticated(self.client().seat_plan, performance_id) or _NO_PLAN
            except KeyRefused:
                return None
            except VdmError as error:
                log.warning("seating plan of performance %s not loaded (%s)", performance_id, error)
                plan = _NO_PLAN  # a failing VdM is not asked again by every page either
            cache.set(key, plan, timeout=SEAT_PLAN_SECONDS)
        return plan if isinstance(plan, SeatPlan) else None

    def held_cart(self, cart_id: str) -> HeldCart | None:
        """The cart with its seats, donations and time-out; None when seats are off or VdM cannot
        say (the pages then do without hold times)."""
        if not self.seats_enabled:
            return None
        try:
            return self._authenticated(self.client().held_cart, cart_id)
        except CartNotFound:
            return None  # the public cart call tells the buyer their cart is gone
        except VdmError as error:
            log.warning("held cart not loaded (%s)", error)
            return None

    def add_items(self, cart_id: str, items: list[NewItem]) -> HeldCart:
        """Chosen seats and donations into the cart, all or nothing (SeatsTaken names the seats
        that are not free). The plans of the performances involved are asked afresh after."""
        try:
            return self._authenticated(self.client().add_items, cart_id, items)
        finally:
            for event_id in {item.event_id for item in items if item.event_id is not None}:
                cache.delete(f"seat-plan:{int(event_id)}")

    def remove_item(self, cart_id: str, item_id: str, event_id: int | None = None) -> HeldCart:
        """Remove one item; with its performance's `event_id`, that plan is asked afresh after."""
        try:
            return self._authenticated(self.client().remove_item, cart_id, item_id)
        finally:
            if event_id is not None:
                cache.delete(f"seat-plan:{int(event_id)}")

    def halls(self) -> list[Hall] | None:
        """VdM's halls, for the snapshot's addresses: none with seats off; None when VdM fails
        (the snapshot then keeps the addresses it had)."""
        if not self.seats_enabled:
            return []
        try:
            return self._authenticated(self.client().halls)
        except NotFound:
            return []
        except VdmError as error:
            log.warning("halls not loaded (%s)", error)
            return None

    def _authenticated(self, call: Callable[..., T], *args) -> T:
        """One authenticated call. Once VdM has refused the key, no more are made."""
        if self._key_refused:
            raise KeyRefused("the VdM API key was refused earlier")
        try:
            return call(*args)
        except KeyRefused as error:
            if error.status is not None:  # VdM answered 401/403 (not: no key, so no call)
                self._refuse_key(error.status)
            raise

    def _refuse_key(self, status: int) -> None:
        with self._lock:
            first, self._key_refused = not self._key_refused, True
        if first:
            log.error("VDM_API_KEY was refused by VdM (%s): seat choice, hold times and donations are off "
                      "until the shop is restarted with a key VdM accepts", status)

    # --- order status: VdM asks for at most one poll per order every 10 seconds ----------

    def order_status(self, order_key: str, wait: float = 2.0) -> OrderStatus | None:
        """The order's status, asked of VdM at most once per SHOP_STATUS_INTERVAL for each order,
        however many buyers, tabs or workers ask (workers share it when the cache is shared).

        Returns None when another request is asking right now or the last try failed less
        than an interval ago; raises NotFound for an unknown order.
        """
        key, gates = f"order-status:{order_key}", self.gates
        known = gates.get(key)
        if known is None:
            with _gate_lock:
                allowed = gates.add(f"order-status-gate:{order_key}", True, timeout=self.status_interval)
            if allowed:
                try:
                    known = self.client().order_status(order_key)
                except NotFound:
                    known = _NOT_FOUND
                gates.set(key, known, timeout=self.status_interval)
            else:
                deadline = time.monotonic() + wait
                while known is None and time.monotonic() < deadline:
                    time.sleep(0.1)
                    known = gates.get(key)
        if known == _NOT_FOUND:
            raise NotFound("Order not found")
        return known

    def remembered(self, key: str, fetch, seconds: float):
        """`fetch()`'s answer, kept for `seconds`, for the few answers worth keeping briefly."""
        value = cache.get(key)
        if value is None:
            value = fetch()
            cache.set(key, value, timeout=max(1, int(seconds)))
        return value


class Gates:
    """A small store in memory whose entries leave only when their time is up (the cache's
    add, get and set, without its eviction when full)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str):
        expires, value = self._entries.get(key, (0.0, None))
        return value if expires > self.clock() else None

    def set(self, key: str, value, timeout: float) -> None:
        with self._lock:
            self._put(key, value, timeout)

    def add(self, key: str, value, timeout: float) -> bool:
        with self._lock:
            if self.get(key) is not None:
                return False
            self._put(key, value, timeout)
            return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _put(self, key: str, value, timeout: float) -> None:
        now = self.clock()
        if len(self._entries) > 1000:  # a few seconds' worth at most: drop what has expired
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
        self._entries[key] = (now + timeout, value)


_NOT_FOUND = "not-found"
_gate_lock = threading.Lock()  # makes the in-process cache's add atomic; Redis's is by itself


def box_office() -> BoxOffice:
    return current_app.extensions["box_office"]
