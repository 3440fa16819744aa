"""A small client for VdM's public API, and the few authenticated ("Peppered") calls the shop
uses: halls, seating plans and the richer cart. It knows nothing of Flask.

The API key goes, raw as VdM documents it, in the `Authorization` header of the Peppered
calls only: never on a public call, never in a log line, an exception or a repr. Without a key
a Peppered method raises `KeyRefused` without calling; a 401 or 403 raises it too.

Every call has a connect and a read time-out and a cap on the answer's size.
Only GET is retried, after a failed connection or a 5xx, never after a time-out: a
retried POST `order/create` could create a second order, and a retried slow call only
makes the buyer wait longer.

Besides each call's own time-outs, a caller can give a whole piece of work (a web
request, say) a time budget with `time_budget()`: every call within it waits at most
what is left, and a call that would start with nothing left is not made at all.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.response import BaseHTTPResponse

from shop.vdm.errors import (
    BadResponse,
    BudgetSpent,
    CartNotFound,
    ConnectFailed,
    KeyRefused,
    NotFound,
    Rejected,
    SeatsTaken,
    UpstreamTimeout,
    UpstreamUnavailable,
    VdmError,
)
from shop.vdm.models import (
    Cart,
    Event,
    Location,
    OrderCreated,
    OrderStatus,
    PaymentMethod,
    Performance,
    TicketType,
    clean_text,
    expect_list,
    expect_object,
    items_with,
    read_required_str,
    read_str,
)
from shop.vdm.peppered import Hall, HeldCart, NewItem, SeatPlan

log = logging.getLogger(__name__)

USER_AGENT = "vdm-reference-shop/0.1 (+python-requests)"
MAX_BODY_BYTES = 5 * 1024 * 1024

# The monotonic moment by which the current piece of work must be done with VdM, if any.
# A context variable: each thread (each web request) has its own.
_deadline: ContextVar[float | None] = ContextVar("vdm_deadline", default=None)


@contextmanager
def time_budget(seconds: float):
    """Within this block, all VdM calls together wait at most `seconds`."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def budget_left() -> float | None:
    """Seconds left in the current time budget; None when there is none."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@dataclass(frozen=True)
class Customer:
    """What the buyer fills in at checkout, in VdM's field names."""

    email: str
    firstname: str
    lastname: str
    phone: str = ""
    address: str = ""
    city: str = ""
    zip: str = ""
    avg_optin: bool = False
    avg_mailinglist: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any

    @property
    def message(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("message"), str):
            return clean_text(self.data["message"][:300])
        return f"HTTP {self.status}"

    @property
    def is_error_object(self) -> bool:
        return isinstance(self.data, dict) and "message" in self.data


class VdmClient:
    def __init__(
        self,
        base_url: str,
        client_name: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.25,
        pool_size: int = 16,
        session: requests.Session | None = None,
        on_call: Callable[[str, str, float], None] | None = None,
        api_key: str | None = None,
    ):
        self.root = f"{base_url.rstrip('/')}/{quote(client_name, safe='')}/"
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.on_call = on_call
        self._api_key = (api_key or "").strip() or None  # only ever put in a Peppered call's header
        if self._api_key and not all(" " <= c <= "~" for c in self._api_key):
            # requests would refuse it later with the value in its message
            raise ValueError("the VdM API key may only hold printable ASCII characters")
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"<VdmClient {self.root} {'with' if self.has_key else 'without'} an API key>"

    @property
    def has_key(self) -> bool:
        """An API key was given, so the Peppered calls can be tried."""
        return self._api_key is not None

    # --- events -------------------------------------------------------------

    def events(self) -> list[Event]:
        return [Event.from_dict(e) for e in self._list(self._get("events"), "events")]

    def upcoming_events(self) -> list[Event]:
        return [Event.from_dict(e) for e in self._list(self._get("events", "upcoming"), "events")]

    def event(self, event_id: int) -> Event:
        """A show by its id (a performance id gives that performance alone)."""
        answer = self._get("events", _int_id(event_id))
        items = self._list(answer, "event")
        if not items:
            raise NotFound("Event not found", status=answer.status)
        return Event.from_dict(items[0])

    def performance(self, performance_id: int) -> Performance:
        performance = self.event(performance_id).performance(_int_id(performance_id))
        if performance is None:
            raise NotFound("Performance not found")
        return performance

    def ticket_types(self, performance_id: int) -> list[TicketType]:
        answer = self._get("tickettypes", _int_id(performance_id))
        if answer.is_error_object:  # VdM answers an unknown performance with an error object
            raise NotFound(answer.message, status=answer.status)
        return [TicketType.from_dict(t) for t in self._list(answer, "ticket types")]

    def payment_methods(self) -> list[PaymentMethod]:
        return [PaymentMethod.from_dict(p) for p in self._list(self._get("paymentmethods"), "payment methods")]

    # --- halls and genres: undocumented by VdM, so callers must cope with NotFound and BadResponse

    def locations(self) -> list[Location]:
        """The venue's halls with their addresses. Items without a `location_id` are skipped."""
        items = items_with(self._list(self._get("locations"), "locations"), "location_id")
        return [Location.from_dict(item) for item in items]

    def event_types(self) -> list[str]:
        """The venue's genres by name; the name is the identifier."""
        items = items_with(self._list(self._get("eventtypes"), "event types"), "eventtype_name")
        names = (read_str(item, "eventtype_name").strip() for item in items)  # an unusable name is skipped
        return list(dict.fromkeys(name for name in names if name))

    def events_of_type(self, name: str) -> list[Event]:
        """The shows of one genre, in the shape of `events`."""
        items = items_with(self._list(self._get("eventtypes", name), "events"), "event_id")
        return [Event.from_dict(e) for e in items]

    # --- cart ---------------------------------------------------------------

    def create_cart(self) -> str:
        answer = self._request("POST", ("cart", ""))
        self._raise_for_status(answer)
        return read_required_str(expect_object(answer.data, "new cart"), "cart_id", "new cart")

    def cart(self, cart_id: str) -> Cart:
        answer = self._request("GET", ("cart", cart_id))
        self._raise_for_cart(answer)
        if answer.is_error_object:
            raise CartNotFound(answer.message, status=answer.status)
        return Cart.from_list(cart_id, answer.data)

    def add_to_cart(self, cart_id: str, performance_id: int, quantity: int, ticket_type_id: str) -> Cart:
        body = {"event_id": _int_id(performance_id), "numberoftickets": int(quantity), "discount_id": ticket_type_id}
        return self._cart_answer(cart_id, self._request("POST", ("cart", cart_id), body))

    def remove_seat(self, cart_id: str, seat_id: str) -> Cart:
        answer = self._request("DELETE", ("cart", cart_id, seat_id))
        if isinstance(answer.data, list):
            return self._cart_answer(cart_id, answer)
        # The documentation does not say what DELETE answers: ask for the cart itself.
        self._raise_for_cart(answer)
        return self.cart(cart_id)

    # --- orders -------------------------------------------------------------

    def create_order(self, cart_id: str, payment_id: int, redirect_url: str, customer: Customer) -> OrderCreated:
        """Turn the cart into an order. Never retried: a time-out raises `UpstreamTimeout`,
        after which the order may or may not exist. Within a time budget it is only sent with
        at least half a read time-out left (else `BudgetSpent`: certainly not sent), so that a
        budget nearly spent elsewhere does not turn a sure answer into an uncertain one."""
        body = {"cart_id": cart_id, "payment_id": _int_id(payment_id), "redirectURL": redirect_url}
        body.update(customer.__dict__)
        answer = self._request("POST", ("order", "create"), body, needs=self.timeout[1] / 2)
        self._raise_for_status(answer)
        if answer.is_error_object:
            raise Rejected(answer.message, status=answer.status)
        return OrderCreated.from_answer(answer.data)

    def order_status(self, order_key: str) -> OrderStatus:
        answer = self._get("order", order_key)
        if answer.is_error_object and "order_payment_status" not in answer.data:
            raise NotFound(answer.message, status=answer.status)
        return OrderStatus.from_dict(order_key, answer.data)

    # --- Peppered (authenticated): halls, seating plans, the richer cart ----

    def halls(self) -> list[Hall]:
        answer = self._peppered("GET", ("hall",))
        self._raise_for_status(answer)
        return [Hall.from_dict(h) for h in self._list(answer, "halls")]

    def seat_plan(self, event_id: int) -> SeatPlan | None:
        """The performance's seating plan; None when its hall has no numbered seats (VdM answers
        an empty plan, or 404)."""
        event_id = _int_id(event_id)
        answer = self._peppered("GET", ("seating", event_id))
        if answer.status == 404:
            return None
        self._raise_for_status(answer)
        plan = SeatPlan.from_dict(answer.data, event_id)
        return plan if plan.numbered else None

    def held_cart(self, cart_id: str) -> HeldCart:
        """The cart (the public cart's id) with its seats, donations and time-out."""
        return self._held("GET", (_path_token(cart_id),), cart_id)

    def cart_summary(self, cart_id: str) -> HeldCart:
        """The cart's totals and time-out only: its `items` are empty."""
        return self._held("GET", (_path_token(cart_id), "summary"), cart_id)

    def add_items(self, cart_id: str, items: list[NewItem]) -> HeldCart:
        """Add tickets (chosen seats, or a number of a rank) and donations in one call, all or
        nothing. Never retried. Raises `SeatsTaken` (409) with the seats that are not free,
        `Rejected` for any other refusal, `CartNotFound` for a cart VdM does not know."""
        if not items:
            raise ValueError("nothing to add")
        body = [item.as_json() for item in items]
        answer = self._peppered("POST", ("cart", _path_token(cart_id)), body)
        if answer.status == 409:
            raise SeatsTaken(answer.message, _seat_ids(answer.data))
        return self._held_answer(cart_id, answer)

    def remove_item(self, cart_id: str, item_id: str) -> HeldCart:
        """Remove one item (a ticket's `item_id` is the public cart's seat id). Never retried."""
        answer = self._peppered("DELETE", ("cart", _path_token(cart_id), _path_token(item_id)))
        return self._held_answer(cart_id, answer)

    def _held(self, method: str, parts: tuple, cart_id: str) -> HeldCart:
        answer = self._peppered(method, ("cart", *parts))
        if answer.status == 404:  # nothing but the cart can be unknown here
            raise CartNotFound(answer.message, status=404)
        return self._held_answer(cart_id, answer)

    def _held_answer(self, cart_id: str, answer: Answer) -> HeldCart:
        self._raise_for_cart(answer)
        return HeldCart.from_dict(answer.data, cart_id)

    def _peppered(self, method: str, parts: tuple, body: list | None = None) -> Answer:
        """One authenticated call. A refused key is `KeyRefused` whatever VdM says with it (its
        message is left out: it might quote the key)."""
        if self._api_key is None:
            raise KeyRefused("no VdM API key is configured")
        answer = self._request(method, ("peppered", *parts), body, headers={"Authorization": self._api_key})
        if answer.status in (401, 403):
            raise KeyRefused(f"VdM refused the API key (HTTP {answer.status})", status=answer.status)
        return answer

    # --- plumbing -----------------------------------------------------------

    def _get(self, *parts: Any) -> Answer:
        answer = self._request("GET", parts)
        self._raise_for_status(answer)
        return answer

    @staticmethod
    def _list(answer: Answer, what: str) -> list:
        if answer.is_error_object:
            raise BadResponse(f"{what}: error object instead of a list: {answer.message}", status=answer.status)
        return expect_list(answer.data, what)

    def _cart_answer(self, cart_id: str, answer: Answer) -> Cart:
        self._raise_for_cart(answer)
        if answer.is_error_object:
            raise Rejected(answer.message, status=answer.status)
        return Cart.from_list(cart_id, answer.data)

    def _raise_for_cart(self, answer: Answer) -> None:
        """The documentation does not say how an unknown or expired cart is answered: a 404
        that speaks of the cart, or says nothing, counts as a cart that is gone; a 404 about
        something else (the event, the seat) is a plain NotFound."""
        if answer.status == 404:
            about = answer.message.lower()
            if "cart" in about or not answer.is_error_object:
                raise CartNotFound(answer.message, status=404)
        self._raise_for_status(answer)

    @staticmethod
    def _raise_for_status(answer: Answer) -> None:
        if answer.status == 404:
            raise NotFound(answer.message, status=404)
        if 400 <= answer.status < 500:
            raise Rejected(answer.message, status=answer.status)
        if not 200 <= answer.status < 300:
            raise BadResponse(f"unexpected HTTP status {answer.status}", status=answer.status)

    def _request(self, method: str, parts: tuple, body: dict | list | None = None, needs: float = 0.0,
                 headers: dict[str, str] | None = None) -> Answer:
        url = self.root + "/".join(quote(str(p), safe="") for p in parts)
        path = url[len(self.root):]
        attempts = 1 + (self.retries if method == "GET" else 0)
        error: VdmError = UpstreamUnavailable("no attempt made")
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            left = budget_left()
            if left is not None and left <= max(needs, 0.05):
                log.warning("VdM %s %s not sent: the time budget is spent", method, path)
                raise error if attempt else BudgetSpent("the time allowed for VdM is used up")
            started = time.monotonic()
            try:
                status, raw = self._send(method, url, body, left, headers)
            except VdmError as exc:
                error = exc
                log.warning("VdM %s %s failed: %s", method, path, exc)
                if not isinstance(exc, UpstreamUnavailable) or isinstance(exc, UpstreamTimeout):
                    break  # a slow VdM gets no extra load, the buyer no extra wait; garbage stays garbage
                continue
            finally:
                if self.on_call:
                    self.on_call(method, path, time.monotonic() - started)
            if status >= 500:
                error = UpstreamUnavailable(f"VdM answered HTTP {status}", status=status)
                log.warning("VdM %s %s answered %s", method, path, status)
                continue
            return Answer(status, _decode(raw, status))
        raise error

    def _send(self, method: str, url: str, body: dict | list | None, left: float | None,
              headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One HTTP exchange, with the read time-out applied to the whole body."""
        connect_timeout, read_timeout = self.timeout
        if left is not None:
            connect_timeout, read_timeout = min(connect_timeout, left), min(read_timeout, left)
        try:
            if body is not None:
                headers = {**(headers or {}), "Content-Type": "application/json"}
            with self.session.request(method, url, data=None if body is None else json_body(body), headers=headers,
                                      stream=True, allow_redirects=False,
                                      timeout=(connect_timeout, read_timeout)) as resp:
                deadline = time.monotonic() + read_timeout
                chunks, size = [], 0
                for chunk in _chunks(resp):
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise BadResponse("answer too large", status=resp.status_code)
                    if time.monotonic() > deadline:
                        raise UpstreamTimeout("VdM answered too slowly")
                    chunks.append(chunk)
                return resp.status_code, b"".join(chunks)
        except requests.Timeout as exc:
            if _never_sent(exc):
                raise ConnectFailed(f"cannot connect to VdM: {exc.__class__.__name__}") from exc
            raise UpstreamTimeout("VdM did not answer in time") from exc
        except requests.RequestException as exc:
            if _never_sent(exc):
                raise ConnectFailed(f"cannot connect to VdM: {exc.__class__.__name__}") from exc
            raise UpstreamUnavailable(f"cannot reach VdM: {exc.__class__.__name__}") from exc


def json_body(body: dict | list) -> bytes:
    """A request body as JSON, with Decimal money written as a JSON number from its own digits
    (VdM's examples send numbers: a donation's `"amount": 5.00`). The standard json module
    only writes numbers from floats, so each Decimal stands in as a marker string with this
    call's own random tag, and the marker is replaced by the number."""
    tag, numbers = secrets.token_hex(8), []

    def number(value: Any) -> str:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"{type(value).__name__} {value!r} cannot go to VdM as JSON")
        numbers.append(format(value, "f"))
        return f"{tag}:{len(numbers) - 1}"

    text = json.dumps(body, default=number, allow_nan=False)
    return re.sub(rf'"{tag}:(\d+)"', lambda found: numbers[int(found.group(1))], text).encode()


def _chunks(resp: requests.Response):
    """The body as it arrives, so that a trickle is caught by the deadline between chunks
    (iter_content would wait for each full 64 KiB first)."""
    if not isinstance(resp.raw, BaseHTTPResponse):  # a transport of another kind (tests' stand-ins)
        yield from resp.iter_content(64 * 1024)
        return
    while chunk := resp.raw.read1(64 * 1024, decode_content=True):
        yield chunk


def _never_sent(exc: requests.RequestException) -> bool:
    """True when no connection was made, so VdM cannot have seen the request. A connection
    that broke later (reset, aborted) is not: the request may have been carried out."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError, NameResolutionError))


def _decode(raw: bytes, status: int) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, RecursionError):
        if status >= 400:  # an HTML error page from a proxy: the status says enough
            return None
        raise BadResponse("answer is not JSON", status=status) from None


def _path_token(value: Any) -> str:
    """A string id that goes into a path as one segment: quoting keeps `/` in it, and this keeps
    out the dot segments that would take the call to another path (`DELETE cart/{id}/..`)."""
    if not isinstance(value, str) or value.strip(".") == "":
        raise ValueError(f"not an id: {value!r}")
    return value


def _seat_ids(data: Any) -> tuple[str, ...]:
    """The seats a 409 names (`{"message": ..., "seatIds": [...]}`), as strings; none if it names none."""
    ids = data.get("seatIds") if isinstance(data, dict) else None
    if not isinstance(ids, list):
        return ()
    return tuple(str(i) for i in ids if isinstance(i, (str, int)) and not isinstance(i, bool))


def _int_id(value: Any) -> int:
    """Event and payment ids are integers; refusing anything else keeps paths like `../` out of URLs."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"not an id: {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"not an id: {value!r}")
    return number
