"""Politeness per host: concurrent requests, rate of starts and 429 back-off, shared through Redis.

The host is the registrable domain (``news.example.co.uk`` -> ``example.co.uk``, via the Public
Suffix List in ``tld``, which courlan already uses), or the bare host name for IP addresses and
``localhost``. Limits hold across every worker process because they live in Redis:

- at most ``max_concurrent`` requests in flight (a sorted set of leases that expire, so a worker
  killed mid-request frees its lease after ``lease`` seconds);
- at least ``min_start_interval`` seconds between two request starts;
- after a 429 the host is marked until its Retry-After; each of its feeds then picks its own
  return time spread over a window after that (de-synchronised, "full jitter" in the sense of
  the AWS Architecture Blog's "Exponential Backoff and Jitter", 2015), so they do not come back
  in one burst.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from tld import get_fld

from monitor.keys import Keys

# KEYS: in-flight zset, last-start key. ARGV: now, token, lease expiry, limit, min gap (seconds).
# Returns 0 when the lease was taken, else the seconds to wait (as a string) before trying again.
_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local gap = tonumber(ARGV[5])
if now - last < gap then
  return tostring(gap - (now - last))
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(math.max(0.05, math.min(1.0, tonumber(first[2]) - now)))
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[3] - now) + 60)
redis.call('SET', KEYS[2], ARGV[1], 'EX', math.ceil(gap) + 60)
return 0
"""


# KEYS: next-page key. ARGV: now, gap (seconds). Returns the reserved start (epoch seconds, as a
# string): the later of now and the host's next free turn, which moves one gap further.
_RESERVE = """
local now = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(at + gap), 'EX', math.ceil(at + gap - now) + 60)
return tostring(at)
"""


def host_of(url: str) -> str:
    """The registrable domain of ``url`` (e.g. ``example.co.uk``), or its host for IPs/localhost."""
    fld = get_fld(url, fail_silently=True)
    if fld:
        return str(fld).lower()
    return (urlsplit(url).hostname or url).lower()


@dataclass
class HostLease:
    """A held request slot for ``host``; give it back with :meth:`HostLimiter.release`."""

    host: str
    token: str


class HostLimiter:
    """Redis-backed per-host limits (see module docstring).

    Args:
        connection, keys: Redis client and key builder.
        max_concurrent: requests in flight to one host. min_start_interval: seconds between starts.
        lease: seconds after which a lease not given back expires (longer than any request).
    """

    def __init__(self, connection: redis.Redis, keys: Keys, max_concurrent: int,
                 min_start_interval: float, lease: float) -> None:
        self.r = connection
        self.keys = keys
        self.max_concurrent = max_concurrent
        self.min_start_interval = min_start_interval
        self.lease = lease
        self._acquire = connection.register_script(_ACQUIRE)
        self._reserve = connection.register_script(_RESERVE)

    def reserve_page(self, host: str) -> float:
        """Reserve this article page's turn at ``host``: the epoch second from which it may be
        fetched, one ``min_start_interval`` after the turn reserved before it. An entry job whose
        turn is far off is put back on the queue for then (``workers.entries``), instead of holding
        a worker while a backlog of one host drains: a feed of 5,000 new entries would otherwise
        keep every other feed's entries waiting behind it for over an hour (a bad-input trial)."""
        return float(self._reserve(keys=[self.keys.host_next_page(host)],
                                   args=[repr(time.time()), repr(self.min_start_interval)]))

    def try_acquire(self, host: str) -> tuple[HostLease | None, float]:
        """One attempt: ``(lease, 0)`` when taken, else ``(None, seconds to wait)``."""
        token = uuid.uuid4().hex
        now = time.time()
        keys = [self.keys.host_limit(host), self.keys.host_last_start(host)]
        args: list[str | int] = [repr(now), token, repr(now + self.lease), self.max_concurrent,
                                 repr(self.min_start_interval)]
        wait = float(self._acquire(keys=keys, args=args))
        return (HostLease(host, token), 0.0) if wait <= 0 else (None, wait)

    def acquire(self, host: str, max_wait: float) -> HostLease | None:
        """Wait (sleeping, at most ``max_wait`` seconds) for a request slot; None when it did not come."""
        deadline = time.monotonic() + max_wait
        while True:
            lease, wait = self.try_acquire(host)
            if lease is not None:
                return lease
            if time.monotonic() + wait > deadline:
                return None
            time.sleep(wait)

    def release(self, lease: HostLease) -> None:
        """Give the slot back (idempotent)."""
        self.r.zrem(self.keys.host_limit(lease.host), lease.token)

    # 429 -------------------------------------------------------------------------
    def back_off_host(self, host: str, until: float) -> None:
        """Record that ``host`` asked us to stay away until ``until`` (epoch seconds); keeps the later."""
        key = self.keys.host_backoff(host)
        current = self.r.get(key)
        if current is None or float(current) < until:
            self.r.set(key, repr(until), exat=int(until) + 1)

    def host_backoff_until(self, host: str) -> float | None:
        """Epoch seconds until which ``host`` is backed off, or None."""
        value = self.r.get(self.keys.host_backoff(host))
        if value is None or float(value) <= time.time():
            return None
        return float(value)


def desynchronised_return(until: float, now: float, rng: random.Random | None = None) -> float:
    """When one feed of a backed-off host may come back: ``until`` plus a random share of the wait.

    The spread is half the remaining wait, at least 1 s and at most 1 h, drawn uniformly
    per feed ("full jitter"), so a host's feeds do not all return at ``until``.
    """
    rng = rng or random.Random()
    spread = min(3600.0, max(1.0, 0.5 * (until - now)))
    return until + rng.uniform(0.0, spread)
