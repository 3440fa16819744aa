"""Typed results of the VdM API, each built by an explicit `from_dict`.

The parsers are strict about what the shop cannot do without (ids, dates, prices)
and lenient about the rest: a missing subtitle is an empty string, not an error.
Anything malformed raises `BadResponse`, never a KeyError or TypeError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from shop.vdm.errors import BadResponse

VENUE_TZ = ZoneInfo("Europe/Amsterdam")

class OrderState(StrEnum):
    """VdM's `order_payment_status` values (vdm-api.md); templates use these names too."""

    PAID = "paid"
    PENDING = "pending"
    CANCELLED = "cancelled"
    PARTIAL = "partial"
    NONE = "none"  # no payment attempt yet


ORDER_STATUSES = tuple(OrderState)


def now() -> datetime:
    return datetime.now(VENUE_TZ)


# --- field readers ---------------------------------------------------------


def expect_object(data: Any, what: str) -> dict:
    if not isinstance(data, dict):
        raise BadResponse(f"{what}: expected an object, got {type(data).__name__}")
    return data


def expect_list(data: Any, what: str) -> list:
    if not isinstance(data, list):
        raise BadResponse(f"{what}: expected a list, got {type(data).__name__}")
    return data


def _missing(d: dict, key: str, what: str) -> BadResponse:
    return BadResponse(f"{what}: missing or unusable field {key!r}")


INTEGER = re.compile(r"-?[0-9]{1,18}")  # ASCII digits only: "²" and "٣" are digits to str.isdigit


def _as_int(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


def read_int(d: dict, key: str, what: str, default: int | None = None) -> int:
    value = _as_int(d.get(key))
    if value is not None:
        return value
    if d.get(key) is None and default is not None:
        return default
    raise _missing(d, key, what)


def read_optional_int(d: dict, key: str) -> int | None:
    value = _as_int(d.get(key))
    return value if value is not None and value >= 0 else None


def clean_text(value: str) -> str:
    """JSON may carry lone surrogates (\\ud800) that no page can be encoded with."""
    return value.encode("utf-8", "replace").decode("utf-8")


def read_str(d: dict, key: str, default: str = "") -> str:
    value = d.get(key)
    if value is None:
        return default
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        return clean_text(str(value))
    return default


def read_required_str(d: dict, key: str, what: str) -> str:
    value = read_str(d, key)
    if not value:
        raise _missing(d, key, what)
    return value


def read_optional_str(d: dict, key: str) -> str | None:
    return read_str(d, key) or None


def read_money(d: dict, key: str, what: str) -> Decimal:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _missing(d, key, what)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _missing(d, key, what) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1000000"):
        raise _missing(d, key, what)
    return amount


def _parse(value: Any, formats: tuple[str, ...], kind):
    if isinstance(value, str):
        for fmt in formats:
            try:
                parsed = datetime.strptime(value.strip(), fmt)
            except ValueError:
                continue
            return parsed.date() if kind is date else parsed.time()
    return None


# The events endpoint says YYYY-MM-DD and HH:MM:SS, the cart DD-MM-YYYY and HH:MM.
EVENT_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")
CART_DATE_FORMATS = ("%d-%m-%Y", "%Y-%m-%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def read_date(d: dict, key: str, what: str, formats=EVENT_DATE_FORMATS) -> date:
    parsed = _parse(d.get(key), formats, date)
    if parsed is None:
        raise _missing(d, key, what)
    return parsed


def read_time(d: dict, key: str, what: str) -> time:
    parsed = _parse(d.get(key), TIME_FORMATS, time)
    if parsed is None:
        raise _missing(d, key, what)
    return parsed


def read_optional_time(d: dict, key: str) -> time | None:
    return _parse(d.get(key), TIME_FORMATS, time)


def read_view_end(d: dict) -> datetime | None:
    value = d.get("event_view_end")
    if not isinstance(value, str) or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=VENUE_TZ)
    except ValueError:
        return None


def read_genres(d: dict) -> tuple[str, ...]:
    """`event_type`: a list of genre names (undocumented; anything else counts as none)."""
    value = d.get("event_type")
    if not isinstance(value, list):
        return ()
    names = (clean_text(v).strip() for v in value if isinstance(v, str))
    return tuple(dict.fromkeys(name[:100] for name in names if name))


def venue_datetime(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=VENUE_TZ)


# --- events ----------------------------------------------------------------


@dataclass(frozen=True)
class Performance:
    """A sub event: one date, time and hall that tickets are sold for."""

    id: int
    main_id: int | None
    name: str
    short_text: str
    text: str
    image: str | None
    url: str | None
    starts_at: datetime
    ends_at: datetime | None
    view_end: datetime | None
    status: str
    free: int
    location_id: int | None
    location_name: str
    genres: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> Performance:
        what = "performance"
        d = expect_object(data, what)
        day = read_date(d, "event_date", what)
        starts_at = venue_datetime(day, read_time(d, "event_time", what))
        end = read_optional_time(d, "event_end")
        ends_at = None
        if end is not None:
            ends_at = venue_datetime(day, end)
            if ends_at < starts_at:  # an end before the start is on the next day
                ends_at = venue_datetime(day + timedelta(days=1), end) if day < date.max else None
        return cls(
            id=read_int(d, "event_id", what),
            main_id=read_optional_int(d, "event_main_id"),
            name=read_str(d, "event_name"),
            short_text=read_str(d, "event_short_text"),
            text=read_str(d, "event_text"),
            image=read_optional_str(d, "event_image"),
            url=read_optional_str(d, "event_url"),
            starts_at=starts_at,
            ends_at=ends_at,
            view_end=read_view_end(d),
            status=read_str(d, "event_status").lower(),
            free=max(0, read_int(d, "event_free", what, default=0)),
            location_id=read_optional_int(d, "location_id"),
            location_name=read_str(d, "location_name"),
            genres=read_genres(d),
        )

    def is_past(self, at: datetime | None = None) -> bool:
        return self.starts_at <= (at or now())

    def on_sale(self, at: datetime | None = None) -> bool:
        """Only published, future performances with tickets left can be sold."""
        return self.status == "pub" and self.free > 0 and not self.is_past(at)


@dataclass(frozen=True)
class Event:
    """A main event: a show, with its performances soonest first."""

    id: int
    name: str
    short_text: str
    text: str
    image: str | None
    performances: tuple[Performance, ...]
    genres: tuple[str, ...] = ()  # VdM's event types of the show and of its performances

    @classmethod
    def from_dict(cls, data: Any) -> Event:
        what = "event"
        d = expect_object(data, what)
        # events/{id} with a sub event id answers with that sub event alone.
        sub_only = d.get("sub_events") is None and "event_main_id" in d
        subs = [d] if sub_only else d.get("sub_events") or []
        performances = tuple(
            sorted((Performance.from_dict(s) for s in expect_list(subs, "sub_events")), key=lambda p: p.starts_at)
        )
        main_id = read_optional_int(d, "event_main_id") if sub_only else None
        return cls(
            id=main_id or read_int(d, "event_id", what),
            name=read_str(d, "event_name"),
            short_text=read_str(d, "event_short_text"),
            text=read_str(d, "event_text"),
            image=read_optional_str(d, "event_image"),
            performances=performances,
            genres=tuple(dict.fromkeys(read_genres(d) + tuple(g for p in performances for g in p.genres))),
        )

    def performance(self, performance_id: int) -> Performance | None:
        return next((p for p in self.performances if p.id == performance_id), None)


# --- halls and genres (undocumented endpoints: see vdm-api.md) --------------


@dataclass(frozen=True)
class Location:
    """A hall, from `GET locations`; every field but the id may be missing."""

    id: int
    name: str
    address: str
    address1: str
    zip: str
    city: str
    country: str
    phone: str

    @classmethod
    def from_dict(cls, data: Any) -> Location:
        what = "location"
        d = expect_object(data, what)
        return cls(
            id=read_int(d, "location_id", what),
            name=read_str(d, "location_name").strip(),
            address=read_str(d, "location_address").strip(),
            address1=read_str(d, "location_address1").strip(),
            zip=read_str(d, "location_zip").strip(),
            city=read_str(d, "location_city").strip(),
            country=read_str(d, "location_country").strip(),
            phone=read_str(d, "location_phone").strip(),
        )

    @property
    def address_lines(self) -> list[str]:
        """The postal address as it is written in the Netherlands: street, then postcode and city."""
        town = " ".join(part for part in (self.zip, self.city) if part)
        return [line for line in (self.address, self.address1, town) if line]


def items_with(data: Any, key: str) -> list[dict]:
    """The objects of a list that carry `key`; anything else in the list is ignored (as the
    maintained plugin that uses these undocumented endpoints does)."""
    return [item for item in data if isinstance(item, dict) and item.get(key) is not None]


# --- ticket types and payment methods -------------------------------------

@dataclass(frozen=True)
class TicketType:
    """A ticket type ("discount" at VdM) with the price the buyer pays."""

    id: str
    name: str
    base_price: Decimal
    discount_type: str
    discount_value: Decimal
    price: Decimal

    @classmethod
    def from_dict(cls, data: Any) -> TicketType:
        what = "ticket type"
        d = expect_object(data, what)
        price = read_money(d, "discounted_price", what)
        base = read_money(d, "base_price", what) if d.get("base_price") is not None else price
        try:
            value = Decimal(read_str(d, "discount_value", "0") or "0")
        except InvalidOperation:
            value = Decimal(0)
        return cls(
            id=read_required_str(d, "discount_id", what),
            name=read_str(d, "discount_name"),
            base_price=base,
            discount_type=read_str(d, "discount_type"),
            discount_value=value if value.is_finite() else Decimal(0),
            price=price,
        )

    @property
    def has_discount(self) -> bool:
        return self.price < self.base_price


@dataclass(frozen=True)
class PaymentMethod:
    id: int
    description: str
    cost: Decimal

    @classmethod
    def from_dict(cls, data: Any) -> PaymentMethod:
        what = "payment method"
        d = expect_object(data, what)
        return cls(
            id=read_int(d, "payment_id", what),
            description=read_str(d, "payment_desc"),
            cost=read_money(d, "payment_cost", what) if d.get("payment_cost") is not None else Decimal("0.00"),
        )


# --- cart -----------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    id: str
    event_id: int
    event_name: str
    location_name: str
    starts_at: datetime
    price: Decimal
    discount_id: str
    discount_name: str
    category_name: str
    row: str
    number: str

    @classmethod
    def from_dict(cls, data: Any) -> Seat:
        what = "cart seat"
        d = expect_object(data, what)
        day = read_date(d, "event_date", what, CART_DATE_FORMATS)
        return cls(
            id=read_required_str(d, "seat_id", what),
            event_id=read_int(d, "event_id", what),
            event_name=read_str(d, "event_name"),
            location_name=read_str(d, "location_name"),
            starts_at=venue_datetime(day, read_time(d, "event_time", what)),
            price=read_money(d, "seat_price", what),
            discount_id=read_str(d, "discount_id"),
            discount_name=read_str(d, "discount_name"),
            category_name=read_str(d, "category_name"),
            row=read_str(d, "seat_row_nr"),
            number=read_str(d, "seat_nr"),
        )


@dataclass(frozen=True)
class Cart:
    id: str
    seats: tuple[Seat, ...]
    total: Decimal

    @classmethod
    def from_list(cls, cart_id: str, data: Any) -> Cart:
        """A cart is a list of seats and one trailing `{"totalprice": ...}`; empty is `[{"cart": 0}]`."""
        items = expect_list(data, "cart")
        seats: list[Seat] = []
        total: Decimal | None = None
        for item in items:
            d = expect_object(item, "cart element")
            if "totalprice" in d:
                total = read_money(d, "totalprice", "cart total")
            elif "seat_id" in d:
                seats.append(Seat.from_dict(d))
            elif d.get("cart") in (0, "0") and len(items) == 1:
                break
            else:
                raise BadResponse("cart: element is neither a seat nor the total")
        if total is None:
            if seats:
                raise BadResponse("cart: seats without a totalprice")
            total = Decimal("0.00")
        return cls(id=cart_id, seats=tuple(seats), total=total)

    @property
    def count(self) -> int:
        return len(self.seats)

    @property
    def is_empty(self) -> bool:
        return not self.seats


# --- orders ---------------------------------------------------------------


@dataclass(frozen=True)
class OrderCreated:
    order_key: str
    url: str

    @classmethod
    def from_answer(cls, data: Any) -> OrderCreated:
        what = "order/create answer"
        # VdM wraps the one object in a list; accept the bare object as well.
        if isinstance(data, list):
            if len(data) != 1:
                raise BadResponse(f"{what}: expected one element, got {len(data)}")
            data = data[0]
        d = expect_object(data, what)
        return cls(order_key=read_required_str(d, "order_key", what), url=read_required_str(d, "url", what))


@dataclass(frozen=True)
class OrderSeat:
    id: str
    event_name: str
    event_type: str | None

    @classmethod
    def from_dict(cls, data: Any) -> OrderSeat:
        d = expect_object(data, "order seat")
        return cls(id=read_str(d, "seat_id"), event_name=read_str(d, "event_name"),
                   event_type=read_optional_str(d, "event_type"))


@dataclass(frozen=True)
class OrderStatus:
    order_key: str
    status: str  # one of ORDER_STATUSES, or whatever new value VdM may send
    tickets_nr: int
    tickets_url: str | None
    receipt_url: str | None
    seats: tuple[OrderSeat, ...]

    @classmethod
    def from_dict(cls, order_key: str, data: Any) -> OrderStatus:
        what = "order status"
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        d = expect_object(data, what)
        if "order_payment_status" not in d:
            raise _missing(d, "order_payment_status", what)
        return cls(
            order_key=order_key,
            status=read_str(d, "order_payment_status", "none").strip().lower() or "none",
            tickets_nr=max(0, read_int(d, "order_tickets_nr", what, default=0)),
            tickets_url=read_optional_str(d, "order_tickets_url"),
            receipt_url=read_optional_str(d, "order_receipt_url"),
            seats=tuple(OrderSeat.from_dict(s) for s in expect_list(d.get("seats") or [], "seats")),
        )

    @property
    def is_known_status(self) -> bool:
        return self.status in ORDER_STATUSES
