"""What the buyer sees of a show and its performances: which are visible, which can be
bought, what it costs at least. Kept out of views and templates so both stay simple."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import upstream
from .vdm import Event, Performance, UpstreamUnavailable, VdmError
from .vdm.models import now

# Published performances are sold; `nosal` ones are shown as "not on sale yet".
VISIBLE_STATUSES = ("pub", "nosal")

ON_SALE, SOLD_OUT, NOT_ON_SALE, PAST = "on_sale", "sold_out", "not_on_sale", "past"


def state(performance: Performance) -> str:
    if performance.is_past():
        return PAST
    if performance.on_sale():
        return ON_SALE
    if performance.status == "pub":
        return SOLD_OUT
    return NOT_ON_SALE


def visible(performances, at: datetime | None = None) -> list[Performance]:
    moment = at or now()
    return [p for p in performances if p.status in VISIBLE_STATUSES and not p.is_past(moment)]


def lowest_price(performances) -> Decimal | None:
    prices = []
    for performance in performances:
        try:
            prices.extend(t.price for t in upstream.ticket_types(performance.id))
        except UpstreamUnavailable:
            break  # VdM is slow or away: do not wait once per performance
        except VdmError:
            continue  # one performance without prices must not hide the whole show
    return min(prices, default=None)


@dataclass(frozen=True)
class ShowCard:
    event: Event
    performances: list[Performance]
    state: str
    from_price: Decimal | None

    @property
    def first(self) -> Performance:
        return self.performances[0]

    @property
    def last(self) -> Performance:
        return self.performances[-1]

    @property
    def halls(self) -> list[str]:
        return list(dict.fromkeys(p.location_name for p in self.performances if p.location_name))


def show_card(event: Event) -> ShowCard | None:
    performances = visible(event.performances)
    if not performances:
        return None
    states = {state(p) for p in performances}
    overall = ON_SALE if ON_SALE in states else SOLD_OUT if SOLD_OUT in states else NOT_ON_SALE
    on_sale = [p for p in performances if state(p) == ON_SALE]
    return ShowCard(event, performances, overall, lowest_price(on_sale))


def programme() -> list[ShowCard]:
    cards = [card for card in map(show_card, upstream.upcoming_events()) if card]
    return sorted(cards, key=lambda card: card.first.starts_at)
