"""Issue 13: the buyer's calendar. "Add to calendar" on every performance, and one file with every
performance of a paid order: iCalendar files (RFC 5545) read back here with icalendar, the way a
calendar application reads them."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from demo import (
    DE_STORM,
    DE_STORM_FIRST,
    DE_STORM_MATINEE,
    GROTE_ZAAL,
    JAZZ,
    JAZZ_ON_SALE,
    NACHTVLINDERS_FIRST,
    NOT_ON_SALE_YET,
    SENIOR,
    STADSPAS,
    STANDARD,
    UNPUBLISHED,
)
from helpers import CANCEL, PARTIAL, PAY, PENDING, Buyer, catalogue_ready, text
from icalendar import Calendar

from shop.domain.calendar import DEFAULT_LENGTH, Visit, calendar, filename, location, uid
from shop.vdm.models import VENUE_TZ

STAMP = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
WINTER = datetime(2027, 1, 15, 20, 15, tzinfo=VENUE_TZ)  # CET, UTC+1
SUMMER = datetime(2027, 7, 15, 20, 15, tzinfo=VENUE_TZ)  # CEST, UTC+2


def parsed(body: bytes) -> Calendar:
    cal = Calendar.from_ical(body)
    assert (str(cal["VERSION"]), str(cal["METHOD"])) == ("2.0", "PUBLISH") and str(cal["PRODID"])
    return cal


def visit(performance_id: int = 1, starts_at: datetime = WINTER, ends_at: datetime | None = None, **fields) -> Visit:
    values = {"title": "De Storm", "location": "Grote Zaal, Lindeboomplein 1, 3512 LB Utrecht",
              "url": "https://tickets.example/shows/100", "description": "Toneelgroep Noorderlicht\n\nTickets: …"}
    return Visit(performance_id, starts_at=starts_at, ends_at=ends_at, **{**values, **fields})


# --- the file, from plain values ----------------------------------------------------------------------


def test_every_field_of_an_event():
    cal = parsed(calendar([visit(101, ends_at=WINTER + timedelta(hours=2, minutes=15))], client_name="demo",
                          host="tickets.example", stamp=STAMP))
    (event,) = cal.events
    assert str(event["UID"]) == "performance-101.demo@tickets.example" == uid(101, "demo", "tickets.example")
    assert event.decoded("DTSTAMP") == STAMP
    assert str(event["SUMMARY"]) == "De Storm"
    assert str(event["LOCATION"]) == "Grote Zaal, Lindeboomplein 1, 3512 LB Utrecht"  # commas escaped and back
    assert str(event["URL"]) == "https://tickets.example/shows/100"
    assert str(event["DESCRIPTION"]) == "Toneelgroep Noorderlicht\n\nTickets: …"
    assert event.decoded("DTSTART") == WINTER and event.decoded("DTEND") == WINTER + timedelta(hours=2, minutes=15)


@pytest.mark.parametrize(("moment", "offset"), [(WINTER, timedelta(hours=1)), (SUMMER, timedelta(hours=2))])
def test_the_venues_time_zone_with_its_own_rules(moment, offset):
    cal = parsed(calendar([visit(starts_at=moment)], client_name="demo", host="h", stamp=STAMP))
    (event,) = cal.events
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam" and event["DTEND"].params["TZID"] == "Europe/Amsterdam"
    assert event.to_ical().decode().count(f"DTSTART;TZID=Europe/Amsterdam:{moment:%Y%m%dT%H%M%S}") == 1
    (zone,) = cal.timezones
    assert zone.tz_name == "Europe/Amsterdam"
    # The VTIMEZONE alone (not the name looked up on this machine) puts the evening at the right UTC time.
    rules = zone.to_tz(lookup_tzid=False)
    local = moment.replace(tzinfo=None)
    assert local.replace(tzinfo=rules).utcoffset() == offset
    assert local.replace(tzinfo=rules).astimezone(timezone.utc) == moment.astimezone(timezone.utc)


def test_winter_and_summer_in_one_file_share_one_time_zone():
    cal = parsed(calendar([visit(1, WINTER), visit(2, SUMMER)], client_name="demo", host="h", stamp=STAMP))
    assert [e.decoded("DTSTART").utcoffset() for e in cal.events] == [timedelta(hours=1), timedelta(hours=2)]
    assert len(cal.timezones) == 1


def test_without_an_end_time_the_event_lasts_two_hours():
    (event,) = parsed(calendar([visit(ends_at=None)], client_name="demo", host="h", stamp=STAMP)).events
    assert DEFAULT_LENGTH == timedelta(hours=2)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == DEFAULT_LENGTH


def test_an_end_after_midnight_is_the_next_day():
    ends = datetime(2027, 1, 16, 0, 45, tzinfo=VENUE_TZ)
    (event,) = parsed(calendar([visit(starts_at=datetime(2027, 1, 15, 22, 30, tzinfo=VENUE_TZ), ends_at=ends)],
                               client_name="demo", host="h", stamp=STAMP)).events
    assert event.decoded("DTEND") == ends


def test_a_performance_is_in_a_file_once():
    cal = parsed(calendar([visit(1), visit(2, SUMMER), visit(1)], client_name="demo", host="h", stamp=STAMP))
    assert sorted(str(e["UID"]) for e in cal.events) == ["performance-1.demo@h", "performance-2.demo@h"]


def test_names_and_places():
    assert location("Foyer") == "Foyer"
    assert location("Kleine Zaal", ["Achter de Linde 14", "3512 LD Utrecht"]) == "Kleine Zaal, Achter de Linde 14, 3512 LD Utrecht"
    assert filename("Het Zwanenmeer voor kinderen", date(2027, 1, 15)) == "het-zwanenmeer-voor-kinderen-2027-01-15.ics"
    assert filename("Café “Noord”!", date(2027, 1, 15)) == "cafe-noord-2027-01-15.ics"
    assert filename("東京", date(2027, 1, 15)) == "performance-2027-01-15.ics"


# --- Add to calendar on a performance -----------------------------------------------------------------


def performance_file(buyer: Buyer, performance_id: int):
    answer = buyer.opens(f"/performances/{performance_id}/calendar.ics")
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return answer, parsed(answer.get_data())


def test_a_performances_file(app, buyer):
    snapshot = catalogue_ready(app)
    show, performance = snapshot.performance(DE_STORM_FIRST)
    answer, cal = performance_file(buyer, DE_STORM_FIRST)
    assert answer.headers["Content-Disposition"] == f'attachment; filename="de-storm-{performance.starts_at:%Y-%m-%d}.ics"'
    (event,) = cal.events
    assert str(event["UID"]) == f"performance-{DE_STORM_FIRST}.demo@localhost"
    assert str(event["SUMMARY"]) == "De Storm"
    assert event.decoded("DTSTART") == performance.starts_at and event.decoded("DTEND") == performance.ends_at
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam" and cal.timezones[0].tz_name == "Europe/Amsterdam"
    assert str(event["LOCATION"]) == "Grote Zaal, Lindeboomplein 1, 3512 LB Utrecht"
    assert str(event["URL"]) == f"http://localhost/shows/{DE_STORM}"
    assert str(event["DESCRIPTION"]) == f"Toneelgroep Noorderlicht\n\nTickets: http://localhost/performances/{DE_STORM_FIRST}"
    assert abs(event.decoded("DTSTAMP") - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert show.id == DE_STORM


def test_a_hall_with_its_second_address_line(app, buyer):
    catalogue_ready(app)
    (event,) = performance_file(buyer, JAZZ_ON_SALE)[1].events
    assert str(event["LOCATION"]) == "Foyer, Lindeboomplein 1, Eerste verdieping, 3512 LB Utrecht"
    assert str(event["URL"]) == f"http://localhost/shows/{JAZZ}"


def test_the_shops_own_address_names_the_event(make_app, sandbox):
    """SHOP_BASE_URL, with the path the shop is served under, and never the request's host."""
    app = make_app(sandbox.url, SHOP_BASE_URL="https://venue.example/tickets")
    catalogue_ready(app)
    answer = Buyer(app.test_client()).opens(f"/tickets/performances/{DE_STORM_FIRST}/calendar.ics",
                                            headers={"Host": "venue.example"})
    assert answer.status_code == 200
    (event,) = parsed(answer.get_data()).events
    assert str(event["URL"]) == f"https://venue.example/tickets/shows/{DE_STORM}"
    assert str(event["UID"]) == f"performance-{DE_STORM_FIRST}.demo@venue.example"
    assert f"Tickets: https://venue.example/tickets/performances/{DE_STORM_FIRST}" in str(event["DESCRIPTION"])


def test_a_performance_without_an_end_time(start_sandbox, make_app, demo_catalogue):
    catalogue = copy.deepcopy(demo_catalogue)
    storm = next(e for e in catalogue["events"] if e["event_id"] == DE_STORM)
    del next(s for s in storm["sub_events"] if s["event_id"] == DE_STORM_FIRST)["event_end"]
    app = make_app(start_sandbox(catalogue).url)
    snapshot = catalogue_ready(app)
    starts = snapshot.performance(DE_STORM_FIRST)[1].starts_at
    (event,) = performance_file(Buyer(app.test_client()), DE_STORM_FIRST)[1].events
    assert event.decoded("DTSTART") == starts and event.decoded("DTEND") == starts + timedelta(hours=2)
    assert str(event["DESCRIPTION"]).endswith("The end time is not known yet.")


@pytest.mark.parametrize("performance_id", [999999, UNPUBLISHED, DE_STORM])  # DE_STORM: a show, not a performance
def test_no_file_for_what_is_not_a_visible_performance(app, buyer, performance_id):
    catalogue_ready(app)
    assert buyer.opens(f"/performances/{performance_id}/calendar.ics").status_code == 404


def test_every_performance_offers_its_file(app, buyer):
    catalogue_ready(app)
    show = buyer.reads(f"/shows/{DE_STORM}")
    links = re.findall(r'href="/performances/(\d+)/calendar\.ics"', show)
    assert links == [str(DE_STORM_FIRST), "102", str(DE_STORM_MATINEE)]  # the sold-out one too
    assert f'href="/performances/{NOT_ON_SALE_YET}/calendar.ics"' in buyer.reads(f"/shows/{JAZZ}")
    page = buyer.reads(f"/performances/{DE_STORM_FIRST}")
    assert page.count(f'href="/performances/{DE_STORM_FIRST}/calendar.ics"') == 1


# --- one file for an order -----------------------------------------------------------------------------


def buys_three_performances(buyer: Buyer) -> None:
    """Two ticket types for De Storm, and tickets for two more performances."""
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 2, STADSPAS: 1})
    buyer.has_tickets(NACHTVLINDERS_FIRST, **{SENIOR: 1})
    buyer.has_tickets(DE_STORM_MATINEE, **{STANDARD: 1})
    buyer.places_order()


@pytest.mark.parametrize("choice", [PAY, PARTIAL])
def test_a_paid_orders_file_has_each_performance_once(app, buyer, choice):
    snapshot = catalogue_ready(app)
    buys_three_performances(buyer)
    page = text(buyer.pays(choice))
    (path,) = re.findall(r'href="(/order/[^"/]+/calendar\.ics)"', page)
    answer = buyer.opens(path)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="tickets-\d{4}-\d\d-\d\d\.ics"', answer.headers["Content-Disposition"])
    cal = parsed(answer.get_data())
    events = {str(e["UID"]): e for e in cal.events}
    wanted = (NACHTVLINDERS_FIRST, DE_STORM_FIRST, DE_STORM_MATINEE)
    assert len(cal.events) == 3 and set(events) == {f"performance-{p}.demo@localhost" for p in wanted}
    for performance_id in wanted:
        show, performance = snapshot.performance(performance_id)
        event = events[f"performance-{performance_id}.demo@localhost"]
        assert str(event["SUMMARY"]) == show.name and str(event["URL"]) == f"http://localhost/shows/{show.id}"
        assert event.decoded("DTSTART") == performance.starts_at and event.decoded("DTEND") == performance.ends_at
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        # The same event as the performance's own file: a calendar that has both keeps one.
        assert str(performance_file(buyer, performance_id)[1].events[0]["UID"]) == str(event["UID"])
    assert str(events[f"performance-{DE_STORM_FIRST}.demo@localhost"]["DESCRIPTION"]) == \
        "Your tickets: 2 × Standaard, 1 × Stadspas"
    assert str(events[f"performance-{NACHTVLINDERS_FIRST}.demo@localhost"]["LOCATION"]).startswith("Kleine Zaal, ")
    assert snapshot.performance(DE_STORM_FIRST)[1].location_id == GROTE_ZAAL
    assert answer.headers["Cache-Control"] == "private"


@pytest.mark.parametrize("choice", [PENDING, CANCEL])
def test_no_file_before_anything_is_paid(app, buyer, choice):
    catalogue_ready(app)
    buys_three_performances(buyer)
    page = buyer.pays(choice)
    key = re.search(r"<code>([^<]+)</code>", text(page)).group(1)
    assert "calendar.ics" not in text(page) and "Tickets in this order" in text(page)
    assert buyer.opens(f"/order/{key}/calendar.ics").status_code == 404


def test_no_file_for_an_order_the_shop_does_not_know(app, buyer):
    catalogue_ready(app)
    assert buyer.opens("/order/XgFca-QmBxG-9WhAj-Osszb/calendar.ics").status_code == 404
    assert buyer.opens("/order/not%20a%20key/calendar.ics").status_code == 404
