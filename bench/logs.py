"""Reading what the benchmark's servers wrote: the shop's log and the sandbox's access log.

Pure functions on text, so that tests/test_bench.py can check them without starting anything.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

VENUE_TIME = ZoneInfo("Europe/Amsterdam")
REFRESHED = re.compile(r"catalogue: (\d+) shows, (\d+) prices loaded in ([\d.]+) s")
# gunicorn's default access log format: host - - [27/Nov/2026:18:09:38 +0000] "GET /path HTTP/1.1" 200 …
ACCESS = re.compile(r'\[([^\]]+)\] "([A-Z]+) (\S+) HTTP/[\d.]+"')
KINDS = ("events/upcoming", "tickettypes", "paymentmethods", "locations", "eventtypes")


@dataclass(frozen=True)
class Refresh:
    shows: int
    prices: int
    seconds: float


def refreshes(log: str) -> list[Refresh]:
    """Every "catalogue: N shows, M prices loaded in X s" line of a shop's log, in order."""
    return [Refresh(int(s), int(p), float(x)) for s, p, x in REFRESHED.findall(log)]


def is_catalogue_page(method: str, path: str) -> bool:
    """A buyer's catalogue page: the programme, a show or a performance (ticket choice)."""
    return method == "GET" and (path == "/" or path.startswith(("/shows/", "/performances/")))


@dataclass
class Waits:
    """Catalogue requests in a shop's JSON request log, and how many of them called VdM."""

    after: int = 0  # requests made after the first snapshot
    after_waiting: int = 0  # of those, with vdm_calls > 0 (the target is 0)
    settling: int = 0  # of those, within `grace` seconds of the first snapshot
    before: int = 0  # requests made while the first snapshot was loading
    before_waiting: int = 0
    calls: int = 0  # VdM calls made by catalogue pages, before and after
    examples: list[dict] = field(default_factory=list)  # a few of the requests that waited

    def __add__(self, other: Waits) -> Waits:
        return Waits(self.after + other.after, self.after_waiting + other.after_waiting,
                     self.settling + other.settling, self.before + other.before,
                     self.before_waiting + other.before_waiting, self.calls + other.calls,
                     (self.examples + other.examples)[:5])


def catalogue_waits(log: str, first_snapshot: datetime, grace: float = 1.0) -> Waits:
    """Count the catalogue requests of the shop's JSON request log (logger shop.requests: one
    JSON object a line) made after `first_snapshot` (an aware datetime), and those among them
    that waited on VdM (vdm_calls > 0), telling apart those in the first `grace` seconds.
    Lines that are not such JSON are other loggers'."""
    waits = Waits()
    settled = first_snapshot + timedelta(seconds=grace)
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
            at = datetime.fromisoformat(entry["time"])
            if not is_catalogue_page(entry["method"], entry["path"]):
                continue
            calls = int(entry["vdm_calls"])
        except (ValueError, KeyError, TypeError):
            continue
        waits.calls += calls
        if at >= first_snapshot:
            waits.after += 1
            if calls:
                waits.after_waiting += 1
                waits.settling += at < settled
                if len(waits.examples) < 5:
                    waits.examples.append(entry)
        else:
            waits.before += 1
            waits.before_waiting += calls > 0
    return waits


@dataclass(frozen=True)
class Call:
    at: datetime
    kind: str  # one of KINDS, or "other"
    path: str


def vdm_calls(access_log: str, client: str = "demo") -> list[Call]:
    """The API calls made under `client` (the shop's VDM_CLIENT_NAME), in the order of the
    log. The benchmark asks the sandbox under another client name, so its own questions are
    not counted."""
    prefix = f"/v1/{client}/"
    calls = []
    for line in access_log.splitlines():
        found = ACCESS.search(line)
        if not found or not found.group(3).startswith(prefix):
            continue
        at = datetime.strptime(found.group(1), "%d/%b/%Y:%H:%M:%S %z")
        rest = found.group(3)[len(prefix):].split("?")[0]
        kind = next((k for k in KINDS if rest == k or rest.startswith(k + "/")), "other")
        calls.append(Call(at, kind, found.group(3)))
    return calls


@dataclass
class Round:
    """The catalogue calls of one refresh: from one events/upcoming call to the next."""

    start: datetime
    counts: Counter

    @property
    def total(self) -> int:
        return sum(self.counts[kind] for kind in KINDS)


def rounds(calls: list[Call]) -> tuple[list[Round], Counter]:
    """Split the calls into refresh rounds, each starting at an events/upcoming call (every
    refresh starts with one). Two processes refreshing at once show up as two rounds that
    start close together. Returns the rounds and the calls made before the first one (and
    of other kinds: carts, orders)."""
    found: list[Round] = []
    outside: Counter = Counter()
    for call in calls:
        if call.kind == "events/upcoming":
            found.append(Round(call.at, Counter()))
        if call.kind == "other" or not found:
            outside[call.kind] += 1
        else:
            found[-1].counts[call.kind] += 1
    return found, outside


def on_sale(upcoming: list, at: datetime) -> int:
    """The performances on sale in VdM's events/upcoming answer: status pub, event_free > 0,
    starting after `at` (an aware datetime). These are the ones whose ticket types a refresh asks for."""
    count = 0
    for event in upcoming:
        for sub in event.get("sub_events") or []:
            try:
                starts = datetime.fromisoformat(f"{sub['event_date']}T{sub['event_time']}").replace(tzinfo=VENUE_TIME)
                if sub["event_status"] == "pub" and int(sub["event_free"]) > 0 and starts > at:
                    count += 1
            except (KeyError, TypeError, ValueError):
                continue
    return count


def pages_on_sale(upcoming: list, at: datetime, shows: int) -> tuple[list[int], list[int]]:
    """The ids of the first `shows` shows that have a performance on sale, and those performances."""
    show_ids, performance_ids = [], []
    for event in upcoming:
        subs = [sub for sub in event.get("sub_events") or [] if on_sale([{"sub_events": [sub]}], at)]
        if subs and len(show_ids) < shows:
            show_ids.append(int(event["event_id"]))
            performance_ids.extend(int(sub["event_id"]) for sub in subs)
    return show_ids, performance_ids


def seconds_between(a: datetime, b: datetime) -> float:
    return (b - a) / timedelta(seconds=1)
