"""The sandbox's programme: halls, shows, performances, genres, ticket types and
payment methods read from a JSON file, with dates that may be given relative to today.

A performance's `event_date` is either a date (`"2027-03-14"`) or absent with
`days_from_today` instead, so the shipped demo venue always lies in the future. Its
optional `event_view_end` likewise: `"YYYY-MM-DD HH:MM:SS"`, or `view_end_days_from_today`.

`SANDBOX_CATALOGUE=large` (or `large:<number of shows>`) is not a file: it is the
generated venue of `large_venue`, built as the same kind of data and read by the same
`from_dict`.

A hall may have numbered seats: its `seating` is read by `seating.plan_from_dict` (whose
docstring shows the shape), and each performance in the hall sells from that plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from . import large_venue
from .seating import OPEN_SEATING, PlanSeat, Rank, SeatingPlan, plan_from_dict
from .venue_time import VENUE_TZ

DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.json")
LARGE = "large"
CENT = Decimal("0.01")
VIEW_END_FORMAT = "%Y-%m-%d %H:%M:%S"
NO_VIEW_END = "0000-00-00 00:00:00"
LOCATION_FIELDS = ("location_address", "location_address1", "location_zip", "location_city",
                   "location_country", "location_phone")


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def discounted_price(base: Decimal, kind: str, value: Decimal) -> Decimal:
    """VdM's three discount types: an amount off, a percentage off, or a fixed price."""
    if kind == "€":
        price = base - value
    elif kind == "%":
        price = base * (100 - value) / 100
    elif kind == "=":
        price = value
    else:
        raise ValueError(f"unknown discount_type {kind!r}")
    return max(Decimal(0), price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TicketType:
    id: str
    name: str
    base_price: Decimal
    kind: str
    value: Decimal

    @property
    def price(self) -> Decimal:
        return discounted_price(self.base_price, self.kind, self.value)

    def as_json(self) -> dict:
        return {
            "discount_id": self.id,
            "discount_name": self.name,
            "base_price": money(self.base_price),
            "discount_type": self.kind,
            "discount_value": money(self.value),
            "discounted_price": money(self.price),
        }


@dataclass(frozen=True)
class Performance:
    id: int
    main_id: int
    day: date
    time: str
    end: str | None
    status: str
    location_id: int
    location_name: str
    capacity: int
    presold: int
    max_per_order: int
    ticket_types: tuple[TicketType, ...]
    genres: tuple[str, ...] = ()  # its own `event_type` if the catalogue gives one, else its show's
    view_end: datetime | None = None  # `event_view_end`, venue time; None is VdM's "0000-00-00 00:00:00"
    plan: SeatingPlan | None = None  # its hall's numbered seats; None: unnumbered

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, datetime.strptime(self.time, "%H:%M:%S").time(), tzinfo=VENUE_TZ)

    def ticket_type(self, discount_id: str) -> TicketType | None:
        return next((t for t in self.ticket_types if t.id == discount_id), None)

    def for_sale(self, at: datetime) -> bool:
        """Only a published performance that has not started sells tickets."""
        return self.status == "pub" and self.starts_at > at

    @property
    def ranks(self) -> tuple[Rank, ...]:
        return self.plan.ranks if self.plan else (OPEN_SEATING,)

    def rank(self, rank_id: int) -> Rank | None:
        return next((r for r in self.ranks if r.id == rank_id), None)

    def price(self, discount_id: str, rank_id: int) -> Decimal | None:
        """A price level's amount: the ticket type's price in that rank; None if either is unknown."""
        ticket_type, rank = self.ticket_type(discount_id), self.rank(rank_id)
        return rank.amount(ticket_type.price) if ticket_type and rank else None

    @cached_property
    def open_seats(self) -> tuple[PlanSeat, ...]:
        """The seats of the plan this performance may still sell (held or not): its first
        `capacity` unblocked seats less the `presold` ones, which are the first of those."""
        return self.plan.sellable(self.capacity)[self.presold:] if self.plan else ()


@dataclass(frozen=True)
class Show:
    id: int
    name: str
    short_text: str
    text: str
    image: str | None
    url: str | None
    performances: tuple[Performance, ...] = field(default=())
    genres: tuple[str, ...] = ()


@dataclass(frozen=True)
class Location:
    """A hall. The address fields are what `GET locations` shows; any may be None."""

    id: int
    name: str
    capacity: int
    address: dict[str, str | None] = field(default_factory=dict)
    url: str | None = None  # the hall's website: only Peppered's `hallUrl` shows it
    plan: SeatingPlan | None = None

    def as_json(self) -> dict:
        return {"location_id": self.id, "location_name": self.name,
                **{key: self.address.get(key) for key in LOCATION_FIELDS}}


@dataclass(frozen=True)
class PaymentMethod:
    id: int
    description: str
    cost: Decimal


@dataclass(frozen=True)
class Catalogue:
    shows: tuple[Show, ...]
    payment_methods: tuple[PaymentMethod, ...]
    locations: tuple[Location, ...] = ()
    genres: tuple[str, ...] = ()  # every genre of the venue, in the order `GET eventtypes` lists them
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        # Lookups by id in constant time: a large venue has hundreds of performances.
        self._index.update({("show", s.id): s for s in self.shows})
        self._index.update({("perf", p.id): (s, p) for s in self.shows for p in s.performances})
        self._index.update({("location", loc.id): loc for loc in self.locations})

    def show(self, event_id: int) -> Show | None:
        return self._index.get(("show", event_id))

    def performance(self, event_id: int) -> tuple[Show, Performance] | tuple[None, None]:
        return self._index.get(("perf", event_id), (None, None))

    def location(self, location_id: int) -> Location | None:
        return self._index.get(("location", location_id))

    @property
    def performance_count(self) -> int:
        return sum(len(s.performances) for s in self.shows)

    def payment_method(self, payment_id: int) -> PaymentMethod | None:
        return next((p for p in self.payment_methods if p.id == payment_id), None)


def load(path: str | Path | None = None, today: date | None = None) -> Catalogue:
    """The demo venue, a catalogue file, or (`large`, `large:<shows>`) the generated large venue."""
    today = today or datetime.now(VENUE_TZ).date()
    if isinstance(path, str) and (path.strip() == LARGE or path.strip().startswith(LARGE + ":")):
        return from_dict(large_venue.generate(large_venue.parse_setting(path)), today)
    with open(path or DEMO_CATALOGUE, encoding="utf-8") as fh:
        return from_dict(json.load(fh, parse_float=Decimal), today)


def _genres(value: Any) -> tuple[str, ...]:
    """A catalogue's `event_type`: a list of genre names (a lone name is accepted too)."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(str(name).strip() for name in names if str(name).strip()))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _view_end(sub: dict[str, Any], today: date) -> datetime | None:
    """A performance's `event_view_end`, given like its date: either `event_view_end` in
    VdM's format (`"YYYY-MM-DD HH:MM:SS"`, or `"0000-00-00 00:00:00"` for none), or
    `view_end_days_from_today` (an integer: midnight at the start of that day). Neither: none."""
    what = f"performance {sub.get('event_id')}"
    if "event_view_end" in sub and "view_end_days_from_today" in sub:
        raise ValueError(f"{what}: give event_view_end or view_end_days_from_today, not both")
    if "view_end_days_from_today" in sub:
        days = sub["view_end_days_from_today"]
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValueError(f"{what}: view_end_days_from_today must be a whole number of days, not {days!r}")
        return datetime.combine(today + timedelta(days=days), datetime.min.time(), tzinfo=VENUE_TZ)
    value = sub.get("event_view_end", NO_VIEW_END)
    if value == NO_VIEW_END:
        return None
    try:
        return datetime.strptime(value, VIEW_END_FORMAT).replace(tzinfo=VENUE_TZ)
    except (TypeError, ValueError):
        raise ValueError(f'{what}: event_view_end must be "YYYY-MM-DD HH:MM:SS", not {value!r}') from None


def _location(loc: dict[str, Any]) -> Location:
    # Address fields are optional: a hall without them is listed with nulls.
    location_id = int(loc["location_id"])
    return Location(
        id=location_id, name=loc["location_name"], capacity=int(loc.get("capacity", 100)),
        address={key: _text(loc.get(key)) for key in LOCATION_FIELDS}, url=_text(loc.get("location_url")),
        plan=plan_from_dict(location_id, loc["seating"]) if loc.get("seating") else None,
    )


def _capacity(sub: dict[str, Any], location: Location) -> int:
    """A performance's seats: its own `capacity`, else its hall's; in a numbered hall, no more
    than the plan has (they are its first seats)."""
    capacity = int(sub.get("capacity", location.capacity))
    if location.plan and capacity > location.plan.unblocked:
        raise ValueError(f"performance {sub.get('event_id')}: capacity {capacity} is more than the "
                         f"{location.plan.unblocked} seats of {location.name}'s plan")
    return capacity


def from_dict(data: dict[str, Any], today: date) -> Catalogue:
    locations = {location.id: location for location in map(_location, data["locations"])}
    type_sets = {
        name: tuple(
            TicketType(t["discount_id"], t["discount_name"], Decimal(str(t["base_price"])),
                       t["discount_type"], Decimal(str(t.get("discount_value", "0"))))
            for t in types
        )
        for name, types in data["ticket_types"].items()
    }
    shows = []
    for show in data["events"]:
        show_genres = _genres(show.get("event_type"))
        performances = []
        for sub in show["sub_events"]:
            if "event_date" in sub:
                day = date.fromisoformat(sub["event_date"])
            else:
                day = today + timedelta(days=int(sub["days_from_today"]))
            location = locations[int(sub["location_id"])]
            capacity = _capacity(sub, location)
            performances.append(Performance(
                id=int(sub["event_id"]),
                main_id=int(show["event_id"]),
                day=day,
                time=sub["event_time"],
                end=sub.get("event_end"),
                status=sub.get("event_status", "pub"),
                location_id=location.id,
                location_name=location.name,
                capacity=capacity,
                presold=min(capacity, int(sub.get("presold", 0))),
                max_per_order=int(sub.get("max_per_order", 10)),
                ticket_types=type_sets[sub["ticket_types"]],
                genres=_genres(sub["event_type"]) if "event_type" in sub else show_genres,
                view_end=_view_end(sub, today),
                plan=location.plan,
            ))
        shows.append(Show(
            id=int(show["event_id"]),
            name=show["event_name"],
            short_text=show.get("event_short_text", ""),
            text=show.get("event_text", ""),
            image=show.get("event_image"),
            url=show.get("event_url"),
            performances=tuple(sorted(performances, key=lambda p: p.starts_at)),
            genres=show_genres,
        ))
    methods = tuple(
        PaymentMethod(int(m["payment_id"]), m["payment_desc"], Decimal(str(m.get("payment_cost", "0"))))
        for m in data["payment_methods"]
    )
    # The venue's genres: those the catalogue lists (a genre may have no shows), then any
    # other that a show or performance uses, in order of appearance.
    used = (g for s in shows for g in s.genres + tuple(g for p in s.performances for g in p.genres))
    genres = tuple(dict.fromkeys(_genres(data.get("event_types")) + tuple(used)))
    return Catalogue(shows=tuple(shows), payment_methods=methods, locations=tuple(locations.values()),
                     genres=genres)
