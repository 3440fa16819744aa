"""The programme page at a venue's scale: search, filters, months and pages.

`programme_view(cards, args, halls=..., genres=...)` takes the programme (the cards of
shop/programme.py) and the page's GET parameters and returns everything the template shows,
so the template only presents. Pure and Flask-free: no VdM calls, no request, no locale.

The parameters, each ignored when unknown, malformed, too long or given more than once
(never an error, and the rest still applies):

- `q`: words that must all occur in a show's title or subtitle, ignoring case and accents
  ("zwanen" finds "Het Zwanenmeer", "cafe" finds "Café"); cut to 100 characters.
- `genre`: a genre name, as VdM or the shows spell it (case does not matter).
- `hall`: a hall's location id; keeps that hall's performances.
- `month`: `YYYY-MM`; keeps the performances in that month (Europe/Amsterdam time).
- `page`: 1, 2, ...; beyond the last page means the last page.

Filters combine with AND. A filter that is well formed and names something the venue knows
stays chosen even when nothing matches (a shared link to a month that has passed says
"nothing found", not the whole programme without telling).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from shop.domain.programme import ShowCard
from shop.vdm.models import VENUE_TZ

PER_PAGE = 30
MAX_QUERY = 100  # characters of `q` that count; the rest is cut
MAX_GENRE = 100  # genre names are at most this long (shop/vdm/models.py cuts them so)
MAX_ID = 2**53 - 1  # as the shop's URLs: ids beyond 2**53 are not ids

HALL = re.compile(r"[0-9]{1,16}")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
PAGE = re.compile(r"[0-9]{1,9}")


# --- reading the parameters -------------------------------------------------------------------


# The URL's parameters the programme reads; every other one is ignored.
PARAMETERS = ("q", "genre", "hall", "month", "page")


def fold(text: str) -> str:
    """Text compared without case or accents: "Café" and "CAFE" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _value(args: Any, name: str) -> str | None:
    """One plain string value of a parameter; None when it is missing, repeated or not a string."""
    try:
        getlist = getattr(args, "getlist", None)
        if callable(getlist):  # a MultiDict, as request.args is
            values = getlist(name)
            value = values[0] if len(values) == 1 else None
        elif isinstance(args, Mapping):
            value = args.get(name)
        else:
            return None
    except Exception:  # an odd mapping is no reason to fail the page
        return None
    return value if isinstance(value, str) else None


def _clean(text: str) -> str:
    """No control, format or surrogate characters, nor the stand-in for bytes that were not
    UTF-8 (U+FFFD), whitespace collapsed: safe to echo anywhere."""
    text = "".join(" " if c == "\ufffd" or unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(text.split())


def parse_query(value: str | None) -> str:
    if not value:
        return ""
    query = _clean(value[: MAX_QUERY * 4])[:MAX_QUERY].strip()
    return query if fold(query).split() else ""


def parse_month(value: str | None) -> date | None:
    match = MONTH.fullmatch(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1) if year >= 1 and 1 <= month <= 12 else None


def parse_id(value: str | None) -> int | None:
    if not value or not HALL.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def parse_page(value: str | None) -> int:
    if not value or not PAGE.fullmatch(value):
        return 1
    return max(1, int(value))


def month_of(moment: datetime) -> date:
    """The first day of the month that `moment` falls in at the venue."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VENUE_TZ)
    local = moment.astimezone(VENUE_TZ)
    return date(local.year, local.month, 1)


def month_value(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


@dataclass(frozen=True)
class Filters:
    """The chosen filters, already checked: an empty query and None mean "not chosen"."""

    q: str = ""
    genre: str | None = None
    hall: int | None = None
    month: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.q) or self.genre is not None or self.hall is not None or self.month is not None

    def args(self) -> dict[str, str]:
        """These filters as URL parameters, for url_for."""
        args = {}
        if self.q:
            args["q"] = self.q
        if self.genre is not None:
            args["genre"] = self.genre
        if self.hall is not None:
            args["hall"] = str(self.hall)
        if self.month is not None:
            args["month"] = month_value(self.month)
        return args

    def keep(self, card: ShowCard) -> ShowCard | None:
        """The card as these filters show it (with only the matching performances), or None."""
        if self.q and not matches(card, self.q):
            return None
        if self.genre is not None and fold(self.genre) not in {fold(g) for g in card.event.genres}:
            return None
        performances = card.performances
        if self.hall is not None:
            performances = tuple(p for p in performances if p.location_id == self.hall)
        if self.month is not None:
            performances = tuple(p for p in performances if month_of(p.starts_at) == self.month)
        if not performances:
            return None
        return card if performances == card.performances else replace(card, performances=performances)


def matches(card: ShowCard, query: str) -> bool:
    """Every word of the query occurs in the show's title or subtitle."""
    haystack = fold(f"{card.event.name} {card.event.short_text}")
    return all(word in haystack for word in fold(query).split())


# --- what the programme offers ----------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One choice of a select: its URL value, what it shows (a name, or a month's first day
    for the template to format) and whether it is the one chosen."""

    value: str
    label: Any
    selected: bool = False


@dataclass(frozen=True)
class MonthGroup:
    month: date  # the first day of the month
    cards: tuple[ShowCard, ...]


def hall_names(cards: list[ShowCard], halls: Mapping[int, str] | None) -> dict[int, str]:
    """Location id → hall name: VdM's halls where known, otherwise as the performances say."""
    names: dict[int, str] = {}
    for card in cards:
        for p in card.performances:
            if p.location_id is not None and p.location_name and p.location_name.strip():
                names.setdefault(p.location_id, p.location_name.strip())
    for hall_id, name in (halls or {}).items():
        if isinstance(hall_id, int) and isinstance(name, str) and name.strip():
            names[hall_id] = name.strip()
    return names


def genre_names(cards: list[ShowCard], genres: Iterable[str] | None) -> dict[str, str]:
    """Folded name → the genre's name, VdM's spelling first, then the shows' own."""
    names: dict[str, str] = {}
    for name in [*(genres or ()), *(g for card in cards for g in card.event.genres)]:
        if isinstance(name, str) and name.strip() and len(name.strip()) <= MAX_GENRE:
            names.setdefault(fold(name.strip()), name.strip())
    return names


def parse_filters(args: Any, genres: Mapping[str, str], halls: Mapping[int, str]) -> Filters:
    """The filters of these GET parameters; `genres` and `halls` are what the venue knows."""
    genre = (_value(args, "genre") or "").strip()
    genre = genres.get(fold(genre)) if genre and len(genre) <= MAX_GENRE else None
    hall = parse_id(_value(args, "hall"))
    return Filters(
        q=parse_query(_value(args, "q")),
        genre=genre,
        hall=hall if hall in halls else None,
        month=parse_month(_value(args, "month")),
    )


def _by_name(choice: tuple[str, str]) -> tuple:
    return fold(choice[1]), choice[1], choice[0]


def _options(choices: Mapping[str, Any], chosen: str | None, order) -> tuple[Option, ...]:
    """The choices as options in order, the chosen one marked."""
    return tuple(Option(value, label, value == chosen) for value, label in sorted(choices.items(), key=order))


# --- the view ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeView:
    filters: Filters
    total: int  # shows on the whole programme
    found: int  # shows that match the filters
    groups: tuple[MonthGroup, ...]  # this page's shows by month
    page: int
    pages: int
    previous_args: dict[str, str] | None  # URL parameters of the previous page; None on the first
    next_args: dict[str, str] | None  # and of the next; None on the last
    genres: tuple[Option, ...] = ()  # sorted by name
    halls: tuple[Option, ...] = ()  # sorted by name
    months: tuple[Option, ...] = ()  # in order; labels are first days of months
    args: dict[str, str] = field(default_factory=dict)  # this very page's URL parameters

    @property
    def active(self) -> bool:
        return self.filters.active


def page_args(filters: Filters, page: int) -> dict[str, str]:
    args = filters.args()
    if page > 1:
        args["page"] = str(page)
    return args


def programme_view(cards: Iterable[ShowCard], args: Any, *, halls: Mapping[int, str] | None = None,
                   genres: Iterable[str] | None = None) -> ProgrammeView:
    """The programme page for these GET parameters. `cards` is the whole programme, soonest
    first; `halls` maps location ids to hall names and `genres` lists VdM's genres (either may
    be empty: the names then come from the shows)."""
    cards = list(cards)
    known_halls = hall_names(cards, halls)
    known_genres = genre_names(cards, genres)
    filters = parse_filters(args, known_genres, known_halls)

    found = [kept for kept in (filters.keep(card) for card in cards) if kept is not None]
    found.sort(key=lambda card: (card.first.starts_at, card.event.id))
    pages = max(1, -(-len(found) // PER_PAGE))
    page = min(parse_page(_value(args, "page")), pages)
    shown = found[(page - 1) * PER_PAGE: page * PER_PAGE]

    groups: dict[date, list[ShowCard]] = {}
    for card in shown:
        groups.setdefault(month_of(card.first.starts_at), []).append(card)

    # What the programme offers, and what is chosen even when nothing matches it (any more).
    carried = {fold(g) for card in cards for g in card.event.genres}
    genre_choices = {name: name for key, name in known_genres.items() if key in carried}
    if filters.genre is not None:
        genre_choices[filters.genre] = filters.genre
    used_halls = {p.location_id for card in cards for p in card.performances}
    hall_choices = {str(i): name for i, name in known_halls.items() if i in used_halls or i == filters.hall}
    months = {month_of(p.starts_at) for card in cards for p in card.performances}
    if filters.month is not None:
        months.add(filters.month)
    return ProgrammeView(
        filters=filters,
        total=len(cards),
        found=len(found),
        groups=tuple(MonthGroup(month, tuple(group)) for month, group in groups.items()),
        page=page,
        pages=pages,
        previous_args=page_args(filters, page - 1) if page > 1 else None,
        next_args=page_args(filters, page + 1) if page < pages else None,
        genres=_options(genre_choices, filters.genre, _by_name),
        halls=_options(hall_choices, None if filters.hall is None else str(filters.hall), _by_name),
        months=_options({month_value(m): m for m in months},
                        None if filters.month is None else month_value(filters.month), lambda option: option[0]),
        args=page_args(filters, page),
    )
