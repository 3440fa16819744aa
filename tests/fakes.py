"""VdM made to behave in a particular way, for the tests that need it. Each is given to the
shop through the box office (`make_app(vdm_client=...)`, `create_app(vdm_client=...)`) or to
a catalogue directly, never patched into the shop's own client:

- `FakeVdm` answers from VdM-shaped data, counts the calls, and can be told to fail, hang or
  be slow per method;
- `ScriptedVdm` is a real client on the sandbox whose cart and order methods a test may
  script (fail, or answer something else) and heal again;
- `FakeUpstream` is an HTTP server that answers whatever a test tells it to, for the client's
  own handling of what comes over the wire."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from demo import IDEAL, STANDARD

from shop.vdm import Event, Location, NotFound, OrderStatus, PaymentMethod, TicketType, UpstreamTimeout, VdmClient
from vdm_sandbox.server import serve_in_thread


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


def ticket_type(price: str, discount_id: str = STANDARD, name: str = "Standaard") -> TicketType:
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
        return [PaymentMethod(IDEAL, "iDEAL", Decimal("0.00"))]

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


class ScriptedVdm(VdmClient):
    """A real client on the sandbox (`ScriptedVdm(sandbox.url + "/v1")`) whose cart and order
    calls a test may script: `fail(method, error)` makes it raise, `answer(method, function)`
    answers with `function(*arguments)` instead, `heal()` makes it real again. `calls` counts
    every call of those methods, scripted or not."""

    SCRIPTABLE = ("create_cart", "cart", "add_to_cart", "remove_seat", "create_order", "order_status")

    def __init__(self, base_url: str, client_name: str = "demo", **options):
        super().__init__(base_url, client_name, **{"read_timeout": 5, "backoff": 0, **options})
        self.scripts: dict[str, object] = {}
        self.calls: Counter[str] = Counter()

    def fail(self, method: str, error: Exception) -> None:
        def raise_it(*args):
            raise error
        self.answer(method, raise_it)

    def answer(self, method: str, function) -> None:
        assert method in self.SCRIPTABLE, method
        self.scripts[method] = function

    def heal(self) -> None:
        self.scripts.clear()

    def _call(self, method: str, *args):
        self.calls[method] += 1
        script = self.scripts.get(method)
        return script(*args) if script else getattr(super(), method)(*args)

    def create_cart(self):
        return self._call("create_cart")

    def cart(self, cart_id):
        return self._call("cart", cart_id)

    def add_to_cart(self, cart_id, performance_id, quantity, ticket_type_id):
        return self._call("add_to_cart", cart_id, performance_id, quantity, ticket_type_id)

    def remove_seat(self, cart_id, seat_id):
        return self._call("remove_seat", cart_id, seat_id)

    def create_order(self, cart_id, payment_id, redirect_url, customer):
        return self._call("create_order", cart_id, payment_id, redirect_url, customer)

    def order_status(self, order_key):
        return self._call("order_status", order_key)


class FakeUpstream:
    """An HTTP server that answers whatever a test tells it to, and counts the requests."""

    def __init__(self):
        self.routes: dict[tuple[str, str], tuple] = {}
        self.calls: list[tuple[str, str]] = []
        self.raw_paths: list[str] = []
        self.authorizations: list[tuple[str, str, str | None]] = []  # method, path, Authorization header
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()
        self.server, self.url = serve_in_thread(self.wsgi)

    def answer(self, method: str, path: str, status: int = 200, body=b"", delay: float = 0,
               content_type: str = "application/json", trickle: float = 0):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.routes[(method, "/v1/demo/" + path)] = (status, body, delay, content_type, trickle)

    def count(self, method: str, path: str) -> int:
        return self.calls.count((method, "/v1/demo/" + path))

    def wsgi(self, environ, start_response):
        key = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        with self.lock:
            self.calls.append(key)
            self.raw_paths.append(environ.get("RAW_URI", ""))
            self.authorizations.append((*key, environ.get("HTTP_AUTHORIZATION")))
            self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        status, body, delay, content_type, trickle = self.routes.get(key, (404, b'{"message": "Not found"}', 0, "application/json", 0))
        time.sleep(delay)
        headers = [("Content-Type", content_type)]
        if 300 <= status < 400:  # somewhere a client that follows redirects would go next
            headers.append(("Location", "/v1/demo/events"))
        start_response(f"{status} X", headers)
        if trickle:
            def slowly():
                for i in range(0, len(body), 4):
                    time.sleep(trickle)
                    yield body[i:i + 4]
            return slowly()
        return [body]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
