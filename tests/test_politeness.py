"""Per-host politeness in Redis: registrable domain, concurrent requests, rate of starts, 429 spread."""

from __future__ import annotations

import random
import time

import pytest
import redis

from monitor.keys import Keys
from monitor.politeness import HostLimiter, desynchronised_return, host_of

pytestmark = pytest.mark.integration


def test_host_is_the_registrable_domain() -> None:
    """Sub-domains share a host; public suffixes like co.uk are respected; IPs stay as they are."""
    assert host_of("https://news.example.co.uk/rss") == "example.co.uk"
    assert host_of("https://feeds.Example.org/a.xml") == "example.org"
    assert host_of("http://127.0.0.1:8080/feed") == "127.0.0.1"


def test_concurrent_requests_are_capped_across_clients(redis_client: redis.Redis, redis_url: str) -> None:
    """With a cap of 2, limiters on two clients get 2 leases; the third waits until one is released."""
    keys = Keys("tpolite")
    a = HostLimiter(redis_client, keys, max_concurrent=2, min_start_interval=0, lease=60)
    b = HostLimiter(redis.Redis.from_url(redis_url), keys, max_concurrent=2, min_start_interval=0, lease=60)
    first, _ = a.try_acquire("example.org")
    second, _ = b.try_acquire("example.org")
    third, wait = a.try_acquire("example.org")
    assert first is not None and second is not None and third is None and 0 < wait <= 1.0
    other, _ = a.try_acquire("example.net")
    assert other is not None
    b.release(second)
    again, _ = a.try_acquire("example.org")
    assert again is not None


def test_rate_of_starts_spaces_requests(redis_client: redis.Redis) -> None:
    """With 0.3 s between starts, three acquisitions take at least 0.6 s."""
    limiter = HostLimiter(redis_client, Keys("tpolite"), max_concurrent=10, min_start_interval=0.3, lease=60)
    started = time.monotonic()
    leases = [limiter.acquire("example.org", max_wait=5) for _ in range(3)]
    assert all(leases)
    assert time.monotonic() - started >= 0.6


def test_expired_lease_is_reclaimed(redis_client: redis.Redis) -> None:
    """A lease never released (its worker died) stops counting after its lifetime."""
    limiter = HostLimiter(redis_client, Keys("tpolite"), max_concurrent=1, min_start_interval=0, lease=0.3)
    assert limiter.try_acquire("example.org")[0] is not None
    assert limiter.try_acquire("example.org")[0] is None
    time.sleep(0.35)
    assert limiter.try_acquire("example.org")[0] is not None


def test_host_backoff_returns_are_spread() -> None:
    """Ten feeds of a host told to wait 600 s return at ten different times between 600 and 900 s."""
    rng = random.Random(7)
    returns = [desynchronised_return(1600.0, 1000.0, rng) - 1000.0 for _ in range(10)]
    assert all(600 <= r <= 900 for r in returns)
    assert len({round(r) for r in returns}) == 10
