"""The buyer's calendar: an iCalendar file (RFC 5545) with one event per performance, for "Add
to calendar" on a performance and for all the performances of an order.

Flask-free: it takes plain values (the views give the texts in the buyer's language and the
absolute URLs). The icalendar library folds the lines, escapes the text and writes the
VTIMEZONE the events' TZID refers to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from icalendar import Calendar, Event

from shop.vdm.models import VENUE_TZ

PRODID = "-//VoordeMensen reference ticket shop//Calendar//EN"
# VdM may give no end time. RFC 5545 would then make the event end the moment it starts, which
# calendars show as a sliver; two hours is what a theatre evening usually takes.
DEFAULT_LENGTH = timedelta(hours=2)


@dataclass(frozen=True)
class Visit:
    """One performance in the buyer's calendar."""

    performance_id: int
    title: str  # the show's name
    starts_at: datetime  # aware: the venue's time
    ends_at: datetime | None
    location: str  # the hall and its address, one line
    url: str | None  # the show's page, absolute
    description: str  # plain text


def uid(performance_id: int, client_name: str, host: str) -> str:
    """The same for a performance in every file the shop makes (its own and an order's), so
    that a calendar that imports both keeps one event, and updates it."""
    return f"performance-{performance_id}.{client_name}@{host}"


def end_of(visit: Visit) -> datetime:
    return visit.ends_at or visit.starts_at + DEFAULT_LENGTH


def location(hall: str, address_lines: Iterable[str] = ()) -> str:
    return ", ".join(part for part in (hall, *address_lines) if part)


def calendar(visits: Iterable[Visit], *, client_name: str, host: str, stamp: datetime | None = None) -> bytes:
    """The iCalendar file: one VEVENT per performance (a second visit to the same performance
    would carry the same UID, which calendars read as the same event)."""
    unique = list({visit.performance_id: visit for visit in visits}.values())
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    stamp = (stamp or datetime.now(timezone.utc)).astimezone(timezone.utc)
    for visit in unique:
        cal.add_component(_event(visit, uid(visit.performance_id, client_name, host), stamp))
    if unique:
        # The time zone's rules for the years of these events only (from 1970 to 2038 by default).
        first = min(visit.starts_at for visit in unique).year
        last = max(end_of(visit) for visit in unique).year
        cal.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1))
    return cal.to_ical()


def _event(visit: Visit, event_uid: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid)
    event.add("dtstamp", stamp)
    event.add("summary", visit.title)
    event.add("dtstart", visit.starts_at.astimezone(VENUE_TZ))
    event.add("dtend", end_of(visit).astimezone(VENUE_TZ))
    if visit.location:
        event.add("location", visit.location)
    if visit.url:
        event.add("url", visit.url)
    if visit.description:
        event.add("description", visit.description)
    return event


def filename(title: str, day: date) -> str:
    """A file name any system takes: the title in plain ASCII letters and digits, and the date."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return f"{slug or 'performance'}-{day.isoformat()}.ics"
