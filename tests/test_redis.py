"""Redis mode against a real redis-server: two shop instances (as two hosts) share the
cache, the 10-second status rule, the rate limits and the one-order-per-cart ledger."""

from __future__ import annotations

import threading

import pytest
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import SECRET, Buyer, LiveServer, catalogue_ready, orders_in, submit_together

from shop import create_app
from shop.domain.ledger import CREATED, RedisLedger


@pytest.fixture
def two_shops(make_app, sandbox, redis_url, tmp_path):
    """Two instances with separate instance folders, as on two hosts, sharing one Redis."""

    def host(name, **config):
        return create_app({"SHOP_SECRET_KEY": SECRET, "VDM_API_URL": sandbox.url + "/v1", "SHOP_REDIS_URL": redis_url,
                           **config}, instance_path=str(tmp_path / name))

    return host


def test_redis_is_used_for_cache_limits_and_ledger(two_shops):
    app = two_shops("a")
    assert app.config["CACHE_TYPE"] == "shop.extensions.RedisCacheWithFallback"
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert isinstance(app.extensions["ledger"], RedisLedger)


def test_one_catalogue_refresh_for_every_host(two_shops, recorded):
    hosts = [two_shops(name) for name in "abc"]
    for host in hosts:  # each starts its refresher; one of them gets the lock and loads for all
        assert Buyer(host.test_client()).opens(f"/shows/{DE_STORM}").status_code == 200
    snapshots = [catalogue_ready(host) for host in hosts]
    assert len({snapshot.version for snapshot in snapshots}) == 1
    on_sale = sum(1 for event in snapshots[0].events for p in event.performances if p.on_sale())
    per_refresh = [path for path in recorded if not path.endswith(("/locations", "/eventtypes"))]
    assert len(per_refresh) == 1 + on_sale + 1  # events, each price, payment methods: once for all hosts
    assert recorded.count("/v1/demo/events/upcoming") == 1


def test_two_hosts_ask_vdm_once_per_10_seconds_for_an_order(two_shops, recorded):
    a, b = two_shops("a"), two_shops("b")
    buyer = Buyer(a.test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    key = buyer.places_order()
    browsers = [Buyer(a.test_client()) for _ in range(3)] + [Buyer(b.test_client()) for _ in range(3)]
    answers = []

    def reload_many(browser):
        for _ in range(10):
            answers.append(browser.opens(f"/order/{key}").status_code)

    threads = [threading.Thread(target=reload_many, args=(browser,)) for browser in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200] * 60  # (an assertion in a thread would not fail the test)
    assert recorded.count(f"/v1/demo/order/{key}") == 1


def test_rate_limits_are_shared(two_shops):
    a, b = two_shops("a", SHOP_RATE_LIMIT_CART="2 per minute"), two_shops("b", SHOP_RATE_LIMIT_CART="2 per minute")
    statuses = [Buyer(app.test_client()).adds(DE_STORM_FIRST, **{STANDARD: 1}).status_code for app in (a, b, a, b)]
    assert statuses == [303, 303, 429, 429]


def test_one_order_per_cart_across_hosts(two_shops, sandbox):
    a, b = LiveServer(two_shops("a")), LiveServer(two_shops("b"))
    try:
        answers = submit_together([a.url, b.url, a.url, b.url])
        assert len(orders_in(sandbox)) == 1
        assert {a.status_code for a in answers} == {303} and len({a.headers["Location"] for a in answers}) == 1
    finally:
        a.stop()
        b.stop()


def test_redis_ledger_states(redis_url):
    ledger = RedisLedger(redis_url, prefix="test:")
    assert ledger.claim("c1") and not ledger.claim("c1")
    assert not ledger.reclaim("c1")  # still being created
    ledger.uncertain("c1")
    assert ledger.get("c1").state == "uncertain" and ledger.reclaim("c1")
    ledger.release("c1")
    assert ledger.get("c1") is None and ledger.claim("c1")
    ledger.created("c1", "KEY-1", "https://pay.example/1")
    ledger.release("c1")  # a created order is never released
    entry = ledger.by_order("KEY-1")
    assert (entry.cart_id, entry.state, entry.payment_url) == ("c1", CREATED, "https://pay.example/1")
    ledger.forget("c1")
    assert ledger.get("c1") is None
