"""The catalogue as a snapshot: VdM's programme, prices, payment methods and halls, loaded
by a refresher in the background, so that no buyer's catalogue page waits on VdM.

One refresh asks VdM for the upcoming events (1 call), the ticket types of every
performance on sale (one call each, a handful in flight at once) and the payment methods
(1 call); halls and genres, which rarely change, once an hour (with an API key, VdM's
authenticated halls too, for the addresses the public locations leave out). A call that
fails keeps the previous snapshot's value for that part. Buyers are always served the last complete
snapshot; before the very first one, pages wait (bounded) for the refresher's first call,
the event list, and prices follow.

Where the snapshot lives is a `SnapshotStore`: this process's memory, or Redis, where one
refresher (holding a lock with an expiry) works for every worker and host. Flask-free.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import MISSING, dataclass, field, fields, replace
from decimal import Decimal
from functools import cached_property
from typing import Callable, Iterable, Mapping

from shop.domain.programme import state, visible
from shop.vdm import (
    Event,
    Hall,
    Location,
    NotFound,
    PaymentMethod,
    Performance,
    TicketType,
    UpstreamUnavailable,
    VdmClient,
    VdmError,
)

log = logging.getLogger(__name__)

# Halls and genres rarely change: asked for once an hour, not every refresh.
SLOW_PARTS_SECONDS = 3600
# After a refresh that could not even load the event list, wait this long before the next try.
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Snapshot:
    """Everything the catalogue pages show, as VdM last told it."""

    # time.time() when its refresh began: refreshes begin every interval, however long they take.
    taken_at: float
    events: tuple[Event, ...]
    ticket_types: Mapping[int, tuple[TicketType, ...]] = field(default_factory=dict)
    payment_methods: tuple[PaymentMethod, ...] = ()
    locations: Mapping[int, Location] = field(default_factory=dict)
    event_types: tuple[str, ...] = ()
    slow_parts_at: float = 0.0  # when halls and genres were last asked for
    # False while only the event list is in: prices and payment methods follow.
    complete: bool = True
    # Per catalogue page (page_key): the fingerprint of what it shows, and when it was first seen.
    changes: Mapping[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Changes with every new snapshot: a key for anything rendered from it."""
        return f"{self.taken_at:.6f}"

    def age(self, at: float | None = None) -> float:
        return (at or time.time()) - self.taken_at

    @cached_property
    def _by_id(self) -> dict[int, tuple[Event, Performance | None]]:
        index: dict[int, tuple[Event, Performance | None]] = {}
        for event in self.events:
            for performance in event.performances:
                index.setdefault(performance.id, (event, performance))
            index[event.id] = (event, None)
        return index

    def event(self, event_id: int) -> Event | None:
        """The show with this id, or None."""
        found = self._by_id.get(event_id)
        return found[0] if found and found[1] is None else None

    def performance(self, performance_id: int) -> tuple[Event, Performance] | None:
        """The performance with this id and its show, or None."""
        found = self._by_id.get(performance_id)
        return (found[0], found[1]) if found and found[1] is not None else None

    def changed_at(self, page: str, page_id: int | None = None) -> float | None:
        """When this catalogue page's content last changed, as far as the shop has seen."""
        found = self.changes.get(page_key(page, page_id))
        return found[1] if found else None

    def is_performance(self, event_id: int) -> bool:
        return self.performance(event_id) is not None

    @cached_property
    def prices(self) -> dict[int, Decimal]:
        """The lowest price of each performance whose ticket types are known."""
        return {pid: min(t.price for t in types) for pid, types in self.ticket_types.items() if types}

    @cached_property
    def hall_names(self) -> dict[int, str]:
        names = {p.location_id: p.location_name for e in self.events for p in e.performances
                 if p.location_id is not None and p.location_name}
        names.update({i: loc.name for i, loc in self.locations.items() if loc.name})
        return names

    @cached_property
    def genres(self) -> tuple[str, ...]:
        """VdM's genres, or those the events name when VdM does not list them."""
        named = (g for e in self.events for g in e.genres)
        return tuple(dict.fromkeys((*self.event_types, *named)))

    def __getstate__(self):
        # The indexes above are rebuilt where the snapshot is read, not stored with it.
        return {name: value for name, value in self.__dict__.items() if name not in _DERIVED}

    def __setstate__(self, state):
        # A snapshot an older version of the shop left in Redis lacks the newer fields.
        defaults = {f.name: f.default_factory() for f in fields(self) if f.default_factory is not MISSING}
        self.__dict__.update({**defaults, **state})


_DERIVED = ("_by_id", "prices", "hall_names", "genres")


# --- when a page last changed ---------------------------------------------------------------
#
# VdM gives no modification time, so the sitemap's lastmod is the shop's own estimate: each
# refresh fingerprints what each catalogue page shows, and a page keeps the time its fingerprint
# was first seen, carried from snapshot to snapshot (and through Redis to other processes).
# Assumptions: a change shows within one refresh period; a page that changes back counts as a
# change; a shop without Redis starts counting afresh when it restarts; tickets sold change
# nothing until the performance sells out (the count of free seats is not fingerprinted).


def page_key(page: str, page_id: int | None = None) -> str:
    """A catalogue page's key in `Snapshot.changes`: programme, show:100, performance:101."""
    return page if page_id is None else f"{page}:{page_id}"


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def fingerprints(events, ticket_types: Mapping[int, tuple[TicketType, ...]],
                 locations: Mapping[int, Location]) -> dict[str, str]:
    """What each catalogue page shows (its show, dates, halls, sale states and prices), hashed."""
    found: dict[str, str] = {}
    programme = []
    for event in events:
        about = (event.name, event.short_text, event.text, event.image, event.genres)
        shown = visible(event.performances)
        performances = [(p.id, p.starts_at, p.ends_at, p.location_id, p.location_name, str(state(p)),
                         locations.get(p.location_id), ticket_types.get(p.id)) for p in shown]
        found[page_key("show", event.id)] = _digest(about, performances)
        for summary in performances:
            found[page_key("performance", summary[0])] = _digest(about, summary)
        if shown:  # the programme lists the shows with a performance to come
            programme.append((event.id, found[page_key("show", event.id)]))
    found[page_key("programme")] = _digest(programme)
    return found


def carry_changes(previous: Mapping[str, tuple[str, float]], current: Mapping[str, str],
                  at: float) -> dict[str, tuple[str, float]]:
    """Each page's fingerprint with the time it was first seen: kept while it stays the same."""
    return {key: previous[key] if previous.get(key, ("",))[0] == digest else (digest, at)
            for key, digest in current.items()}


def with_addresses(locations: Mapping[int, Location], halls: Iterable[Location]) -> dict[int, Location]:
    """The public locations, with the address of the hall of the same id where they give none
    (VdM's hallId is assumed to be the public location_id); a hall they do not list is added."""
    merged = dict(locations)
    for hall in halls:
        known = merged.get(hall.id)
        if known is None:
            merged[hall.id] = hall
        elif not known.address_lines and hall.address_lines:
            merged[hall.id] = replace(known, name=known.name or hall.name, address=hall.address,
                                      address1=hall.address1, zip=hall.zip, city=hall.city,
                                      country=known.country or hall.country, phone=known.phone or hall.phone)
    return merged


# --- where the snapshot is kept -------------------------------------------------------------


class MemoryStore:
    """This process only: every process refreshes for itself."""

    def latest(self, newer_than: float) -> Snapshot | None:
        return None

    def publish(self, snapshot: Snapshot) -> None:
        pass

    def acquire(self, seconds: float) -> str | None:
        return "local"

    def release(self, token: str) -> None:
        pass


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisStore:
    """One snapshot for every worker and host. The refresher holds a lock with an expiry, so
    one that dies mid-refresh is replaced. Any Redis error counts as "no shared snapshot":
    the caller goes on with what it has in memory (and refreshes for itself if it must)."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.key, self.version_key, self.lock_key = prefix + "snapshot", prefix + "snapshot:at", prefix + "snapshot:lock"
        self.errors = redis.RedisError
        self.failing = False

    def _trouble(self, error: Exception | None) -> None:
        """Log when Redis goes away and when it is back, not on every poll."""
        if (error is not None) != self.failing:
            self.failing = error is not None
            if error is not None:
                log.warning("catalogue snapshot: Redis unavailable (%s); going on with this process's own", error)
            else:
                log.info("catalogue snapshot: Redis is back")

    def latest(self, newer_than: float) -> Snapshot | None:
        try:
            at = self.redis.get(self.version_key)
            if at is None or float(at) <= newer_than:
                return None
            blob = self.redis.get(self.key)
        except (self.errors, ValueError) as error:
            self._trouble(error)
            return None
        self._trouble(None)
        # Trusted like the rest of the shop's Redis data (Flask-Caching pickles too): Redis
        # must not be reachable by anyone but the shop.
        snapshot = pickle.loads(blob) if blob else None
        return snapshot if isinstance(snapshot, Snapshot) and snapshot.taken_at > newer_than else None

    def publish(self, snapshot: Snapshot) -> None:
        try:
            with self.redis.pipeline() as pipe:
                pipe.set(self.key, pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))
                pipe.set(self.version_key, repr(snapshot.taken_at))
                pipe.execute()
        except self.errors as error:
            self._trouble(error)

    def acquire(self, seconds: float) -> str | None:
        token = secrets.token_hex(8)
        try:
            return token if self.redis.set(self.lock_key, token, nx=True, px=int(seconds * 1000)) else None
        except self.errors as error:
            self._trouble(error)
            return "local"  # Redis is away: refresh for this process, as without Redis

    def release(self, token: str) -> None:
        try:
            self.redis.eval(_RELEASE, 1, self.lock_key, token)
        except self.errors:
            pass


# --- refreshing -----------------------------------------------------------------------------


class Catalogue:
    """The current snapshot of this process, and the refresher that keeps it current."""

    def __init__(self, client: Callable[[], VdmClient], store: MemoryStore | RedisStore, *,
                 interval: float, concurrency: int = 6, poll: float = 2.0,
                 halls: Callable[[], list[Hall] | None] | None = None):
        self._client = client
        # VdM's authenticated halls: [] when there are none to ask for, None when asking failed.
        self._halls = halls
        self.store = store
        self.interval = interval
        self.concurrency = concurrency
        self.poll = min(poll, interval)
        self._snapshot: Snapshot | None = None
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._started_by: int | None = None
        self._attempted_at = -RETRY_SECONDS
        self._failed_at: float | None = None
        self._tries = 0

    # --- reading (never waits on VdM, but for the bounded wait before the first snapshot)

    def current(self) -> Snapshot | None:
        self.start()
        return self._snapshot

    @property
    def unreachable(self) -> bool:
        """The last try to load the event list failed (recently enough to not try again yet)."""
        return self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS

    def wait_for_first(self, seconds: float) -> Snapshot | None:
        """The snapshot; before the first, wait at most `seconds` for the refresher's current
        try at the event list. None when it did not come in time, or VdM just failed."""
        if self._snapshot is None and not self.unreachable:
            self.start()
            with self._changed:
                tries = self._tries
                self._changed.wait_for(lambda: self._snapshot is not None or self._tries > tries,
                                       timeout=max(0.0, seconds))
        return self._snapshot

    def newest(self) -> Snapshot | None:
        """The snapshot, after taking a newer one from the store if another process made it
        (one Redis GET): for the moments before this process has picked up the first prices."""
        own = self._snapshot
        shared = self.store.latest(own.taken_at if own else 0.0)
        if shared is not None:
            self.use(shared)
        return self._snapshot

    # --- the refresher thread

    def start(self) -> None:
        """Start refreshing in the background: once per process, and again in each worker
        forked from a process that had started (threads do not survive a fork)."""
        if self._started_by == os.getpid() or self._stopped.is_set():
            return
        with self._changed:
            if self._started_by != os.getpid():
                self._started_by = os.getpid()
                threading.Thread(target=self._run, name="catalogue-refresher", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.tick()
            except Exception:  # the refresher must outlive any surprise; the next tick tries again
                log.exception("catalogue refresh failed")
            self._wake.wait(self._pause())
            self._wake.clear()

    def _pause(self) -> float:
        """Until the next refresh is due; after a failed one, a while (not a tight loop on a
        VdM that is down); with a shared store, soon, to pick up what another process made."""
        snapshot = self._snapshot
        # Without a complete snapshot, look again soon (another process may be loading it).
        due = 0.5 if snapshot is None or not snapshot.complete else self.interval - snapshot.age()
        due = max(due, RETRY_SECONDS - (time.monotonic() - self._attempted_at))
        if not isinstance(self.store, MemoryStore):
            due = min(due, self.poll)
        return max(0.05, due)

    def tick(self) -> Snapshot | None:
        """Take a newer snapshot from the store, or refresh when it is due and this process
        gets the lock. Returns the current snapshot."""
        snapshot = self.newest()
        if snapshot is not None and snapshot.complete and snapshot.age() < self.interval:
            return snapshot
        token = self.store.acquire(max(60.0, 2 * self.interval))
        if token is None:
            return snapshot  # another process is refreshing for everyone
        try:
            shared = self.store.latest(snapshot.taken_at if snapshot else 0.0)  # it may just have finished
            if shared is not None and shared.complete:
                self.use(shared)
                return shared
            return self.refresh()
        finally:
            self.store.release(token)

    def use(self, snapshot: Snapshot) -> None:
        """Make `snapshot` this process's current one."""
        with self._changed:
            self._snapshot, self._tries = snapshot, self._tries + 1
            self._changed.notify_all()
        # The snapshot is tens of thousands of objects that live for minutes. Python's full
        # garbage collection walks them all (about 30 ms, with every thread of the worker
        # waiting: it was the catalogue pages' p99). Frozen, they are left out of it; an old
        # snapshot is still freed by reference counting when the next replaces it. Collecting
        # first, once per snapshot, keeps the garbage of the moment from being frozen with it
        # (without it, a worker grew by half a megabyte a refresh).
        gc.collect()
        gc.freeze()

    # --- one refresh

    def refresh(self) -> Snapshot | None:
        """Ask VdM for everything once and publish the new snapshot. A part that fails keeps
        its previous value; without an event list there is nothing new to publish."""
        client, previous = self._client(), self._snapshot
        started, began = time.monotonic(), time.time()
        self._attempted_at = started
        try:
            events = tuple(client.upcoming_events())
        except VdmError as error:
            log.warning("catalogue: the event list could not be loaded (%s); keeping the last one", error)
            with self._changed:
                self._failed_at, self._tries = time.monotonic(), self._tries + 1
                self._changed.notify_all()
            return previous
        self._failed_at = None
        if previous is None:
            # The first snapshot: show the programme now, prices follow.
            self._publish(Snapshot(began, events, complete=False))
        base = previous or Snapshot(0.0, ())
        slow = time.time() - base.slow_parts_at >= SLOW_PARTS_SECONDS
        ticket_types = self._ticket_types(client, events, base.ticket_types)
        methods = _or_previous(lambda: tuple(client.payment_methods()), base.payment_methods, "payment methods")
        locations, event_types = base.locations, base.event_types
        if slow:
            locations, event_types = self._slow_parts(client, base)
        # A hair later than the events-only one above, so that every process takes it as newer.
        changes = carry_changes(base.changes, fingerprints(events, ticket_types, locations), began)
        snapshot = Snapshot(began + 0.001, events, ticket_types, methods, locations, event_types,
                            slow_parts_at=time.time() if slow else base.slow_parts_at, changes=changes)
        self._publish(snapshot)
        log.info("catalogue: %d shows, %d prices loaded in %.2f s", len(events), len(snapshot.ticket_types),
                 time.monotonic() - started)
        return snapshot

    def _slow_parts(self, client: VdmClient, base: Snapshot) -> tuple[Mapping[int, Location], tuple[str, ...]]:
        """Halls (with the authenticated halls' addresses) and genres."""
        halls = _or_previous(client.locations, None, "halls", absent=[])
        locations = base.locations if halls is None else {hall.id: hall for hall in halls}
        if self._halls is not None:
            peppered = self._halls()
            # When they fail, the addresses they gave last time stay: they are in the last locations.
            filler = base.locations.values() if peppered is None else [hall.as_location() for hall in peppered]
            locations = with_addresses(locations, filler)
        event_types = _or_previous(lambda: tuple(client.event_types()), base.event_types, "genres", absent=())
        return locations, event_types

    def _publish(self, snapshot: Snapshot) -> None:
        self.use(snapshot)
        self.store.publish(snapshot)

    def _ticket_types(self, client: VdmClient, events, previous: Mapping[int, tuple[TicketType, ...]]):
        """The ticket types of every performance on sale, a handful of calls at a time. When VdM
        keeps failing, the rest are not asked for this round (they keep their old values)."""
        wanted = [p.id for e in events for p in visible(e.performances) if p.on_sale()]
        failures = 0
        stop_after = 2 * self.concurrency

        def load(performance_id: int):
            nonlocal failures
            if failures >= stop_after:
                return performance_id, previous.get(performance_id)
            try:
                return performance_id, tuple(client.ticket_types(performance_id))
            except NotFound:
                return performance_id, ()
            except VdmError as error:
                if isinstance(error, UpstreamUnavailable):
                    failures += 1
                log.warning("catalogue: ticket types of %s not loaded (%s)", performance_id, error)
                return performance_id, previous.get(performance_id)

        if self.concurrency == 1:  # one at a time: in this thread
            loaded = dict(map(load, wanted))
        else:
            with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="catalogue") as pool:
                loaded = dict(pool.map(load, wanted))
        return {pid: types for pid, types in loaded.items() if types is not None}


def _or_previous(fetch, previous, what: str, absent=None):
    """The fresh value, or the previous one when VdM fails. `absent` is what an endpoint that
    VdM does not have (404) counts as: the undocumented ones may be missing."""
    try:
        return fetch()
    except NotFound:
        if absent is not None:
            return absent
        log.warning("catalogue: %s not found; keeping the last ones", what)
        return previous
    except VdmError as error:
        log.warning("catalogue: %s not loaded (%s); keeping the last ones", what, error)
        return previous
