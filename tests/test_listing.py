"""The programme's search, filters, months and pages (shop/listing.py), on cards built from
VdM-shaped events with a fixed moment, so nothing here depends on today."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from shop.domain import listing, programme
from shop.vdm import Event
from shop.vdm.models import VENUE_TZ

# The moment the programme is made at. The performances lie far ahead, so that a card's
# state (which asks the clock) does not depend on today either.
AT = datetime(2098, 10, 1, 12, 0, tzinfo=VENUE_TZ)

HALLS = {1: "Grote Zaal", 2: "Kleine Zaal", 3: "Foyer"}


def perf(event_id: int, when: str, hall: int = 1, *, status: str = "pub", free: int = 10, genres=()) -> dict:
    day, time = when.split()
    return {"event_id": event_id, "event_main_id": event_id // 100 * 100, "event_name": "", "event_date": day,
            "event_time": time + ":00", "event_end": None, "event_view_end": "0000-00-00 00:00:00",
            "event_rep": "sub", "event_free": free, "event_status": status, "location_id": hall,
            "location_name": HALLS.get(hall, f"Zaal {hall}"), "event_type": list(genres)}


def show(event_id: int, name: str, *performances: dict, subtitle: str = "", genres=()) -> Event:
    return Event.from_dict({"event_id": event_id, "event_name": name, "event_short_text": subtitle,
                            "event_text": "", "event_image": None, "event_type": list(genres),
                            "sub_events": list(performances)})


def cards(*events: Event, prices=None) -> list[programme.ShowCard]:
    return programme.cards(events, prices or {}, at=AT)


def names(view: listing.ProgrammeView) -> list[str]:
    return [card.event.name for group in view.groups for card in group.cards]


def ids(card: programme.ShowCard) -> list[int]:
    return [p.id for p in card.performances]


# A small venue over a year's end.
STORM = show(100, "De Storm", perf(101, "2098-12-05 20:15"), perf(102, "2099-01-09 20:15", hall=2),
             subtitle="Toneelgroep Noorderlicht", genres=["Toneel"])
SWANS = show(200, "Het Zwanenmeer", perf(201, "2098-12-20 14:00"), perf(202, "2098-12-21 14:00"),
             subtitle="Jeugdballet Pirouette", genres=["Dans", "Jeugd"])
CAFE = show(300, "Café Chantant", perf(301, "2099-01-15 21:00", hall=3), subtitle="Liederen uit Parijs",
            genres=["Muziek"])
LOTTE = show(400, "Nachtvlinders", perf(401, "2099-02-02 20:30", hall=2), perf(402, "2099-02-03 20:30", hall=2),
             subtitle="Cabaret van Lotte Brink", genres=["Cabaret"])
PROGRAMME = (STORM, SWANS, CAFE, LOTTE)
GENRES = ("Toneel", "Cabaret", "Muziek", "Dans", "Jeugd", "Opera")


def view(args=None, *events: Event, halls=HALLS, genres=GENRES, prices=None) -> listing.ProgrammeView:
    return listing.programme_view(cards(*(events or PROGRAMME), prices=prices), MultiDict(args or {}),
                                  halls=halls, genres=genres)


# --- the whole programme -----------------------------------------------------------------------


def test_without_filters_the_whole_programme_by_month_of_the_first_performance():
    page = view()
    assert not page.active and page.args == {}
    assert page.total == page.found == 4 and page.page == page.pages == 1
    assert page.previous_args is None and page.next_args is None
    assert [(g.month, [c.event.name for c in g.cards]) for g in page.groups] == [
        (date(2098, 12, 1), ["De Storm", "Het Zwanenmeer"]),  # De Storm plays in January too: it stays in December
        (date(2099, 1, 1), ["Café Chantant"]),
        (date(2099, 2, 1), ["Nachtvlinders"]),
    ]
    assert ids(page.groups[0].cards[0]) == [101, 102]  # not narrowed


def test_an_empty_programme():
    page = listing.programme_view([], MultiDict({"q": "storm"}))
    assert page.total == page.found == 0 and page.groups == ()
    assert page.page == page.pages == 1 and page.previous_args is None and page.next_args is None
    assert page.genres == page.halls == page.months == ()
    assert page.active  # the search is still shown as asked


# --- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, found", [
    ("zwanen", ["Het Zwanenmeer"]),        # part of a word, any case
    ("ZWANENMEER", ["Het Zwanenmeer"]),
    ("cafe", ["Café Chantant"]),           # without the accent finds it with
    ("CAFÉ", ["Café Chantant"]),
    ("café chantant", ["Café Chantant"]),
    ("pirouette", ["Het Zwanenmeer"]),     # the subtitle counts
    ("parijs café", ["Café Chantant"]),    # every word, in any order, in title or subtitle
    ("  storm   ", ["De Storm"]),
    ("NOORDERLICHT", ["De Storm"]),
    ("storm zwanen", []),                  # words combine with AND
    ("brink lotte", ["Nachtvlinders"]),
    ("opera", []),
])
def test_search_ignores_case_and_accents_in_title_and_subtitle(query, found):
    page = view({"q": query})
    assert names(page) == found
    assert page.found == len(found) and page.active
    assert page.filters.q == " ".join(query.split())


def test_search_with_accents_finds_titles_without():
    plain = show(500, "Cafe Zuid", perf(501, "2099-03-01 20:00"))
    assert names(view({"q": "Café"}, plain, STORM)) == ["Cafe Zuid"]
    assert names(view({"q": "ZÜID"}, plain, STORM)) == ["Cafe Zuid"]


def test_a_long_search_is_cut_to_100_characters():
    assert view({"q": "x" * 250}).filters.q == "x" * 100
    long = "zwanen " * 30  # 210 characters: what remains still finds the show
    page = view({"q": long})
    assert len(page.filters.q) == 100 and names(page) == ["Het Zwanenmeer"]


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01", "\u0301", "\ufffd\ufffd", "\ud800"])
def test_an_empty_search_is_no_search(query):
    page = view({"q": query})
    assert not page.active and page.found == 4 and page.args == {}


def test_control_characters_in_a_search_are_blanks():
    page = view({"q": "zwa\x00nen\tmeer"})
    assert page.filters.q == "zwa nen meer" and names(page) == ["Het Zwanenmeer"]


# --- genre --------------------------------------------------------------------------------------


@pytest.mark.parametrize("genre", ["Dans", "dans", "DANS", " Dans "])
def test_genre_keeps_the_shows_of_that_genre(genre):
    page = view({"genre": genre})
    assert names(page) == ["Het Zwanenmeer"] and page.filters.genre == "Dans" and page.args == {"genre": "Dans"}
    assert [o.value for o in page.genres if o.selected] == ["Dans"]


def test_a_show_with_two_genres_is_found_by_either():
    assert names(view({"genre": "Jeugd"})) == names(view({"genre": "Dans"})) == ["Het Zwanenmeer"]


def test_a_genre_of_a_performance_counts_for_its_show():
    tagged = show(500, "Matinee", perf(501, "2099-03-01 14:00", genres=["Jeugd"]), perf(502, "2099-03-02 20:00"))
    page = view({"genre": "jeugd"}, tagged, STORM)
    assert names(page) == ["Matinee"] and ids(page.groups[0].cards[0]) == [501, 502]


@pytest.mark.parametrize("genre", ["Jazz", "", "x" * 101, "Dans" + " " * 300 + "x"])
def test_an_unknown_genre_is_ignored(genre):
    page = view({"genre": genre})
    assert page.filters.genre is None and not page.active and page.found == 4


def test_a_genre_vdm_knows_but_no_show_has_finds_nothing_and_stays_chosen():
    page = view({"genre": "opera"})
    assert page.active and page.found == 0 and page.groups == () and page.filters.genre == "Opera"
    assert [(o.value, o.selected) for o in page.genres if o.value == "Opera"] == [("Opera", True)]


def test_genres_come_from_the_shows_when_vdm_lists_none():
    page = view({"genre": "muziek"}, genres=())
    assert names(page) == ["Café Chantant"]
    assert view({"genre": "Opera"}, genres=()).filters.genre is None


# --- hall ---------------------------------------------------------------------------------------


def test_hall_keeps_that_halls_performances():
    page = view({"hall": "2"})
    assert names(page) == ["De Storm", "Nachtvlinders"] and page.filters.hall == 2
    storm = page.groups[0].cards[0]
    assert ids(storm) == [102] and storm.halls == ["Kleine Zaal"]
    # narrowed to January, De Storm now sits under January
    assert [g.month for g in page.groups] == [date(2099, 1, 1), date(2099, 2, 1)]


def test_narrowing_leaves_the_programmes_own_cards_untouched():
    whole = cards(*PROGRAMME)
    listing.programme_view(whole, MultiDict({"hall": "2", "month": "2099-01"}), halls=HALLS)
    assert ids(whole[0]) == [101, 102]


@pytest.mark.parametrize("hall", ["abc", "999999999999999999999", "-1", "2.0", " 2", "0x2", "", "²", "٢",
                                  "9007199254740992", "77"])
def test_a_bad_or_unknown_hall_is_ignored(hall):
    page = view({"hall": hall})
    assert page.filters.hall is None and not page.active and page.found == 4


def test_a_hall_vdm_knows_without_performances_finds_nothing_and_stays_chosen():
    page = view({"hall": "9"}, halls={**HALLS, 9: "Zolder"})
    assert page.active and page.found == 0 and page.filters.hall == 9
    assert [(o.value, o.label, o.selected) for o in page.halls if o.selected] == [("9", "Zolder", True)]


def test_halls_come_from_the_performances_when_vdm_lists_none():
    page = view({"hall": "3"}, halls={})
    assert names(page) == ["Café Chantant"]
    assert [(o.value, o.label) for o in page.halls] == [("3", "Foyer"), ("1", "Grote Zaal"), ("2", "Kleine Zaal")]


# --- month --------------------------------------------------------------------------------------


def test_month_keeps_the_shows_playing_then_with_only_those_performances():
    page = view({"month": "2099-01"})
    assert names(page) == ["De Storm", "Café Chantant"] and page.filters.month == date(2099, 1, 1)
    assert ids(page.groups[0].cards[0]) == [102]
    assert [g.month for g in page.groups] == [date(2099, 1, 1)]  # De Storm moves under January
    assert page.args == {"month": "2099-01"}


def test_narrowed_to_a_month_state_and_price_follow_the_performances_left():
    storm = show(100, "De Storm", perf(101, "2098-12-05 20:15", free=0), perf(102, "2099-01-09 20:15"))
    prices = {101: Decimal("30.00"), 102: Decimal("24.50")}
    whole = view({}, storm, prices=prices).groups[0].cards[0]
    assert whole.state == programme.SaleState.ON_SALE and whole.from_price == Decimal("24.50")
    december = view({"month": "2098-12"}, storm, prices=prices).groups[0].cards[0]
    assert december.state == programme.SaleState.SOLD_OUT and december.from_price is None
    january = view({"month": "2099-01"}, storm, prices=prices).groups[0].cards[0]
    assert january.state == programme.SaleState.ON_SALE and january.from_price == Decimal("24.50")


@pytest.mark.parametrize("month", ["2026-13", "2099-00", "2099-1", "99-01", "2099/01", "2099-01-01", "abcd-ef",
                                   "0000-01", "２０９９-０１", "", "2099-01 "])
def test_a_malformed_month_is_ignored(month):
    page = view({"month": month})
    assert page.filters.month is None and not page.active and page.found == 4


def test_a_month_without_performances_finds_nothing_and_stays_chosen():
    page = view({"month": "2031-05"})
    assert page.active and page.found == 0 and page.groups == ()
    assert [(o.value, o.selected) for o in page.months] == [
        ("2031-05", True), ("2098-12", False), ("2099-01", False), ("2099-02", False)]


# --- months at the venue, not in UTC --------------------------------------------------------------


def test_a_performance_just_after_midnight_on_new_years_day_is_in_january():
    # 00:30 on 1 January in Amsterdam is 23:30 on 31 December in UTC.
    late = show(500, "Nieuwjaarsconcert", perf(501, "2099-01-01 00:30"))
    early = show(600, "Oudejaarsconference", perf(601, "2098-12-31 23:30"))  # 22:30 UTC: December either way
    assert late.performances[0].starts_at.astimezone(timezone.utc).month == 12  # the trap is real
    page = view({}, late, early)
    assert [(g.month, [c.event.name for c in g.cards]) for g in page.groups] == [
        (date(2098, 12, 1), ["Oudejaarsconference"]), (date(2099, 1, 1), ["Nieuwjaarsconcert"])]
    assert names(view({"month": "2099-01"}, late, early)) == ["Nieuwjaarsconcert"]
    assert names(view({"month": "2098-12"}, late, early)) == ["Oudejaarsconference"]
    assert [o.value for o in page.months] == ["2098-12", "2099-01"]


def test_month_of_takes_any_time_zone_to_the_venue():
    assert listing.month_of(datetime(2098, 12, 31, 23, 30, tzinfo=timezone.utc)) == date(2099, 1, 1)
    assert listing.month_of(datetime(2099, 6, 30, 22, 30, tzinfo=timezone.utc)) == date(2099, 7, 1)  # summer time
    assert listing.month_of(datetime(2099, 6, 30, 21, 30, tzinfo=timezone.utc)) == date(2099, 6, 1)


def test_a_show_over_the_years_end_is_in_january_when_january_is_chosen():
    over = show(500, "Winterreis", perf(501, "2098-12-28 20:00"), perf(502, "2099-01-02 20:00"))
    assert [g.month for g in view({}, over).groups] == [date(2098, 12, 1)]
    january = view({"month": "2099-01"}, over)
    assert [g.month for g in january.groups] == [date(2099, 1, 1)] and ids(january.groups[0].cards[0]) == [502]


# --- filters together ---------------------------------------------------------------------------


def test_filters_combine_with_and():
    assert names(view({"hall": "2", "month": "2099-02"})) == ["Nachtvlinders"]
    assert names(view({"hall": "1", "month": "2099-01"})) == []  # De Storm plays hall 1 in December only
    assert names(view({"genre": "Toneel", "month": "2099-01"})) == ["De Storm"]
    assert names(view({"genre": "Toneel", "hall": "3"})) == []
    assert names(view({"q": "storm", "hall": "1"})) == ["De Storm"]
    assert names(view({"q": "storm", "genre": "Cabaret"})) == []


def test_every_filter_at_once_and_its_shareable_arguments():
    page = view({"q": "Storm", "genre": "toneel", "hall": "2", "month": "2099-01", "page": "1", "utm": "x"})
    assert names(page) == ["De Storm"] and ids(page.groups[0].cards[0]) == [102]
    assert page.args == {"q": "Storm", "genre": "Toneel", "hall": "2", "month": "2099-01"}
    assert view(page.args).args == page.args  # the link gives the same page


def test_one_bad_parameter_leaves_the_others_working():
    page = view({"genre": "Dans", "hall": "abc", "month": "2099-13", "page": "-1"})
    assert names(page) == ["Het Zwanenmeer"] and page.args == {"genre": "Dans"}


# --- parameters that are not plain strings ----------------------------------------------------


def test_repeated_parameters_are_ignored():
    page = listing.programme_view(cards(*PROGRAMME), MultiDict([("genre", "Dans"), ("genre", "Toneel"),
                                                                   ("month", "2099-01")]), halls=HALLS, genres=GENRES)
    assert page.filters.genre is None and page.filters.month == date(2099, 1, 1)


@pytest.mark.parametrize("args", [None, 42, "q=storm", ["q", "storm"], {"q": ["storm"]}, {"hall": 2},
                                  {"month": date(2099, 1, 1)}, {"page": 2}, {"q": None}, {"q": b"storm"}])
def test_arguments_that_are_not_plain_strings_are_ignored(args):
    page = listing.programme_view(cards(*PROGRAMME), args, halls=HALLS, genres=GENRES)
    assert not page.active and page.found == 4 and page.page == 1


def test_a_plain_dict_of_strings_works_too():
    page = listing.programme_view(cards(*PROGRAMME), {"q": "storm"}, halls=HALLS, genres=GENRES)
    assert names(page) == ["De Storm"]


# --- pages ----------------------------------------------------------------------------------------


def many(count: int) -> list[Event]:
    """`count` shows, one a day from 1 December, every third one cabaret."""
    return [show(1000 + i * 100, f"Show {i:03d}", perf(1000 + i * 100 + 1, f"{day_of(i)} 20:00"),
                 genres=["Cabaret"] if i % 3 == 0 else ["Toneel"]) for i in range(count)]


def day_of(i: int) -> str:
    return date.fromordinal(date(2098, 12, 1).toordinal() + i).isoformat()


def test_more_than_30_shows_are_paged():
    shows = many(65)
    first = view({}, *shows)
    assert first.found == 65 and first.pages == 3 and first.page == 1
    assert names(first) == [f"Show {i:03d}" for i in range(30)]
    assert first.previous_args is None and first.next_args == {"page": "2"}
    second = view({"page": "2"}, *shows)
    assert names(second) == [f"Show {i:03d}" for i in range(30, 60)]
    assert second.previous_args == {} and second.next_args == {"page": "3"} and second.args == {"page": "2"}
    last = view({"page": "3"}, *shows)
    assert names(last) == [f"Show {i:03d}" for i in range(60, 65)]
    assert last.previous_args == {"page": "2"} and last.next_args is None


def test_a_page_is_grouped_by_month_too():
    page = view({"page": "2"}, *many(65))  # shows 30..59: 31 December 2098 to 29 January 2099
    assert [(g.month, len(g.cards)) for g in page.groups] == [(date(2098, 12, 1), 1), (date(2099, 1, 1), 29)]


def test_exactly_30_shows_are_one_page():
    page = view({"page": "2"}, *many(30))
    assert page.pages == 1 and page.page == 1 and page.next_args is None and len(names(page)) == 30
    assert view({}, *many(31)).pages == 2


@pytest.mark.parametrize("value, expected", [("10000", 3), ("4", 3), ("3", 3), ("-1", 1), ("0", 1), ("abc", 1),
                                             ("", 1), ("2.5", 1), ("２", 1), ("99999999999999999999", 1),
                                             ("+2", 1), (" 2", 1)])
def test_page_numbers_out_of_range_or_malformed(value, expected):
    page = view({"page": value}, *many(65))
    assert page.page == expected
    assert page.args == ({"page": str(expected)} if expected > 1 else {})


def test_page_links_keep_the_filters():
    shows = many(95)  # 32 cabaret shows: two pages of them
    page = view({"genre": "cabaret", "q": "show"}, *shows)
    assert page.found == 32 and page.pages == 2
    assert page.next_args == {"q": "show", "genre": "Cabaret", "page": "2"}
    last = view(page.next_args, *shows)
    assert len(names(last)) == 2 and last.previous_args == {"q": "show", "genre": "Cabaret"}


def test_filtering_starts_counting_pages_again():
    page = view({"genre": "Cabaret", "page": "3"}, *many(65))  # 22 cabaret shows: one page
    assert page.found == 22 and page.pages == 1 and page.page == 1


# --- what the form offers -------------------------------------------------------------------------


def test_the_genres_offered_are_those_shows_have_sorted_by_name_in_vdms_spelling():
    theatre = show(500, "A", perf(501, "2099-03-01 20:00"), genres=["ballet"])
    mime = show(600, "B", perf(601, "2099-03-02 20:00"), genres=["Mime", "cabaret"])
    page = view({}, theatre, mime, genres=["Opera", "Cabaret", "mime", "Ballet"])
    assert [o.value for o in page.genres] == ["Ballet", "Cabaret", "mime"]  # no Opera: nothing to find
    assert [o.label for o in page.genres] == ["Ballet", "Cabaret", "mime"]
    assert not any(o.selected for o in page.genres)
    assert [o.value for o in view({}, theatre, mime, genres=()).genres] == ["ballet", "cabaret", "Mime"]


def test_the_halls_offered_are_those_with_performances_named_as_vdm_names_them():
    page = view({"hall": "2"}, halls={1: "Grote zaal", 2: "Kleine Zaal", 3: "Foyer", 9: "Zolder"})
    assert [(o.value, o.label, o.selected) for o in page.halls] == [
        ("3", "Foyer", False), ("1", "Grote zaal", False), ("2", "Kleine Zaal", True)]


def test_the_months_offered_have_visible_performances():
    hidden = show(500, "Verborgen", perf(501, "2099-05-01 20:00", status="unpub"), perf(502, "2099-06-01 20:00"))
    past = show(600, "Voorbij", perf(601, "2098-09-01 20:00"), perf(602, "2099-07-01 20:00"))
    page = view({}, STORM, hidden, past)
    assert [(o.value, o.label) for o in page.months] == [
        ("2098-12", date(2098, 12, 1)), ("2099-01", date(2099, 1, 1)), ("2099-06", date(2099, 6, 1)),
        ("2099-07", date(2099, 7, 1))]


def test_the_options_are_the_whole_programmes_whatever_is_chosen():
    page = view({"hall": "3", "genre": "Muziek", "month": "2099-01"})
    assert names(page) == ["Café Chantant"]
    assert [o.value for o in page.halls] == ["3", "1", "2"]
    assert [o.value for o in page.genres] == ["Cabaret", "Dans", "Jeugd", "Muziek", "Toneel"]
    assert [o.value for o in page.months] == ["2098-12", "2099-01", "2099-02"]
    assert [o.value for o in page.months if o.selected] == ["2099-01"]


def test_narrowed_shows_are_in_order_of_their_first_performance_left():
    early = show(500, "Eerst", perf(501, "2098-12-01 20:00", hall=1), perf(502, "2099-01-20 20:00", hall=2))
    later = show(600, "Later", perf(601, "2099-01-05 20:00", hall=2))
    assert names(view({}, early, later)) == ["Eerst", "Later"]
    assert names(view({"hall": "2"}, early, later)) == ["Later", "Eerst"]
    assert names(view({"month": "2099-01"}, early, later)) == ["Later", "Eerst"]
