"""The Flask extensions the shop uses, made here once and bound to the app in create_app();
and the shop's one way to Redis (SHOP_REDIS_URL), which keeps the shop serving while Redis
is away.

While Redis is away, each process goes on with what it has: the cache (and with it the
10-second status rule) in its own memory, the rate limits in Flask-Limiter's in-memory
fallback, the catalogue snapshot it holds. Only the ledger refuses (shop/ledger.py raises
LedgerUnavailable), so that no cart risks a second order. A failure is remembered for
REDIS_DOWN_SECONDS: requests in that time do not each wait on Redis. Nothing needs a restart
when Redis is back: redis-py reconnects, and the next request after that time finds it.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from flask_caching import Cache
from flask_caching.backends.base import BaseCache
from flask_caching.backends.rediscache import RedisCache
from flask_caching.backends.simplecache import SimpleCache
from flask_wtf import CSRFProtect

log = logging.getLogger(__name__)

# Short-lived shared answers: the order-status throttle, rendered fragments, readiness.
cache = Cache()
csrf = CSRFProtect()


# --- Redis ----------------------------------------------------------------------------------

# Seconds to connect to Redis, and to wait for one answer: Redis answers in a millisecond, so
# a dead one costs a request at most this (redis-py's default is 5 s, with retries).
REDIS_TIMEOUT = 0.5
# After Redis failed, it is left alone this long: meanwhile every request goes on without it.
REDIS_DOWN_SECONDS = 5.0


class RedisUnavailable(Exception):
    """Redis did not answer (or failed just now, and is left alone for a few seconds)."""


def redis_options() -> dict[str, Any]:
    """For every Redis client of the shop: short time-outs, and no retries (a retry only
    doubles the wait on a dead Redis; a connection Redis closed is replaced anyway)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT,
            "retry": Retry(NoBackoff(), 0)}


class RedisLink:
    """One Redis as this process sees it: a client, and whether it failed a moment ago."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, **redis_options())
        self.errors = redis.RedisError
        self._down_until = 0.0
        self._failing = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """Redis failed less than REDIS_DOWN_SECONDS ago."""
        return time.monotonic() < self._down_until

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The client, for one use. Raises RedisUnavailable on any Redis error, and at once
        (without asking Redis) while it is remembered as down."""
        if self.down:
            raise RedisUnavailable("Redis failed a moment ago")
        try:
            yield self.client
        except self.errors as error:
            self._failed(error)
            raise RedisUnavailable(str(error)) from error
        if self._failing:
            self._answered()

    def call(self, operation, *args, **kwargs):
        with self.use():
            return operation(*args, **kwargs)

    def ping(self) -> bool:
        try:
            return bool(self.call(self.client.ping))
        except RedisUnavailable:
            return False

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + REDIS_DOWN_SECONDS
            first, self._failing = not self._failing, True
        if first:  # once per outage, not once per request
            log.warning("Redis unavailable (%s: %s): cache, status rule and rate limits per process, "
                        "no orders, until it is back", type(error).__name__, error)

    def _answered(self) -> None:
        with self._lock:
            was, self._failing, self._down_until = self._failing, False, 0.0
        if was:
            log.info("Redis is back: cache, status rule, rate limits and orders shared again")


_links: dict[str, RedisLink] = {}
_links_lock = threading.Lock()


def redis_link(url: str) -> RedisLink:
    """This process's link to the Redis at `url`: one for the cache, the ledger and /readyz,
    so that what one finds out about Redis the others know too."""
    with _links_lock:
        link = _links.get(url)
        if link is None:
            link = _links[url] = RedisLink(url)
        return link


class _Memory(SimpleCache):
    """A SimpleCache whose entries leave only when their time is up, never because it is full:
    a flood of made-up order keys must not push a real order's 10-second gate out. It holds
    short-lived entries only (gates 10 s, fragments one snapshot), so time keeps it small."""

    def _prune(self) -> None:
        if self._over_threshold():
            self._remove_expired(time.time())


class RedisCacheWithFallback(BaseCache):
    """Flask-Caching's RedisCache, shared by every process; while Redis is away, this process's
    own SimpleCache instead (CACHE_TYPE = "shop.extensions.RedisCacheWithFallback").

    What was kept in memory during an outage is still read, and still counts for `add`, after
    Redis is back, until it expires: the status rule's gate for an order, set in memory, holds
    its 10 seconds across Redis's return. Otherwise the memory is empty and costs nothing."""

    def __init__(self, link: RedisLink, default_timeout: int = 300, key_prefix: str | None = None,
                 threshold: int = 500):
        super().__init__(default_timeout=default_timeout)
        self.link = link
        self.redis = RedisCache(host=link.client, default_timeout=default_timeout, key_prefix=key_prefix)
        self.memory = _Memory(threshold=threshold, default_timeout=default_timeout)

    @classmethod
    def factory(cls, app, config, args, kwargs):
        return cls(redis_link(config["CACHE_REDIS_URL"]), default_timeout=kwargs.get("default_timeout", 300),
                   key_prefix=config.get("CACHE_KEY_PREFIX"), threshold=config.get("CACHE_THRESHOLD", 500))

    def _redis(self, name: str, *args, **kwargs):
        return self.link.call(getattr(self.redis, name), *args, **kwargs)

    def get(self, key: str) -> Any:
        try:
            value = self._redis("get", key)
        except RedisUnavailable:
            value = None
        return value if value is not None else self.memory.get(key)

    def get_many(self, *keys: str) -> list[Any]:
        return [self.get(key) for key in keys]

    def has(self, key: str) -> bool:
        try:
            if self._redis("has", key):
                return True
        except RedisUnavailable:
            pass
        return self.memory.has(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        try:
            return self._redis("set", key, value, timeout)
        except RedisUnavailable:
            return self.memory.set(key, value, timeout)

    def set_many(self, mapping: dict[str, Any], timeout: int | None = None) -> list[Any]:
        return [key for key, value in mapping.items() if self.set(key, value, timeout)]

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        if self.memory.has(key):
            return False
        try:
            return self._redis("add", key, value, timeout)
        except RedisUnavailable:
            return self.memory.add(key, value, timeout)

    def delete(self, key: str) -> bool:
        in_memory = self.memory.delete(key)
        try:
            return self._redis("delete", key) or in_memory
        except RedisUnavailable:
            return in_memory

    def delete_many(self, *keys: str) -> list[Any]:
        return [key for key in keys if self.delete(key)]

    def inc(self, key: str, delta: int = 1) -> int | None:
        try:
            return self._redis("inc", key, delta)
        except RedisUnavailable:
            return self.memory.inc(key, delta)

    def dec(self, key: str, delta: int = 1) -> int | None:
        return self.inc(key, -delta)

    def clear(self) -> bool:
        self.memory.clear()
        try:
            return self._redis("clear")
        except RedisUnavailable:
            return False
