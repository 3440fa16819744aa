"""Typed results of VdM's authenticated ("Peppered") API: halls, seating plans and the richer cart.

Peppered names its fields in camelCase and sends money as JSON numbers (`24.5`) where the
public API sends strings; both become `Decimal` (the client parses numbers with
`parse_float=Decimal`, strings here), padded to whole cents. Its ids change type from page to
page (`seatId` is `"abc"` in the seating plan and `2904` in the order export), so seat, item,
section, row and seat-number ids are kept as opaque strings whatever VdM sends. Moments are
ISO 8601 with an offset, kept in the venue's time zone. As in `models`, what the shop cannot
do without is required (a `BadResponse` otherwise) and the rest defaults to empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shop.vdm.errors import BadResponse
from shop.vdm.models import (
    VENUE_TZ,
    Location,
    expect_list,
    expect_object,
    read_int,
    read_money,
    read_optional_int,
    read_optional_str,
    read_required_str,
    read_str,
)

DONATION = "donation"  # the priceId (and itemType) of a donation in the Peppered cart
CENT = Decimal("0.01")


def read_amount(d: dict, key: str, what: str) -> Decimal:
    """Money as a number or a string, with at least two decimals (24.5 is shown as 24.50)."""
    amount = read_money(d, key, what)
    return amount.quantize(CENT) if amount.as_tuple().exponent > -2 else amount


def read_moment(d: dict, key: str) -> datetime | None:
    """An ISO 8601 moment, in the venue's time zone; one without an offset is taken as the venue's
    own time. Anything else is None: a moment VdM gives is shown, never relied on."""
    value = d.get(key)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VENUE_TZ)
    return moment.astimezone(VENUE_TZ)


def _flag(value: Any) -> bool:
    """Only a clear yes counts: a seat VdM is vague about is not offered."""
    return value is True or value in (1, "1", "true")


# --- halls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hall:
    """A hall from `GET peppered/hall`. Its id is assumed to be the public `location_id`."""

    id: int
    name: str
    address: str
    zip: str
    city: str
    phone: str
    url: str

    @classmethod
    def from_dict(cls, data: Any) -> Hall:
        what = "hall"
        d = expect_object(data, what)
        return cls(
            id=read_int(d, "hallId", what),
            name=read_str(d, "hallName").strip(),
            address=read_str(d, "hallAddress").strip(),
            zip=read_str(d, "hallZip").strip(),
            city=read_str(d, "hallCity").strip(),
            phone=read_str(d, "hallPhone").strip(),
            url=read_str(d, "hallUrl").strip(),
        )

    def as_location(self) -> Location:
        return Location(self.id, self.name, self.address, "", self.zip, self.city, "", self.phone)


# --- the seating plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLevel:
    """What one ticket type (`price_id`, the public discount_id) costs in one rank."""

    price_id: str
    rank_id: int
    name: str  # the rank's name ("Rang 1")
    amount: Decimal

    @classmethod
    def from_dict(cls, data: Any) -> PriceLevel:
        what = "price level"
        d = expect_object(data, what)
        return cls(price_id=read_required_str(d, "priceId", what), rank_id=read_int(d, "rankId", what),
                   name=read_str(d, "name").strip(), amount=read_amount(d, "amount", what))


@dataclass(frozen=True)
class Seat:
    id: str
    number: str
    rank_id: int
    available: bool

    @classmethod
    def from_dict(cls, data: Any) -> Seat:
        what = "seat"
        d = expect_object(data, what)
        return cls(id=read_required_str(d, "seatId", what), number=read_str(d, "seatNr"),
                   rank_id=read_int(d, "rankId", what), available=_flag(d.get("available")))


@dataclass(frozen=True)
class Row:
    number: str
    seats: tuple[Seat, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Row:
        d = expect_object(data, "row")
        return cls(number=read_str(d, "rowNr"),
                   seats=tuple(Seat.from_dict(s) for s in expect_list(d.get("seats") or [], "seats")))


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    rows: tuple[Row, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Section:
        d = expect_object(data, "section")
        return cls(id=read_str(d, "sectionId"), name=read_str(d, "sectionName").strip(),
                   rows=tuple(Row.from_dict(r) for r in expect_list(d.get("rows") or [], "rows")))


@dataclass(frozen=True)
class SeatPlan:
    """A performance's seats by section and row, with what each rank costs per ticket type."""

    event_id: int
    hall_id: int | None
    price_levels: tuple[PriceLevel, ...]
    sections: tuple[Section, ...]
    available: int | None  # VdM's count of free seats, when it gives one

    @classmethod
    def from_dict(cls, data: Any, event_id: int | None = None) -> SeatPlan:
        """`event_id` is the one asked for, in case the answer leaves it out."""
        what = "seating plan"
        d = expect_object(data, what)
        return cls(
            event_id=read_int(d, "eventId", what, default=event_id),
            hall_id=read_optional_int(d, "hallId"),
            price_levels=tuple(PriceLevel.from_dict(p) for p in expect_list(d.get("priceLevels") or [], "priceLevels")),
            sections=tuple(Section.from_dict(s) for s in expect_list(d.get("sections") or [], "sections")),
            available=read_optional_int(d, "available"),
        )

    @property
    def numbered(self) -> bool:
        """The hall has numbered seats to choose from."""
        return any(row.seats for section in self.sections for row in section.rows)

    def find(self, seat_id: str) -> tuple[Section, Row, Seat] | None:
        for section in self.sections:
            for row in section.rows:
                for seat in row.seats:
                    if seat.id == seat_id:
                        return section, row, seat
        return None

    def levels_for(self, rank_id: int) -> tuple[PriceLevel, ...]:
        """The ticket types a seat of this rank can be sold as, with their prices."""
        return tuple(level for level in self.price_levels if level.rank_id == rank_id)


# --- the cart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldItem:
    """One line of the Peppered cart: a ticket (with its seat, in a numbered hall) or a donation."""

    kind: str  # "ticket", "donation", or whatever else VdM may hold ("voucher")
    item_id: str  # for a ticket: the public cart's seat_id of that line
    event_id: int | None
    price_id: str
    price_name: str
    description: str
    amount: Decimal
    rank_id: int | None
    seat_id: str | None
    section: str
    row: str
    seat_number: str

    @classmethod
    def from_dict(cls, data: Any) -> HeldItem:
        what = "cart item"
        d = expect_object(data, what)
        return cls(
            kind=read_str(d, "itemType").strip().lower(),
            item_id=read_required_str(d, "itemId", what),
            event_id=read_optional_int(d, "eventId"),
            price_id=read_str(d, "priceId"),
            price_name=read_str(d, "priceName"),
            description=read_str(d, "description"),
            amount=read_amount(d, "amount", what),
            rank_id=read_optional_int(d, "rankId"),
            seat_id=read_optional_str(d, "seatId"),
            section=read_str(d, "sectionName"),
            row=read_str(d, "rowNr"),
            seat_number=read_str(d, "seatNr"),
        )

    @property
    def is_donation(self) -> bool:
        return self.kind == DONATION or self.price_id == DONATION


@dataclass(frozen=True)
class HeldCart:
    """The cart as Peppered sees it: its items (none in a summary), its total and when it expires."""

    cart_id: str
    time_out: datetime | None
    number_of_items: int
    amount: Decimal  # the total, donations included
    items: tuple[HeldItem, ...]

    @classmethod
    def from_dict(cls, data: Any, cart_id: str = "") -> HeldCart:
        """`cart_id` is the one asked for, in case the answer leaves it out."""
        what = "peppered cart"
        d = expect_object(data, what)
        items = tuple(HeldItem.from_dict(i) for i in expect_list(d.get("cartItems") or [], "cartItems"))
        if d.get("amount") is None and (items or d.get("numberOfItems")):
            raise BadResponse(f"{what}: items without an amount")
        return cls(
            cart_id=read_str(d, "cartId") or cart_id,
            time_out=read_moment(d, "timeOut"),
            number_of_items=max(0, read_int(d, "numberOfItems", what, default=len(items))),
            amount=read_amount(d, "amount", what) if d.get("amount") is not None else Decimal("0.00"),
            items=items,
        )

    @property
    def donation(self) -> Decimal:
        return sum((item.amount for item in self.items if item.is_donation), Decimal("0.00"))


@dataclass(frozen=True)
class NewItem:
    """An item to add: a ticket (a chosen seat, or `number_of_tickets` of a rank), or a donation,
    `NewItem(DONATION, 0, amount=Decimal("5.00"))`."""

    price_id: str
    rank_id: int
    event_id: int | None = None
    seat_id: str | None = None
    number_of_tickets: int = 1
    amount: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"priceId": self.price_id, "rankId": int(self.rank_id)}
        if self.event_id is not None:
            body["eventId"] = int(self.event_id)
        if self.seat_id is not None:
            body["seatId"] = self.seat_id
        elif self.price_id != DONATION:
            body["numberOfTickets"] = int(self.number_of_tickets)
        if self.amount is not None:
            body["amount"] = self.amount  # a JSON number, written from the Decimal (client.json_body)
        return body
