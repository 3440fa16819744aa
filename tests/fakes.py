"""A fake VdM client for tests that need VdM to behave in a particular way: it is given to
the shop through the box office (`create_app(vdm_client=...)`) or to a catalogue directly,
never patched into a live one. It answers from VdM-shaped data, counts the calls, and can be
told to fail, hang or be slow per method."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from shop.vdm import Event, Location, NotFound, OrderStatus, PaymentMethod, TicketType, UpstreamTimeout


def sub_event(event_id: int, main_id: int, day: date, *, hall: int = 1, free: int = 10, status: str = "pub",
              at: str = "20:15:00", name: str = "Show") -> dict:
    return {"event_id": event_id, "event_main_id": main_id, "event_name": name, "event_date": day.isoformat(),
            "event_time": at, "event_end": None, "event_free": free, "event_status": status,
            "location_id": hall, "location_name": f"Zaal {hall}"}


def show(event_id: int, performances: list[dict], *, name: str | None = None, genres=()) -> dict:
    return {"event_id": event_id, "event_name": name or f"Show {event_id}", "event_short_text": "",
            "event_text": "", "event_image": None, "event_type": list(genres), "sub_events": performances}


def venue(shows: int, per_show: int = 3, start: date | None = None) -> list[dict]:
    """`shows` shows of `per_show` performances each, from tomorrow on."""
    start = start or date.today() + timedelta(days=1)
    return [show(1000 + s, [sub_event(10000 + s * 10 + p, 1000 + s, start + timedelta(days=s + p * 7))
                            for p in range(per_show)]) for s in range(shows)]


def ticket_type(price: str, discount_id: str = "2ePdA8q3BN", name: str = "Standaard") -> TicketType:
    return TicketType.from_dict({"discount_id": discount_id, "discount_name": name, "base_price": price,
                                 "discount_type": "€", "discount_value": "0.00", "discounted_price": price})


class FakeVdm:
    def __init__(self, events: list[dict], *, delay: float = 0.0):
        self.events = events
        self.delay = delay
        self.calls: Counter[str] = Counter()
        self.failing: dict[str, Exception] = {}
        self.hanging: dict[str, threading.Event] = {}
        self.prices: dict[int, str] = {}
        self.orders: dict[str, str] = {}  # order key: payment status
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    # --- what a test tells it

    def fail(self, method: str, error: Exception) -> None:
        self.failing[method] = error

    def heal(self) -> None:
        self.failing.clear()

    def hang(self, method: str) -> threading.Event:
        """`method` waits until the returned event is set."""
        self.hanging[method] = threading.Event()
        return self.hanging[method]

    # --- the client's methods

    def _call(self, method: str):
        with self._lock:
            self.calls[method] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if method in self.hanging:
                self.hanging[method].wait(10)
            time.sleep(self.delay)
            if method in self.failing:
                raise self.failing[method]
        finally:
            with self._lock:
                self.in_flight -= 1

    def upcoming_events(self) -> list[Event]:
        self._call("upcoming_events")
        return [Event.from_dict(e) for e in self.events]

    def ticket_types(self, performance_id: int) -> list[TicketType]:
        self._call("ticket_types")
        return [ticket_type(self.prices.get(performance_id, "20.00"))]

    def payment_methods(self) -> list[PaymentMethod]:
        self._call("payment_methods")
        return [PaymentMethod(33, "iDEAL", Decimal("0.00"))]

    def locations(self) -> list[Location]:
        self._call("locations")
        return [Location(1, "Zaal 1", "Plein 1", "", "3511 AB", "Utrecht", "NL", "")]

    def event_types(self) -> list[str]:
        self._call("event_types")
        return ["Toneel"]

    def order_status(self, order_key: str) -> OrderStatus:
        self._call("order_status")
        self.calls[f"order_status:{order_key}"] += 1
        if order_key not in self.orders:
            raise NotFound("Order not found")
        return OrderStatus.from_dict(order_key, {"order_payment_status": self.orders[order_key]})

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


HANGS = UpstreamTimeout("VdM did not answer in time")
