"""Failed config reloads, recorded in Redis so ``/healthz`` and ``monitor status`` show them.

A worker whose edited ``topics.yaml`` or ``alerts.yaml`` no longer validates keeps the rules it
had, and the scheduler keeps its feeds when ``feeds.yaml`` breaks; both log the error once. The
daemon runs on, so nothing but the log said the edit was not in force. Each part (``rules`` in
the workers, ``feeds`` in the scheduler) records its last failure in one hash
(:meth:`monitor.keys.Keys.config_errors`) and clears its field when its files load again.
"""

from __future__ import annotations

import json
import os
import time
from typing import Literal

import redis
import structlog

from monitor.keys import Keys

log = structlog.get_logger(__name__)

Part = Literal["rules", "feeds"]


def record_reload(connection: redis.Redis, keys: Keys, part: Part, error: str | None) -> None:
    """Record a failed reload of ``part`` (``error``: the one-line config error, naming file and
    line), or clear it (``error`` None). Redis errors are logged, never raised: the reload's
    outcome stands whether or not it could be recorded."""
    try:
        if error is None:
            connection.hdel(keys.config_errors(), part)
        else:
            record = {"error": error, "at": time.time(), "pid": os.getpid()}
            connection.hset(keys.config_errors(), part, json.dumps(record, ensure_ascii=False))
    except redis.RedisError as exc:
        log.warning("config_error_not_recorded", part=part, error=str(exc))


def reload_errors(connection: redis.Redis, keys: Keys) -> dict[str, dict[str, object]]:
    """Part -> {"error", "at" (unix seconds), "pid"} of the reloads that failed and were not mended.

    Raises:
        redis.RedisError: Redis did not answer.
    """
    raw = connection.hgetall(keys.config_errors())
    out: dict[str, dict[str, object]] = {}
    for part, value in raw.items():
        name = part.decode() if isinstance(part, bytes) else part
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = {"error": str(value), "at": None, "pid": None}
    return out
