"""What the buyer sees of a show and its performances: which are visible, which can be
bought, what it costs at least. Kept out of views and templates so both stay simple.

Everything here works on data already in hand (the catalogue snapshot): nothing asks VdM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Iterable, Mapping
from urllib.parse import urlencode

from shop.vdm import Event, Location, Performance
from shop.vdm.models import now

# Published performances are sold; `nosal` ones are shown as "not on sale yet".
VISIBLE_STATUSES = ("pub", "nosal")


class SaleState(StrEnum):
    """What a buyer can do about a performance now; templates use these names too."""

    ON_SALE = "on_sale"
    SOLD_OUT = "sold_out"
    NOT_ON_SALE = "not_on_sale"
    PAST = "past"


def state(performance: Performance, at: datetime | None = None) -> str:
    if performance.is_past(at):
        return SaleState.PAST
    if performance.on_sale(at):
        return SaleState.ON_SALE
    if performance.status == "pub":
        return SaleState.SOLD_OUT
    return SaleState.NOT_ON_SALE


def visible(performances: Iterable[Performance], at: datetime | None = None) -> tuple[Performance, ...]:
    """Published (or announced) performances that have not started, nor passed the venue's own
    cut-off (`event_view_end`, when it sets one)."""
    moment = at or now()
    return tuple(p for p in performances if p.status in VISIBLE_STATUSES and not p.is_past(moment)
                 and (p.view_end is None or p.view_end > moment))


def map_url(hall: Location | None) -> str | None:
    """A plain link to the hall on OpenStreetMap (no embedded map, no script), when VdM gives
    enough of an address to find it."""
    if hall is None or not (hall.address and (hall.city or hall.zip)):
        return None
    query = ", ".join(part for part in (hall.address, hall.zip, hall.city, hall.country) if part)
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})


@dataclass(frozen=True)
class ShowCard:
    """A show as the programme lists it: its visible performances (soonest first, never
    empty) and the lowest price of each performance, where known."""

    event: Event
    performances: tuple[Performance, ...]
    prices: Mapping[int, Decimal] = field(default_factory=dict, compare=False)

    @property
    def first(self) -> Performance:
        return self.performances[0]

    @property
    def last(self) -> Performance:
        return self.performances[-1]

    @property
    def state(self) -> str:
        states = {state(p) for p in self.performances}
        for best in (SaleState.ON_SALE, SaleState.SOLD_OUT):
            if best in states:
                return best
        return SaleState.NOT_ON_SALE

    @property
    def from_price(self) -> Decimal | None:
        """The lowest price of the performances on sale; None while prices are unknown."""
        prices = [self.prices[p.id] for p in self.performances if state(p) == SaleState.ON_SALE and p.id in self.prices]
        return min(prices, default=None)

    @property
    def halls(self) -> list[str]:
        return list(dict.fromkeys(p.location_name for p in self.performances if p.location_name))

    @property
    def location_ids(self) -> set[int]:
        return {p.location_id for p in self.performances if p.location_id is not None}


def show_card(event: Event, prices: Mapping[int, Decimal], at: datetime | None = None) -> ShowCard | None:
    performances = visible(event.performances, at)
    return ShowCard(event, performances, prices) if performances else None


def cards(events: Iterable[Event], prices: Mapping[int, Decimal], at: datetime | None = None) -> list[ShowCard]:
    """The programme: every show with a visible performance, soonest first."""
    found = [card for card in (show_card(e, prices, at) for e in events) if card]
    return sorted(found, key=lambda card: (card.first.starts_at, card.event.id))
