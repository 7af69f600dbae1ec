"""What ``monitor status`` reports: Redis, queues with depths, workers, failed jobs, feeds in error.

:func:`collect` returns one JSON-safe dict (the ``--json`` contract, documented in the README);
:func:`render_text` prints it for people.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from monitor.config import Config
from monitor.keys import QUEUES, Keys
from monitor.metrics import heartbeat_age, list_workers, queue_counts
from monitor.settings import Settings

RECENT_FAILED = 5  #: failed jobs listed per queue
ERROR_HEALTH = ("degraded", "failing", "disabled")  #: feed health values reported as "in error"


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (safe to print)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def redis_info(connection: redis.Redis, url: str) -> dict[str, Any]:
    """``{"ok", "url", "version", "uptime_seconds", "aof_enabled", "used_memory_bytes"}``.

    When Redis does not answer: ``{"ok": false, "url", "error"}``.
    """
    try:
        info = connection.info()
    except redis.RedisError as exc:
        return {"ok": False, "url": mask_url(url), "error": str(exc)}
    return {
        "ok": True,
        "url": mask_url(url),
        "version": info.get("redis_version"),
        "uptime_seconds": int(info.get("uptime_in_seconds", 0)),
        "aof_enabled": bool(int(info.get("aof_enabled", 0))),
        "used_memory_bytes": int(info.get("used_memory", 0)),
    }


def workers_info(connection: redis.Redis, keys: Keys, silent_after: float | None = None) -> list[dict[str, Any]]:
    """One dict per RQ worker on our queues: name, state, current job, host, pid, heartbeat, counts.
    A worker silent for over ``silent_after`` seconds is in state ``silent`` (likely dead: RQ keeps
    a killed worker registered for 8 minutes)."""
    out = []
    for w in sorted(list_workers(connection, keys), key=lambda w: w.name):
        silent = silent_after is not None and heartbeat_age(w) > silent_after
        out.append(
            {
                "name": w.name,
                "state": "silent" if silent else str(w.get_state()),
                "current_job": w.get_current_job_id(),
                "queues": [q.rsplit(":", 1)[-1] for q in w.queue_names()],
                "hostname": w.hostname,
                "pid": w.pid,
                "last_heartbeat": w.last_heartbeat.isoformat() if w.last_heartbeat else None,
                "successful_jobs": w.successful_job_count,
                "failed_jobs": w.failed_job_count,
            }
        )
    return out


def failed_jobs(connection: redis.Redis, keys: Keys) -> dict[str, Any]:
    """``{"count": n, "recent": [{"id", "queue", "function", "error"}]}`` over our queues."""
    count, recent = 0, []
    for name in QUEUES:
        registry = FailedJobRegistry(keys.queue(name), connection=connection, serializer=JSONSerializer)
        ids = registry.get_job_ids(desc=True)
        count += len(ids)
        for job in Job.fetch_many(ids[:RECENT_FAILED], connection=connection, serializer=JSONSerializer):
            if job is None:
                continue
            result = job.latest_result()
            exc = (result.exc_string or "") if result else (job.exc_info or "")
            lines = [ln for ln in exc.strip().splitlines() if ln.strip()]
            recent.append(
                {
                    "id": job.id,
                    "queue": name,
                    "function": job.func_name,
                    "error": lines[-1] if lines else None,
                }
            )
    return {"count": count, "recent": recent}


def feeds_info(connection: redis.Redis, keys: Keys, config: Config) -> dict[str, Any]:
    """Feed counts and the feeds in error (health ``degraded``, ``failing`` or ``disabled``).

    Returns:
        ``{"configured", "enabled", "in_error": [{"feed_id", "health", "error", "consecutive_errors"}]}``
    """
    from monitor.feedstate import FeedStateStore

    store = FeedStateStore(connection, keys, seen_retention=0)
    in_error = []
    for feed in config.feeds.feeds:
        state = store.load(feed.id)
        if state.health in ERROR_HEALTH:
            in_error.append(
                {
                    "feed_id": feed.id,
                    "health": state.health,
                    "error": state.last_error or state.disabled_reason,
                    "consecutive_errors": state.consecutive_errors,
                }
            )
    feeds = config.feeds.feeds
    return {"configured": len(feeds), "enabled": sum(f.enabled for f in feeds), "in_error": in_error}


def collect(
    connection: redis.Redis, settings: Settings, config: Config, config_error: str | None = None
) -> dict[str, Any]:
    """The whole status as one JSON-safe dict (see the README's "Service" section for the keys).

    ``config_error``: why the config folder does not load now (``config`` then holds what did);
    reported under ``config`` with the reloads the running processes failed.
    """
    from monitor.config_health import reload_errors

    keys = Keys(settings.key_prefix)
    info = redis_info(connection, settings.redis_url)
    data: dict[str, Any] = {"redis": info, "key_prefix": settings.key_prefix}
    if not info["ok"]:
        data["config"] = {"ok": config_error is None, "error": config_error, "reload_failed": {}}
        return data
    failed = reload_errors(connection, keys)
    data["config"] = {"ok": config_error is None and not failed, "error": config_error, "reload_failed": failed}
    data["queues"] = queue_counts(connection, keys)
    data["workers"] = workers_info(connection, keys, settings.worker_silent_after)
    data["failed_jobs"] = failed_jobs(connection, keys)
    data["feeds"] = feeds_info(connection, keys, config)
    return data


def render_text(data: dict[str, Any]) -> str:
    """Human-readable lines for :func:`collect`'s dict."""
    r = data["redis"]
    config = data.get("config", {"ok": True})
    config_lines = [] if config["ok"] else ["config: PROBLEM"]
    if config.get("error"):
        config_lines.append(f"  the files do not load now: {config['error']}")
    for part, failure in config.get("reload_failed", {}).items():
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(failure["at"])) if failure.get("at") else "?"
        config_lines.append(
            f"  {part}: a reload failed at {at} UTC (pid {failure.get('pid')}), still running on what it had: "
            f"{failure['error']}"
        )
    if not r["ok"]:
        return "\n".join([f"redis: {r['url']} NOT ANSWERING ({r['error']})", *config_lines])
    lines = [
        f"redis: {r['url']} v{r['version']} up {r['uptime_seconds']} s, "
        f"aof {'on' if r['aof_enabled'] else 'off'}",
        f"key prefix: {data['key_prefix']}",
        "queues:",
    ]
    for name, c in data["queues"].items():
        lines.append(
            f"  {name:8} queued {c['queued']:>5}  started {c['started']:>3}  scheduled {c['scheduled']:>3}"
            f"  failed {c['failed']:>4}"
        )
    lines.append(f"workers: {len(data['workers'])}")
    for w in data["workers"]:
        job = f" job {w['current_job']}" if w["current_job"] else ""
        if w["state"] == "silent":
            job += f": no heartbeat since {w['last_heartbeat']}, likely dead"
        lines.append(f"  {w['name']} {w['state']}{job} (pid {w['pid']} on {w['hostname']})")
    f = data["failed_jobs"]
    lines.append(f"failed jobs: {f['count']}")
    lines.extend(f"  {j['queue']} {j['id']} {j['function']}: {j['error']}" for j in f["recent"])
    feeds = data["feeds"]
    lines.append(
        f"feeds: {feeds['configured']} configured, {feeds['enabled']} enabled, "
        f"{len(feeds['in_error'])} in error"
    )
    lines.extend(f"  {e['feed_id']} ({e['health']}): {e['error']}" for e in feeds["in_error"])
    lines.append("config: ok" if config["ok"] else config_lines[0])
    lines.extend(config_lines[1:])
    return "\n".join(lines)
