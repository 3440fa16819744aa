"""The shop's way to its VdM client: one per process, made on first use.

Without VDM_API_URL the shop starts its built-in sandbox on a loopback port in
the same process and talks HTTP to it, with the very code used against VdM.
"""

from __future__ import annotations

import os
import threading
import time

from flask import Flask, current_app
from flask_caching import Cache

from .requestlog import vdm_call_finished
from .vdm import Event, NotFound, OrderStatus, PaymentMethod, TicketType, VdmClient, VdmError


class Upstream:
    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._client: VdmClient | None = None
        self._pid: int | None = None
        app.extensions["upstream"] = self

    def client(self) -> VdmClient:
        # Worker processes forked from a preloaded app must not share sockets or threads.
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    cfg = self.app.config
                    self._client = VdmClient(
                        cfg["VDM_API_URL"] or self._start_sandbox(),
                        cfg["VDM_CLIENT_NAME"],
                        connect_timeout=cfg["VDM_CONNECT_TIMEOUT"],
                        read_timeout=cfg["VDM_READ_TIMEOUT"],
                        on_call=vdm_call_finished,
                    )
                    self._pid = os.getpid()
        return self._client

    def _start_sandbox(self) -> str:
        from .sandbox import create_app as create_sandbox
        from .sandbox.server import serve_in_thread

        cfg = self.app.config
        settings = {key: value for key, value in cfg.items() if key.startswith("SANDBOX_")}
        # The sandbox's pages (payment, tickets, images) are served by the shop itself, so its
        # links are paths on the shop's own site: never a host taken from some request's header.
        settings["SANDBOX_PUBLIC_URL"] = cfg["SANDBOX_PUBLIC_URL"] or cfg["SHOP_BASE_URL"] or "/"
        settings["SECRET_KEY"] = cfg["SECRET_KEY"]
        _, url = serve_in_thread(create_sandbox(settings, instance_path=self.app.instance_path))
        return url + "/v1"


def vdm() -> VdmClient:
    return current_app.extensions["upstream"].client()


# --- the catalogue, cached briefly: changes at VdM show within SHOP_CACHE_SECONDS -------

cache = Cache()
_gate_lock = threading.Lock()  # makes the in-process cache's add atomic; Redis's is by itself


def cached(key: str, fetch):
    """The value under `key`, fetched again once it is SHOP_CACHE_SECONDS old.

    When it expires, one request fetches it while the others keep serving the old value
    for a moment, so a busy page does not send a crowd of identical calls to VdM at once.
    """
    fresh_for = current_app.config["SHOP_CACHE_SECONDS"]
    entry = cache.get(key)
    if entry is not None:
        value, fetched_at = entry
        if time.time() - fetched_at < fresh_for:
            return value
        with _gate_lock:
            refreshing_elsewhere = not cache.add(f"refresh:{key}", True, timeout=max(1, fresh_for))
        if refreshing_elsewhere:
            return value
    try:
        value = fetch()
    except VdmError:
        if entry is None:
            raise
        return entry[0]  # VdM stumbled while refreshing: the last answer is still good for a moment
    cache.set(key, (value, time.time()), timeout=2 * fresh_for)
    cache.delete(f"refresh:{key}")
    return value


def upcoming_events() -> list[Event]:
    return cached("events:upcoming", lambda: vdm().upcoming_events())


def event(event_id: int) -> Event:
    return cached(f"event:{event_id}", lambda: vdm().event(event_id))


def ticket_types(performance_id: int) -> list[TicketType]:
    return cached(f"tickettypes:{performance_id}", lambda: vdm().ticket_types(performance_id))


def payment_methods() -> list[PaymentMethod]:
    return cached("paymentmethods", lambda: vdm().payment_methods())


# --- order status: VdM asks for at most one poll per order every 10 seconds --------------

NOT_FOUND = "not-found"


def order_status(order_key: str, wait: float = 2.0) -> OrderStatus | None:
    """The order's status, asked of VdM at most once per SHOP_STATUS_INTERVAL for each order,
    however many buyers, tabs or workers ask (workers share it when the cache is shared).

    Returns None when another request is asking right now or the last try failed less
    than an interval ago; raises NotFound for an unknown order.
    """
    interval = current_app.config["SHOP_STATUS_INTERVAL"]
    key = f"order-status:{order_key}"
    cached = cache.get(key)
    if cached is None:
        with _gate_lock:
            allowed = cache.add(f"order-status-gate:{order_key}", True, timeout=interval)
        if allowed:
            try:
                cached = vdm().order_status(order_key)
            except NotFound:
                cached = NOT_FOUND
            cache.set(key, cached, timeout=interval)
        else:
            deadline = time.monotonic() + wait
            while cached is None and time.monotonic() < deadline:
                time.sleep(0.1)
                cached = cache.get(key)
    if cached == NOT_FOUND:
        raise NotFound("Order not found")
    return cached
