"""Choosing numbered seats: a performance's seating plan as the buyer reads it, what each seat
may be sold as, and whether a choice of seats (and a ticket type for each) can go in the cart.

Flask-free. The view passes the plan (VdM's, through the box office), the performance's
ticket types, and, for the words, gettext (as `_`, so that the sentences here are extracted
and translated like any other) and the money format.

A seat may be sold as the ticket types its rank allows (VdM's price levels for that rank)
that the public ticket types of the performance still offer: those give the ticket type's
name, and a type VdM stopped offering (its cap reached) is not offered here either. A seat
none of whose levels is offered cannot be chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from shop.vdm.ids import TOKEN
from shop.vdm.peppered import HeldCart, NewItem, SeatPlan

Translate = Callable[..., str]  # gettext: a sentence with %(name)s placeholders, and their values
Money = Callable[[Decimal], str]

FREE, TAKEN, YOURS = "free", "taken", "yours"
TYPE_PREFIX = "type_"  # the form field of a seat's ticket type: type_<seat id>
RANK_STYLES = 4  # ranks are told apart by their border's pattern (shop.css), not by colour alone


@dataclass(frozen=True)
class Place:
    """Where a seat is: kept this way (not as a sentence) in the ledger, so that the order page
    says it in the language of whoever reads it."""

    section: str
    row: str
    number: str

    def words(self, _: Translate) -> str:
        if not self.section:
            return _("row %(row)s, seat %(seat)s", row=self.row, seat=self.number)
        return _("%(section)s, row %(row)s, seat %(seat)s", section=self.section, row=self.row, seat=self.number)

    def as_dict(self) -> dict[str, str]:
        return {"section": self.section, "row": self.row, "number": self.number}

    @classmethod
    def read(cls, data: Any) -> Place | None:
        if not isinstance(data, dict):
            return None
        return cls(str(data.get("section") or ""), str(data.get("row") or ""), str(data.get("number") or ""))


def places(held: HeldCart | None) -> dict[str, Place]:
    """Where each numbered seat in a cart is, by its line in the public cart (whose seat_id is the
    authenticated cart's itemId): the public cart does not say."""
    if held is None:
        return {}
    return {item.item_id: Place(item.section, item.row, item.seat_number) for item in held.items
            if not item.is_donation and item.seat_id and (item.row or item.seat_number)}


@dataclass(frozen=True)
class Level:
    """A ticket type a seat may be sold as, and its price in that seat's rank."""

    price_id: str
    rank_id: int
    name: str  # the ticket type's name ("Standaard")
    amount: Decimal


@dataclass(frozen=True)
class Rank:
    id: int
    name: str  # "Rang 1"
    from_price: Decimal | None
    style: int  # which border pattern shows it (0 .. RANK_STYLES - 1)


@dataclass(frozen=True)
class PlanSeat:
    id: str
    position: int  # its place in the plan's order: the page's element ids (VdM's ids are opaque)
    place: Place
    rank: Rank
    levels: tuple[Level, ...]
    state: str  # FREE, TAKEN (sold, in someone's cart, blocked) or YOURS (in this buyer's cart)

    @property
    def free(self) -> bool:
        return self.state == FREE

    def label(self, _: Translate, money: Money) -> str:
        """Everything about the seat in one sentence: its checkbox's accessible name."""
        place = self.place.words(_)
        if self.state == YOURS:
            return _("%(place)s, in your cart", place=place)
        if not self.free:
            return _("%(place)s, taken", place=place)
        prices = {level.amount for level in self.levels}
        if len(prices) == 1:
            return _("%(place)s, %(rank)s, %(price)s", place=place, rank=self.rank.name, price=money(min(prices)))
        return _("%(place)s, %(rank)s, from %(price)s", place=place, rank=self.rank.name, price=money(min(prices)))


@dataclass(frozen=True)
class PlanRow:
    number: str
    seats: tuple[PlanSeat, ...]


@dataclass(frozen=True)
class PlanSection:
    id: str
    name: str
    rows: tuple[PlanRow, ...]

    @property
    def free(self) -> int:
        return sum(seat.free for row in self.rows for seat in row.seats)


@dataclass(frozen=True)
class Picker:
    """The plan as the buyer chooses from it."""

    event_id: int
    sections: tuple[PlanSection, ...]
    ranks: tuple[Rank, ...]  # those with a seat that can be sold, for the key
    seats: Mapping[str, PlanSeat] = field(repr=False)

    @property
    def free(self) -> int:
        return sum(section.free for section in self.sections)

    def seat(self, seat_id: str) -> PlanSeat | None:
        return self.seats.get(seat_id)


def picker(plan: SeatPlan, ticket_types: Iterable, *, taken: Iterable[str] = (),
           yours: Iterable[str] = ()) -> Picker:
    """The plan with each seat's ticket types and state. `ticket_types` are the performance's
    public ones (id and name); `taken` are seats known to be gone since the plan was read (VdM
    refused them just now); `yours` those in this buyer's cart."""
    names = {t.id: t.name for t in ticket_types}
    taken, yours = set(taken), set(yours)
    ranks = _ranks(plan, names)
    levels = {rank_id: _levels(plan, rank_id, names) for rank_id in ranks}
    sections, seats, position = [], {}, 0
    for section in plan.sections:
        rows = []
        for row in section.rows:
            row_seats = []
            for seat in row.seats:
                rank = ranks.get(seat.rank_id) or Rank(seat.rank_id, "", None, 0)
                allowed = levels.get(seat.rank_id, ())
                state = _state(seat, allowed, taken, yours)
                planned = PlanSeat(seat.id, position, Place(section.name, row.number, seat.number), rank, allowed,
                                   state)
                position += 1
                row_seats.append(planned)
                seats.setdefault(seat.id, planned)
            rows.append(PlanRow(row.number, tuple(row_seats)))
        sections.append(PlanSection(section.id, section.name, tuple(rows)))
    used = {seat.rank.id for seat in seats.values() if seat.levels}
    return Picker(plan.event_id, tuple(sections), tuple(r for r in ranks.values() if r.id in used), seats)


def _levels(plan: SeatPlan, rank_id: int, names: Mapping[str, str]) -> tuple[Level, ...]:
    return tuple(Level(level.price_id, rank_id, names[level.price_id], level.amount)
                 for level in plan.levels_for(rank_id) if level.price_id in names)


def _ranks(plan: SeatPlan, names: Mapping[str, str]) -> dict[int, Rank]:
    ranks: dict[int, Rank] = {}
    for level in plan.price_levels:
        if level.rank_id not in ranks:
            prices = [lv.amount for lv in _levels(plan, level.rank_id, names)]
            ranks[level.rank_id] = Rank(level.rank_id, level.name, min(prices) if prices else None,
                                        len(ranks) % RANK_STYLES)
    return ranks


def _state(seat, levels: tuple[Level, ...], taken: set[str], yours: set[str]) -> str:
    if seat.id in yours:
        return YOURS
    # An id that could not be sent safely, or a seat with nothing to sell it as, cannot be chosen.
    if not seat.available or seat.id in taken or not levels or not TOKEN.fullmatch(seat.id):
        return TAKEN
    return FREE


# --- the buyer's choice ------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """The seats a buyer ticked, checked against the plan."""

    seats: tuple[PlanSeat, ...]  # free and chosen, in the plan's order
    gone: tuple[PlanSeat, ...]  # chosen, but taken meanwhile
    problems: tuple[str, ...]  # what the buyer must change, in sentences

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(seat.id for seat in self.seats)


def choose(plan: Picker, wanted: Iterable[str], limit: int, _: Translate) -> Choice:
    """The seats asked for (form values, in any order, perhaps repeated or made up), against the
    plan and the most seats one order may have (`limit`)."""
    asked = list(dict.fromkeys(wanted))
    known = sorted((s for s in map(plan.seat, asked) if s is not None), key=lambda s: s.position)
    seats = tuple(s for s in known if s.free)
    gone = tuple(s for s in known if not s.free)
    problems = [_("%(place)s was taken meanwhile. Please choose another seat.", place=s.place.words(_))
                for s in gone]
    if len(known) < len(asked):
        problems.append(_("A seat you chose is no longer offered. Please choose again."))
    if not seats and not problems:
        problems.append(_("Choose at least one seat."))
    if len(seats) > limit:
        problems.append(_("The most seats you can choose for this performance is %(num)d.", num=limit))
    return Choice(seats, gone, tuple(problems))


def ticket_types(seats: Iterable[PlanSeat], wanted: Mapping[str, str],
                 _: Translate) -> tuple[dict[str, Level], tuple[str, ...]]:
    """A ticket type for each seat: the one asked for (`wanted`: form values by field name,
    TYPE_PREFIX + seat id), or the seat's first when none was. Returns them by seat id, and the
    problems (a type the seat does not allow, e.g. from a page older than the plan)."""
    chosen: dict[str, Level] = {}
    problems = []
    for seat in seats:
        asked = wanted.get(TYPE_PREFIX + seat.id)
        level = next((lv for lv in seat.levels if lv.price_id == asked), None) if asked else seat.levels[0]
        if level is None:
            problems.append(_("The ticket type you chose for %(place)s is not available for that seat. Please "
                              "choose again.", place=seat.place.words(_)))
            level = seat.levels[0]
        chosen[seat.id] = level
    return chosen, tuple(problems)


def new_items(event_id: int, seats: Iterable[PlanSeat], chosen: Mapping[str, Level]) -> list[NewItem]:
    """What VdM is asked to add, all in one call: each seat at its chosen ticket type."""
    return [NewItem(chosen[seat.id].price_id, seat.rank.id, event_id, seat_id=seat.id) for seat in seats]


def kept_types(seats: Iterable[PlanSeat], wanted: Mapping[str, str]) -> dict[str, str]:
    """The ticket types the buyer picked for these seats (form fields by name), to carry them
    back and forth between the plan and the types: what was typed is kept."""
    return {TYPE_PREFIX + seat.id: wanted[TYPE_PREFIX + seat.id] for seat in seats
            if TYPE_PREFIX + seat.id in wanted}
