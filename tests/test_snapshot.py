"""The catalogue snapshot: loaded by a refresher off the buyer's path, with a handful of
calls in flight, keeping old parts when VdM fails, one refresher for many processes."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from fakes import HANGS, FakeVdm, venue

from shop.infra.snapshot import Catalogue, MemoryStore, RedisStore
from shop.vdm import BadResponse, NotFound


def catalogue(vdm: FakeVdm, store=None, **options) -> Catalogue:
    return Catalogue(lambda: vdm, store or MemoryStore(), interval=options.pop("interval", 60), **options)


def test_one_refresh_asks_for_the_events_every_price_and_the_payment_methods():
    vdm = FakeVdm(venue(shows=20, per_show=3))
    snapshot = catalogue(vdm).refresh()
    assert snapshot.complete
    assert len(snapshot.events) == 20 and len(snapshot.prices) == 60
    assert vdm.calls["upcoming_events"] == 1 and vdm.calls["ticket_types"] == 60 and vdm.calls["payment_methods"] == 1
    # Halls and genres rarely change: asked for with the first refresh, then once an hour.
    assert vdm.calls["locations"] == 1 and vdm.calls["event_types"] == 1
    assert snapshot.locations[1].city == "Utrecht" and snapshot.genres == ("Toneel",)


def test_a_handful_of_calls_in_flight_never_more():
    vdm = FakeVdm(venue(shows=12, per_show=3), delay=0.02)
    catalogue(vdm, concurrency=4).refresh()
    assert vdm.most_in_flight == 4


def test_only_performances_on_sale_are_priced():
    events = venue(shows=3, per_show=1)
    events[0]["sub_events"][0]["event_free"] = 0          # sold out
    events[1]["sub_events"][0]["event_status"] = "nosal"  # not on sale yet
    vdm = FakeVdm(events)
    snapshot = catalogue(vdm).refresh()
    assert vdm.calls["ticket_types"] == 1 and list(snapshot.prices) == [events[2]["sub_events"][0]["event_id"]]


def test_a_failed_part_keeps_its_previous_value():
    vdm = FakeVdm(venue(shows=2, per_show=1))
    prices = catalogue(vdm)
    first = prices.refresh()
    vdm.prices[10000] = "30.00"
    vdm.fail("payment_methods", HANGS)
    vdm.fail("ticket_types", BadResponse("garbage"))
    second = prices.refresh()
    assert second.taken_at > first.taken_at
    assert second.payment_methods == first.payment_methods
    assert second.prices == first.prices == {10000: Decimal("20.00"), 10010: Decimal("20.00")}
    vdm.heal()
    assert prices.refresh().prices[10000] == Decimal("30.00")


def test_without_an_event_list_the_last_snapshot_stays():
    vdm = FakeVdm(venue(shows=2, per_show=1))
    prices = catalogue(vdm)
    first = prices.refresh()
    vdm.fail("upcoming_events", HANGS)
    assert prices.refresh() is first and prices.current() is first


def test_halls_and_genres_that_vdm_does_not_have_are_simply_absent():
    vdm = FakeVdm(venue(shows=1, per_show=1))
    vdm.fail("locations", NotFound("Not found"))
    vdm.fail("event_types", BadResponse("an error object"))
    snapshot = catalogue(vdm).refresh()
    assert snapshot.complete and snapshot.locations == {} and snapshot.event_types == ()
    assert snapshot.hall_names == {1: "Zaal 1"}  # from the performances themselves


def test_a_hanging_vdm_is_not_asked_for_every_price():
    vdm = FakeVdm(venue(shows=50, per_show=3))
    vdm.fail("ticket_types", HANGS)
    catalogue(vdm, concurrency=3).refresh()
    # Once a few calls in a row failed, the rest of this round is skipped (one per thread may be under way).
    assert vdm.calls["ticket_types"] <= 2 * 3 + 3


def test_before_prices_the_programme_is_shown_at_once():
    vdm = FakeVdm(venue(shows=5, per_show=1))
    release = vdm.hang("ticket_types")
    prices = catalogue(vdm)
    started = time.monotonic()
    first = prices.wait_for_first(5)
    assert time.monotonic() - started < 3
    assert first is not None and not first.complete and len(first.events) == 5 and first.prices == {}
    release.set()
    deadline = time.monotonic() + 5
    while not prices.current().complete and time.monotonic() < deadline:
        time.sleep(0.02)
    assert prices.current().complete and len(prices.current().prices) == 5
    prices.stop()


def test_before_the_first_snapshot_a_failing_vdm_is_not_waited_for():
    vdm = FakeVdm(venue(shows=1, per_show=1))
    vdm.fail("upcoming_events", HANGS)
    prices = catalogue(vdm)
    assert prices.wait_for_first(5) is None and prices.unreachable
    started = time.monotonic()
    assert prices.wait_for_first(5) is None and time.monotonic() - started < 0.5  # told at once until the next try
    prices.stop()


def test_no_first_snapshot_within_the_wait_gives_none():
    vdm = FakeVdm(venue(shows=1, per_show=1))
    release = vdm.hang("upcoming_events")
    prices = catalogue(vdm)
    assert prices.wait_for_first(0.2) is None
    release.set()
    prices.stop()


def test_the_refresher_refreshes_when_the_interval_has_passed():
    vdm = FakeVdm(venue(shows=1, per_show=1))
    prices = catalogue(vdm, interval=10)
    first = prices.refresh()
    assert prices.tick() is first and vdm.calls["upcoming_events"] == 1  # still fresh
    prices._snapshot = type(first)(first.taken_at - 11, first.events, first.ticket_types, first.payment_methods,
                                   first.locations, first.event_types, first.slow_parts_at)
    assert prices.tick().taken_at > first.taken_at and vdm.calls["upcoming_events"] == 2


def test_one_refresher_for_every_process_sharing_redis(redis_url):
    vdm = FakeVdm(venue(shows=30, per_show=3), delay=0.01)
    workers = [catalogue(vdm, RedisStore(redis_url, "test:")) for _ in range(4)]
    threads = [threading.Thread(target=worker.tick) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:  # the ones that waited pick up what the refresher made
        worker.tick()
    assert vdm.calls["upcoming_events"] == 1 and vdm.calls["ticket_types"] == 90
    versions = {worker.current().version for worker in workers}
    assert len(versions) == 1 and all(worker.current().complete for worker in workers)
    assert workers[3].current().prices == workers[0].current().prices


def test_with_redis_gone_each_process_goes_on_with_its_own(redis_url):
    import redis

    vdm = FakeVdm(venue(shows=2, per_show=1))
    store = RedisStore("redis://127.0.0.1:1/0", "test:")  # nothing listens there
    snapshot = catalogue(vdm, store).tick()
    assert snapshot is not None and snapshot.complete
    assert redis.Redis.from_url(redis_url).get("test:snapshot") is None


@pytest.mark.parametrize("interval", [5])
def test_the_interval_has_a_lower_bound_in_settings(make_app, sandbox, interval):
    from shop.settings import ConfigError

    with pytest.raises(ConfigError, match="SHOP_CATALOGUE_REFRESH"):
        make_app(sandbox.url, SHOP_CATALOGUE_REFRESH=str(interval))


def test_a_performance_past_its_view_end_is_not_shown():
    from datetime import datetime, timedelta

    from shop.domain import programme
    from shop.vdm import Event

    data = venue(shows=1, per_show=2)
    data[0]["sub_events"][0]["event_view_end"] = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    data[0]["sub_events"][1]["event_view_end"] = "0000-00-00 00:00:00"  # VdM's "unused"
    event = Event.from_dict(data[0])
    assert [p.id for p in programme.visible(event.performances)] == [event.performances[1].id]
