"""The sandbox's venues: halls with addresses and genres in the catalogue format, and the
generated large venue (`SANDBOX_CATALOGUE=large`, `large:<shows>`)."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta

import pytest
import requests
from demo import (
    DE_STORM,
    DE_STORM_FIRST,
    FOYER,
    GOUDEN_UUR,
    GROTE_ZAAL,
    NACHTVLINDERS_FIRST,
    PAST,
    SOLD_OUT,
    VIER_SEIZOENEN,
)

from shop.vdm import VENUE_TZ, VdmClient
from vdm_sandbox import create_app as create_sandbox
from vdm_sandbox import large_venue
from vdm_sandbox.catalogue import from_dict, load
from vdm_sandbox.settings import SandboxSettings

POSTCODE = re.compile(r"[1-9][0-9]{3} [A-Z]{2}")


@pytest.fixture(scope="module")
def large():
    return load("large")


def performances(catalogue):
    return [p for show in catalogue.shows for p in show.performances]


# --- the catalogue format ------------------------------------------------------------------


def test_halls_may_have_no_address(demo_catalogue):
    demo_catalogue["locations"][2] = {"location_id": FOYER, "location_name": "Foyer"}
    catalogue = from_dict(demo_catalogue, date(2030, 1, 1))
    foyer = catalogue.location(FOYER)
    assert foyer.capacity == 100 and set(foyer.as_json().values()) == {FOYER, "Foyer", None}
    assert catalogue.location(GROTE_ZAAL).as_json()["location_zip"] == "3512 LB"


def test_genres_of_shows_and_performances(demo_catalogue):
    demo_catalogue.pop("event_types")
    demo_catalogue["events"][0]["sub_events"][2]["event_type"] = ["Toneel", "Jeugd", "Toneel"]
    demo_catalogue["events"][6]["event_type"] = "Klassiek"  # a lone name is a list of one
    del demo_catalogue["events"][5]["event_type"]
    catalogue = from_dict(demo_catalogue, date(2030, 1, 1))
    storm = catalogue.show(DE_STORM)
    assert storm.genres == ("Toneel",) and [p.genres for p in storm.performances] == [("Toneel",), ("Toneel",),
                                                                                       ("Toneel", "Jeugd")]
    assert catalogue.show(VIER_SEIZOENEN).genres == ("Klassiek",) and catalogue.show(GOUDEN_UUR).genres == ()
    # Without a list of its own, the venue's genres are those used, in order of appearance.
    assert catalogue.genres == ("Toneel", "Jeugd", "Cabaret", "Muziek", "Dans", "Klassiek")


def test_the_venue_may_list_a_genre_without_shows(demo_catalogue):
    demo_catalogue["event_types"] = ["Opera", "Toneel"]
    catalogue = from_dict(demo_catalogue, date(2030, 1, 1))
    assert catalogue.genres == ("Opera", "Toneel", "Cabaret", "Muziek", "Dans", "Jeugd")


def test_the_demo_venue_keeps_its_ids_and_dates():
    catalogue = load(today=date(2030, 1, 1))
    assert [s.id for s in catalogue.shows] == [100, 200, 300, 400, 500, 600, 700]
    assert catalogue.performance(PAST)[1].day == date(2029, 12, 29)
    assert catalogue.performance(SOLD_OUT)[1].presold == catalogue.performance(SOLD_OUT)[1].capacity == 240
    assert [p.status for p in performances(catalogue) if p.status != "pub"] == ["nosal", "unpub"]
    assert all(loc.address["location_country"] == "NL" for loc in catalogue.locations)


def test_view_end_absolute_relative_or_unset(demo_catalogue):
    storm = demo_catalogue["events"][0]["sub_events"]
    storm[0]["event_view_end"] = "2030-02-03 04:05:06"  # VdM's own format
    storm[1]["view_end_days_from_today"] = 12  # like days_from_today: midnight at the start of that day
    storm[2]["event_view_end"] = "0000-00-00 00:00:00"  # VdM's "unused"
    catalogue = from_dict(demo_catalogue, date(2030, 1, 1))
    assert [p.view_end for p in catalogue.show(DE_STORM).performances] == [
        datetime(2030, 2, 3, 4, 5, 6, tzinfo=VENUE_TZ), datetime(2030, 1, 13, tzinfo=VENUE_TZ), None]
    assert catalogue.performance(NACHTVLINDERS_FIRST)[1].view_end is None  # by default there is none


@pytest.mark.parametrize("fields", [{"event_view_end": "2030-02-30 00:00:00"}, {"event_view_end": "2030-02-03"},
                                    {"event_view_end": "tomorrow"}, {"event_view_end": None},
                                    {"view_end_days_from_today": "soon"}, {"view_end_days_from_today": 1.5},
                                    {"event_view_end": "2030-02-03 00:00:00", "view_end_days_from_today": 3}])
def test_a_bad_view_end_is_refused(demo_catalogue, fields):
    demo_catalogue["events"][0]["sub_events"][0].update(fields)
    with pytest.raises(ValueError, match=f"performance {DE_STORM_FIRST}: .*view_end"):
        from_dict(demo_catalogue, date(2030, 1, 1))


# --- the large venue -----------------------------------------------------------------------


def test_large_venue_counts(large):
    assert len(large.shows) == 150 and large.performance_count == 450
    assert all(len(show.performances) == 3 for show in large.shows)
    assert len(large.genres) >= 6
    used = {g for show in large.shows for g in show.genres}
    assert used == set(large.genres)  # in 150 shows every genre comes up
    assert sum(len(show.genres) == 2 for show in large.shows) >= 5  # some shows have two genres
    assert {p.location_id for p in performances(large)} == {loc.id for loc in large.locations}


def test_large_venue_halls_have_addresses(large):
    assert len(large.locations) == 4
    for hall in large.locations:
        address = hall.as_json()
        assert re.search(r"\D \d+$", address["location_address"])  # street and number
        assert POSTCODE.fullmatch(address["location_zip"])
        assert address["location_city"] and address["location_phone"] and address["location_country"] == "NL"


def test_large_venue_ids_are_unique_and_small(large):
    ids = [s.id for s in large.shows] + [p.id for p in performances(large)]
    assert len(ids) == len(set(ids)) == 600
    assert all(p.main_id == s.id for s in large.shows for p in s.performances)
    # Also for the largest venue that can be asked for, and apart from the demo venue's ids.
    assert large_venue.FIRST_SHOW_ID > 1000
    assert large_venue.FIRST_SHOW_ID + 10 * large_venue.MAX_SHOWS + large_venue.PERFORMANCES < 2 ** 31


@pytest.mark.parametrize("today", [None, date(2027, 1, 1), date(2028, 1, 1), date(2027, 12, 31), date(2028, 2, 29)])
def test_large_venue_spans_the_next_year_across_a_year_end(today):
    catalogue = load("large", today=today)
    today = today or datetime.now(VENUE_TZ).date()
    days = sorted(p.day for p in performances(catalogue))
    assert today < days[0] and days[-1] == today + timedelta(days=367)
    assert len({d.year for d in days}) == 2  # month grouping crosses a year end
    assert len({(d.year, d.month) for d in days}) >= 12
    # spread out: no month has more than a fifth of the performances
    per_month = [sum(1 for d in days if (d.year, d.month) == m) for m in {(d.year, d.month) for d in days}]
    assert max(per_month) < len(days) / 5


def test_large_venue_is_the_same_on_every_load(large):
    again = load("large")
    assert again == large
    assert [(s.name, s.short_text, s.text) for s in again.shows] == [(s.name, s.short_text, s.text) for s in large.shows]
    assert large_venue.generate() == large_venue.generate()


def test_large_venue_names_look_real(large):
    names = [s.name for s in large.shows]
    assert len(set(names)) > 120  # few repeats (an opera may come back)
    assert all(s.name and s.short_text and s.text.startswith("<p>") for s in large.shows)
    assert "{" not in "".join(names + [s.short_text + s.text for s in large.shows])


def test_large_venue_ticket_types_and_stock(large):
    perfs = performances(large)
    type_sets = {tuple(t.id for t in p.ticket_types) for p in perfs}
    assert len(type_sets) >= 5
    assert any(len({t.base_price for t in p.ticket_types}) > 1 for p in perfs)  # ranks at two prices
    assert {t.kind for p in perfs for t in p.ticket_types} == {"€", "%", "="}
    all_ids = [t.id for ts in {p.ticket_types for p in perfs} for t in ts]
    assert len(all_ids) == len(set(all_ids))  # no id in two sets
    sold_out = [p for p in perfs if p.status == "pub" and p.presold == p.capacity]
    nosal = [p for p in perfs if p.status == "nosal"]
    assert len(sold_out) >= 10 and len(nosal) >= 5
    assert all(p.status in ("pub", "nosal") for p in perfs)
    assert any(p.end < p.time for p in perfs)  # some end after midnight


def test_a_smaller_large_venue(large):
    forty = load("large:40")
    assert len(forty.shows) == 40 and forty.performance_count == 120
    assert [s.name for s in forty.shows] == [s.name for s in large.shows[:40]]
    assert len(load(" large:1 ").shows) == 1


@pytest.mark.parametrize("setting", ["large:", "large:0", "large:-3", "large:x", "large:10001", "large:١٢"])
def test_a_bad_large_setting_is_refused(setting):
    with pytest.raises(ValueError, match="large:<number of shows"):
        load(setting)


def test_the_setting_is_read_from_the_environment(tmp_path):
    env = {"SANDBOX_CATALOGUE": " large:12 ", "SANDBOX_DB": str(tmp_path / "db.sqlite3")}
    settings = SandboxSettings.from_env(env, instance_path=str(tmp_path))
    assert settings.catalogue == "large:12"
    # `large` is not a file: the sandbox does not look for one.
    app = create_sandbox(settings)
    assert len(app.extensions["sandbox"].catalogue.shows) == 12


# --- the large venue over HTTP ---------------------------------------------------------------


@pytest.fixture
def large_server(start_sandbox):
    return start_sandbox(SANDBOX_CATALOGUE="large")


def test_large_venue_through_the_client(large_server):
    vdm = VdmClient(large_server.url + "/v1", "demo", backoff=0)
    events = vdm.upcoming_events()
    perfs = [p for e in events for p in e.performances]
    assert len(events) == 150 and len(perfs) == 450
    assert sum(p.status == "nosal" for p in perfs) >= 5
    assert sum(p.status == "pub" and p.free == 0 for p in perfs) >= 10
    assert len({p.starts_at.year for p in perfs}) == 2

    halls = vdm.locations()
    assert len(halls) == 4 and all(len(h.address_lines) >= 2 for h in halls)
    genres = vdm.event_types()
    assert len(genres) >= 6 and "Jazz & Blues" in genres
    for name in genres:
        of_type = vdm.events_of_type(name)
        assert of_type and all(name in e.genres for e in of_type)
    # A concert series with a family matinee: under Jeugd with only that performance.
    family = [e for e in vdm.events_of_type("Jeugd") if "Klassiek" in e.genres]
    assert family and all(len(e.performances) == 1 for e in family)

    # and it sells
    sellable = next(p for e in events for p in e.performances if p.on_sale())
    ticket_type = vdm.ticket_types(sellable.id)[0]
    assert vdm.add_to_cart(vdm.create_cart(), sellable.id, 1, ticket_type.id).count == 1


def test_large_venue_answers_quickly(large_server):
    # A measurement, printed (pytest -s): loading and GET events/upcoming should take well under a second.
    started = time.perf_counter()
    load("large")
    loaded = time.perf_counter() - started
    url = large_server.url + "/v1/demo/events/upcoming"
    requests.get(url, timeout=10)  # a first request warms the connection
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        answer = requests.get(url, timeout=10)
        timings.append(time.perf_counter() - started)
        assert answer.status_code == 200 and len(answer.json()) == 150
    print(f"\nlarge venue: load {loaded * 1000:.0f} ms, GET events/upcoming {min(timings) * 1000:.0f}"
          f"-{max(timings) * 1000:.0f} ms, {len(answer.content) // 1024} KB")
