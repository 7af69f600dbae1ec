"""Building the Redis client from settings (no module-level clients)."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from monitor.errors import ConfigError


def connect(url: str, *, check: bool = True) -> redis.Redis:
    """Return a Redis client for ``url`` that retries dropped connections with back-off.

    Commands retry 5 times (exponential back-off, capped at 2 s) on connection errors, so a
    Redis restart under a running process costs a pause, not a crash.

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
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ConfigError(f"Redis at {url} is not answering (MONITOR_REDIS_URL): {exc}") from exc
    return client
