"""Building the Redis client from settings (no module-level clients)."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from monitor.errors import ConfigError


def connect(url: str, *, check: bool = True) -> redis.Redis:
    """Return a Redis client for ``url`` that retries dropped connections with back-off.

    Commands retry 5 times (exponential back-off, capped at 2 s) on connection errors, so a
    Redis restart under a running process costs a pause, not a crash. The start-up check does
    not retry (:func:`check_answers`): a wrong or dead URL is reported at once, not after ~6 s
    of back-off.

    Raises:
        ConfigError: ``check`` is true and nothing answers at ``url`` (names MONITOR_REDIS_URL).
    """
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=5,
        socket_timeout=30,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), 5),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    if check:
        check_answers(url)
    return client


def probe_client(connection: redis.Redis, timeout: float = 2.0) -> redis.Redis:
    """A client to the same Redis as ``connection`` whose commands give up after ``timeout`` seconds.

    For health checks and metrics scrapes: the daemon's client waits up to 30 s a read and retries
    5 times, so ``/healthz`` hung for minutes on a frozen (SIGSTOPped, swapping) Redis, where a
    load balancer or a person needs an answer in seconds. No retries, same address, database and
    credentials.
    """
    kwargs = {k: v for k, v in connection.connection_pool.connection_kwargs.items()
              if not k.startswith(("orig_", "maint_notifications"))}
    kwargs.update(socket_timeout=timeout, socket_connect_timeout=timeout,
                  retry=Retry(NoBackoff(), 0), retry_on_error=[], health_check_interval=0)
    pool = redis.ConnectionPool(connection_class=connection.connection_pool.connection_class, **kwargs)
    return redis.Redis.from_pool(pool)  # close() closes the pool too


def check_answers(url: str, timeout: float = 5.0) -> None:
    """One PING to ``url`` without retries (connect and read bounded by ``timeout`` seconds).

    Raises:
        ConfigError: no answer, naming the URL and MONITOR_REDIS_URL.
    """
    probe = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        probe.ping()
    except (redis.ResponseError, redis.AuthenticationError) as exc:  # it answered and refused: no such db, a password
        raise ConfigError(f"Redis at {url} refused the connection (MONITOR_REDIS_URL): {exc}") from exc
    except redis.RedisError as exc:
        raise ConfigError(f"Redis at {url} is not answering (MONITOR_REDIS_URL): {exc}") from exc
    finally:
        probe.close()
