"""A hall's numbered seats: its sections, rows and seats, and the ranks they are priced by.

A hall of the catalogue has a plan when its data has `seating`:

    "seating": {
      "ranks": [{"rank_id": 1, "rank_name": "Rang 1"},
                {"rank_id": 2, "rank_name": "Rang 2", "price_off": "3.00"}],
      "sections": [{"section_id": 1, "section_name": "Parket", "rows": [
                      {"row_nr": 1, "seats": 24, "rank_id": 1}, ...]},
                   {"section_id": 2, "section_name": "Balkon", "rows": [
                      {"row_nr": 1, "seats": 18, "rank_id": 2, "blocked": [9, 10]}, ...]}]}

Ranks are listed best first: best-available takes seats of the first rank before the next.
A rank's price is each ticket type's own price less its `price_off` (never below zero), so a
performance has one price level per ticket type and rank. `blocked` seats (a technician's
desk, a wheelchair place) are never sold. The plan's order (sections, rows, seats as listed)
is the order seats are counted in: a performance sells the first `capacity` seats that are
not blocked, and the first `presold` of those are sold before the sandbox starts.

A hall without `seating` is unnumbered: one rank (`OPEN_SEATING`) at the ticket types' own
prices, and no seats to choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .ids import stable_id

CENT = Decimal("0.01")
DONATION_RANK = 0  # VdM's rankId of a donation item: no rank of a hall may have it


@dataclass(frozen=True)
class Rank:
    id: int
    name: str
    price_off: Decimal = Decimal(0)

    def amount(self, price: Decimal) -> Decimal:
        """A ticket type's price in this rank."""
        return max(Decimal(0), price - self.price_off)


# Assumption: VdM gives an unnumbered hall one rank too (every cart item names a rankId).
OPEN_SEATING = Rank(1, "Vrije plaatsing")


@dataclass(frozen=True)
class PlanSeat:
    id: str  # the plan's seatId: opaque, stable, unique in the catalogue
    section_id: int
    section_name: str
    row: int
    number: int
    rank_id: int
    blocked: bool = False


@dataclass(frozen=True)
class SeatingPlan:
    ranks: tuple[Rank, ...]  # best first
    seats: tuple[PlanSeat, ...]  # in the plan's order
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        self._index.update({("seat", s.id): s for s in self.seats})
        self._index.update({("rank", r.id): (order, r) for order, r in enumerate(self.ranks)})

    def seat(self, seat_id: str) -> PlanSeat | None:
        return self._index.get(("seat", seat_id))

    def rank(self, rank_id: int) -> Rank | None:
        return self._index.get(("rank", rank_id), (None, None))[1]

    def rank_order(self, seat: PlanSeat) -> int:
        """0 for the best rank: best-available sorts by it."""
        return self._index[("rank", seat.rank_id)][0]

    @property
    def unblocked(self) -> int:
        return sum(not s.blocked for s in self.seats)

    def sellable(self, capacity: int) -> tuple[PlanSeat, ...]:
        """The first `capacity` seats that are not blocked: what a performance sells."""
        return tuple(s for s in self.seats if not s.blocked)[:capacity]


def _whole(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be a whole number of at least {minimum}, not {value!r}")
    return value


def _rank(data: dict[str, Any], where: str) -> Rank:
    rank_id = _whole(data.get("rank_id"), f"{where}: rank_id", minimum=DONATION_RANK + 1)
    off = Decimal(str(data.get("price_off", "0")))
    if off < 0 or off != off.quantize(CENT):
        raise ValueError(f"{where}: price_off must be whole cents, at least 0, not {off}")
    return Rank(rank_id, str(data["rank_name"]), off)


def _row(location_id: int, section: dict[str, Any], row: dict[str, Any], ranks: set[int]) -> list[PlanSeat]:
    where = f"hall {location_id}, section {section['section_id']}, row {row.get('row_nr')}"
    number = _whole(row.get("row_nr"), f"{where}: row_nr", minimum=1)
    count = _whole(row.get("seats"), f"{where}: seats", minimum=1)
    rank_id = row.get("rank_id")
    if rank_id not in ranks:
        raise ValueError(f"{where}: rank_id {rank_id!r} is not one of the hall's ranks")
    blocked = set(row.get("blocked", ()))
    if not blocked <= set(range(1, count + 1)):
        raise ValueError(f"{where}: blocked seats must be seat numbers of the row, 1 to {count}")
    return [PlanSeat(stable_id("seat", location_id, section["section_id"], number, n), section["section_id"],
                     str(section["section_name"]), number, n, rank_id, n in blocked)
            for n in range(1, count + 1)]


def plan_from_dict(location_id: int, data: dict[str, Any]) -> SeatingPlan:
    """A hall's `seating`, checked: a plan that cannot be sold from stops the load."""
    ranks = tuple(_rank(r, f"hall {location_id}, rank {i + 1}") for i, r in enumerate(data["ranks"]))
    if not ranks or len({r.id for r in ranks}) != len(ranks):
        raise ValueError(f"hall {location_id}: seating needs ranks, each with a rank_id of its own")
    seats: list[PlanSeat] = []
    rows: set[tuple[int, int]] = set()
    for section in data["sections"]:
        _whole(section.get("section_id"), f"hall {location_id}: section_id", minimum=1)
        for row in section["rows"]:
            placed = _row(location_id, section, row, {r.id for r in ranks})
            if (section["section_id"], placed[0].row) in rows:
                raise ValueError(f"hall {location_id}: section {section['section_id']} has row {placed[0].row} twice")
            rows.add((section["section_id"], placed[0].row))
            seats.extend(placed)
    if not seats:
        raise ValueError(f"hall {location_id}: seating has no seats")
    return SeatingPlan(ranks, tuple(seats))
