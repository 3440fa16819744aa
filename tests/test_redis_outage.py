"""Redis going away while the shop runs (SHOP_REDIS_URL set), against a real redis-server
that each test stops, freezes and starts again on the same port.

While Redis is away the shop serves what it safely can: the catalogue from its own memory,
the cache and the 10-second status rule per process, rate limits in memory; /readyz names
Redis; the ledger refuses (LedgerUnavailable), so the checkout orders nothing. When Redis is
back, everything is shared again, without a restart.

Also here: the SQLite ledger, which stands in for Redis on one host, is readable by the
shop's user alone."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import time

import pytest
import redis
import tools
from demo import DE_STORM, DE_STORM_FIRST, STANDARD
from helpers import SECRET, Buyer, catalogue_ready, csrf_token, orders_in, text

from shop import create_app
from shop.domain.ledger import Ledger, LedgerUnavailable, RedisLedger

# A dead Redis may cost a request about one second (the time-outs), never more.
SLOW = 1.6
PAGES = ("/", f"/shows/{DE_STORM}", f"/performances/{DE_STORM_FIRST}", "/cart/")


class RedisServer:
    """A redis-server of its own that a test can stop, freeze and start again on the same port."""

    def __init__(self, directory):
        self.binary, self.directory, self.proc = tools.redis_server(), directory, None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.directory)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)

    def stop(self):
        """Gone: connections are closed and new ones refused."""
        self.proc.send_signal(signal.SIGCONT)  # in case it was frozen
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def freeze(self):
        """Hung (or behind a network that drops packets): connections open, nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.stop()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def hosts(sandbox, redis_server, tmp_path):
    """Shop instances as on separate hosts (own instance folders), sharing the one Redis."""
    from shop.infra.security import limiter

    apps = []

    def host(name, **config):
        app = create_app({"SHOP_SECRET_KEY": SECRET, "VDM_API_URL": sandbox.url + "/v1",
                          "SHOP_REDIS_URL": redis_server.url, **config}, instance_path=str(tmp_path / name))
        apps.append(app)
        return app

    yield host
    for app in apps:
        app.extensions["box_office"].catalogue.stop()
    # The limiter is one object for every app of this test process: do not hand its "storage is
    # dead" state to the next test (it would find out by itself, but only after a while).
    limiter._storage_dead = False


def buyer_at(app) -> Buyer:
    """A buyer with tickets in the cart at this host."""
    buyer = Buyer(app.test_client())
    buyer.has_tickets(DE_STORM_FIRST, **{STANDARD: 1})
    return buyer


def order_key(app) -> str:
    """An order made at this host."""
    return buyer_at(app).places_order()


def timed(call, *args, **kwargs):
    started = time.monotonic()
    answer = call(*args, **kwargs)
    return answer, time.monotonic() - started


def ready_again(web, seconds: float = 15):
    deadline = time.monotonic() + seconds
    while (answer := web.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


# --- Redis stopped ------------------------------------------------------------------------


def test_pages_keep_serving_while_redis_is_down_and_all_is_shared_again_after(hosts, redis_server, sandbox,
                                                                              recorded):
    a, b = hosts("a", SHOP_RATE_LIMIT_CART="4 per minute"), hosts("b")
    snapshot = catalogue_ready(a)
    buyer = buyer_at(a)

    redis_server.stop()
    for path in PAGES:
        answer, seconds = timed(buyer.opens, path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert seconds < SLOW, (path, seconds)
    assert "De Storm" in buyer.cart()  # the cart, from VdM

    ready = a.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["status"] == "unavailable" and "redis" in ready.json["reason"].lower()
    assert ready.json["shows"] == len(snapshot.events) and ready.json["catalogue_complete"] is True
    assert "catalogue_age_seconds" in ready.json

    # Rate limits go on, counted afresh in this process's memory.
    other = Buyer(a.test_client())
    statuses = [other.adds(DE_STORM_FIRST, **{STANDARD: 1}).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 303, 429]

    redis_server.start()  # empty: a Redis restarted without persistence
    assert ready_again(a.test_client()).status_code == 200
    assert ready_again(b.test_client()).status_code == 200

    # The ledger, the cache and the status rule are shared again: exactly one order, and one
    # status question to VdM however many browsers on both hosts ask.
    before = len(orders_in(sandbox))
    key = order_key(b)
    assert len(orders_in(sandbox)) == before + 1
    assert isinstance(a.extensions["ledger"], RedisLedger) and a.extensions["ledger"].by_order(key) is not None
    for host in (a, b, a, b):
        assert Buyer(host.test_client()).opens(f"/order/{key}").status_code == 200
    assert recorded.count(f"/v1/demo/order/{key}") == 1


def test_checkout_orders_nothing_while_redis_is_down(hosts, redis_server, sandbox):
    app = hosts("a")
    catalogue_ready(app)
    buyer = buyer_at(app)
    form = buyer.checkout_form()

    redis_server.stop()
    before = len(orders_in(sandbox))
    answer, seconds = timed(buyer.checks_out, form)
    assert answer.status_code == 503 and seconds < SLOW
    assert "nothing was ordered" in text(answer)
    assert len(orders_in(sandbox)) == before
    assert buyer.opens("/checkout/").status_code == 200  # the form, to try again later

    redis_server.start()
    assert ready_again(app.test_client()).status_code == 200
    assert buyer.checks_out().status_code == 303
    assert len(orders_in(sandbox)) == before + 1


def test_order_page_while_redis_is_down_asks_vdm_once_per_interval_per_process(hosts, redis_server, recorded):
    app = hosts("a")
    catalogue_ready(app)
    key = order_key(app)

    redis_server.stop()
    for _ in range(3):
        answer, seconds = timed(Buyer(app.test_client()).opens, f"/order/{key}")
        assert answer.status_code == 200 and seconds < SLOW
    assert recorded.count(f"/v1/demo/order/{key}") == 1


def test_the_shop_starts_while_redis_is_down(hosts, redis_server):
    redis_server.stop()
    app = hosts("a")
    catalogue_ready(app)  # from VdM, by this process alone
    web = app.test_client()
    for path in PAGES[:3]:
        assert Buyer(web).opens(path).status_code == 200, path
    assert web.get("/readyz").status_code == 503
    redis_server.start()
    assert ready_again(web).status_code == 200


# --- Redis hung ---------------------------------------------------------------------------


def test_a_hung_redis_costs_a_request_at_most_a_second_and_is_then_left_alone(hosts, redis_server):
    app = hosts("a")
    catalogue_ready(app)
    buyer = buyer_at(app)

    redis_server.freeze()
    try:
        started = time.monotonic()
        for path in ("/readyz", *PAGES, f"/shows/{DE_STORM}", "/"):
            answer, seconds = timed(buyer.opens, path)
            assert answer.status_code == (503 if path == "/readyz" else 200), path
            assert seconds < SLOW, (path, seconds)
        token = csrf_token(buyer.reads(f"/performances/{DE_STORM_FIRST}"))
        answer, seconds = timed(buyer.posts, f"/performances/{DE_STORM_FIRST}",
                                {"csrf_token": token, f"qty_{STANDARD}": "1"})
        assert answer.status_code == 303 and seconds < SLOW
        # Redis is remembered as down: the pages after the first did not each wait on it.
        assert time.monotonic() - started < 2 * SLOW
    finally:
        redis_server.thaw()
    assert ready_again(app.test_client()).status_code == 200


def test_the_cache_falls_back_to_memory_and_a_flood_does_not_push_a_gate_out():
    from shop.extensions import RedisCacheWithFallback, redis_link

    with socket.socket() as s:  # a port where nothing listens: Redis refuses
        s.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    cache = RedisCacheWithFallback(redis_link(url), key_prefix="t:", threshold=50)
    assert cache.add("gate", True, timeout=60) and not cache.add("gate", True, timeout=60)
    for i in range(500):
        cache.set(f"status:{i}", i, timeout=60)
    assert cache.get("gate") is True and cache.get("status:7") == 7 and cache.has("gate")
    assert cache.delete("status:7") and cache.get("status:7") is None


# --- the ledger itself --------------------------------------------------------------------


def test_redis_ledger_raises_ledger_unavailable_and_recovers(redis_server):
    ledger = RedisLedger(redis_server.url, prefix="outage:")
    assert ledger.claim("c1")
    redis_server.stop()
    calls = [lambda: ledger.claim("c2"), lambda: ledger.reclaim("c1"), lambda: ledger.created("c1", "K", None),
             lambda: ledger.uncertain("c1"), lambda: ledger.release("c1"), lambda: ledger.forget("c1"),
             lambda: ledger.get("c1"), lambda: ledger.by_order("K")]
    for call in calls:
        with pytest.raises(LedgerUnavailable):
            call()
    redis_server.start()
    deadline = time.monotonic() + 15
    while True:
        try:
            assert ledger.claim("c1")  # Redis came back empty
            break
        except LedgerUnavailable:
            assert time.monotonic() < deadline, "the ledger did not recover"
            time.sleep(0.2)
    ledger.created("c1", "K", None)
    assert ledger.by_order("K").cart_id == "c1"


# --- the SQLite ledger's files --------------------------------------------------------------


def test_sqlite_ledger_files_are_readable_by_the_shop_alone(tmp_path):
    old = os.umask(0o022)  # the usual umask: new files world-readable
    try:
        path = tmp_path / "orders.sqlite3"
        ledger = Ledger(str(path))
        assert ledger.claim("c1")
        reader = sqlite3.connect(path)  # an open connection keeps the -wal and -shm files
        try:
            reader.execute("SELECT COUNT(*) FROM ledger").fetchone()
            ledger.created("c1", "K", None)
            files = [path, tmp_path / "orders.sqlite3-wal", tmp_path / "orders.sqlite3-shm"]
            assert all(f.exists() for f in files)
            assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}
        finally:
            reader.close()
    finally:
        os.umask(old)


def test_an_existing_world_readable_ledger_is_made_private(tmp_path):
    path = tmp_path / "orders.sqlite3"
    Ledger(str(path))
    os.chmod(path, 0o644)
    Ledger(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
