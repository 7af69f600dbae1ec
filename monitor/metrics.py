"""Prometheus metrics computed from Redis, so that every worker on every host counts into one place.

Workers are separate processes (and may run on other hosts), so prometheus-client's in-process
counters would each see a fraction. Its multiprocess mode needs one shared directory on one
host. Instead every process adds to one Redis hash (``Keys.metrics()``, HINCRBYFLOAT: atomic,
one round trip per event) and the ``/metrics`` endpoint turns that hash, plus live queue depths,
into Prometheus families with a custom collector (prometheus-client's documented
"custom collectors"). Counters survive daemon restarts; a Redis flush resets them, which
Prometheus handles as a counter reset.

Field format in the hash: ``<metric>|<label>=<value>,...`` for counters;
histograms add ``|le=<bucket>`` fields (non-cumulative counts), ``|sum`` and ``|count``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from monitor.keys import QUEUES, Keys

#: Histogram buckets (seconds), prometheus-client's defaults extended to the 180 s job timeout.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0)

COUNTERS = {
    "polls": "Feed polls by outcome.",
    "entries": "Feed entries (and replayed documents) processed.",
    "items": "Items stored (new articles, including near-duplicates of a known story), by dedup kind.",
    "duplicates": "Documents recognised as a repeat of an earlier item, by dedup kind.",
    "alerts": "Alerts recorded, by rule.",
    "deliveries": "Alert deliveries by channel and outcome.",
    "jobs": "RQ jobs finished, by queue, function and outcome.",
}
HISTOGRAMS = {
    "fetch_seconds": "Latency of HTTP fetches (feeds and pages), seconds.",
    "job_duration_seconds": "Duration of RQ jobs, seconds.",
}


def _field(name: str, labels: Mapping[str, str], *extra: str) -> str:
    parts = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return "|".join((name, parts, *extra))


class MetricsRecorder:
    """Adds events to the shared metrics hash. Cheap: one Redis command per call.

    Args:
        connection: Redis client. keys: key builder of this deployment.
    """

    def __init__(self, connection: redis.Redis, keys: Keys) -> None:
        self._r = connection
        self._key = keys.metrics()

    def inc(self, name: str, labels: Mapping[str, str] | None = None, amount: float = 1.0) -> None:
        """Add ``amount`` to counter ``name`` (one of :data:`COUNTERS`) with ``labels``."""
        self._r.hincrbyfloat(self._key, _field(name, labels or {}), amount)

    def observe(self, name: str, seconds: float, labels: Mapping[str, str] | None = None) -> None:
        """Record one observation (seconds) of histogram ``name`` (one of :data:`HISTOGRAMS`)."""
        labels = labels or {}
        bucket = next((str(b) for b in BUCKETS if seconds <= b), "+Inf")
        pipe = self._r.pipeline(transaction=False)
        pipe.hincrbyfloat(self._key, _field(name, labels, f"le={bucket}"), 1)
        pipe.hincrbyfloat(self._key, _field(name, labels, "sum"), seconds)
        pipe.hincrbyfloat(self._key, _field(name, labels, "count"), 1)
        pipe.execute()

    def job_finished(self, queue: str, func: str, ok: bool, seconds: float, result: Any, args: tuple) -> None:
        """Count one finished RQ job and what its result says (items, duplicates, alerts, deliveries)."""
        outcome = "succeeded" if ok else "failed"
        short = func.rsplit(".", 1)[-1]
        self.inc("jobs", {"queue": queue, "function": short, "outcome": outcome})
        self.observe("job_duration_seconds", seconds, {"queue": queue, "function": short})
        if short in ("process_entry", "process_document") and ok and isinstance(result, dict):
            self._count_item(result)
        elif short == "deliver_alert" and len(args) >= 2:
            self.inc("deliveries", {"channel": str(args[1]), "outcome": "delivered" if ok else "failed"})
        elif short.startswith("poll"):
            self._count_poll(ok, result)

    def _count_item(self, result: Mapping[str, Any]) -> None:
        self.inc("entries")
        kind = str(result.get("dedup", "new"))
        if result.get("duplicate_of"):
            self.inc("duplicates", {"kind": kind})
        if kind != "url":
            self.inc("items", {"dedup": kind})
        for rule in result.get("alerts", []) or []:
            self.inc("alerts", {"rule": str(rule)})

    def _count_poll(self, ok: bool, result: Any) -> None:
        """Poll outcome from ``workers.polls.poll_feed``'s summary: ok, not_modified, skipped, error."""
        if not ok or not isinstance(result, dict):
            self.inc("polls", {"outcome": "error" if not ok else "ok"})
            return
        if result.get("skipped"):
            outcome = "skipped"
        elif result.get("error"):
            outcome = "error"
        elif result.get("status") == 304:
            outcome = "not_modified"
        else:
            outcome = "ok"
        self.inc("polls", {"outcome": outcome})
        if not result.get("skipped") and isinstance(result.get("duration"), int | float):
            self.observe("fetch_seconds", float(result["duration"]), {"kind": "feed"})


def _parse(raw: Mapping[Any, Any]) -> dict[str, dict[tuple[tuple[str, str], ...], dict[str, float]]]:
    """metric -> labels -> {"value"|"le=..."|"sum"|"count": number}."""
    out: dict[str, dict[tuple[tuple[str, str], ...], dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for field, value in raw.items():
        name, labels, *extra = (field.decode() if isinstance(field, bytes) else str(field)).split("|")
        pairs = tuple(tuple(p.split("=", 1)) for p in labels.split(",") if p)
        out[name][pairs][extra[0] if extra else "value"] = float(value)  # type: ignore[index]
    return out


class RedisCollector(Collector):
    """prometheus-client collector reading the shared hash and live queue/worker state at scrape time."""

    def __init__(self, connection: redis.Redis, keys: Keys) -> None:
        self._r = connection
        self._keys = keys

    def collect(self) -> Iterator[Any]:
        data = _parse(self._r.hgetall(self._keys.metrics()))
        for name, doc in COUNTERS.items():
            series = data.get(name, {})
            names = sorted({k for labels in series for k, _ in labels})
            fam = CounterMetricFamily(f"monitor_{name}", doc, labels=names)
            for labels, values in sorted(series.items()):
                d = dict(labels)
                fam.add_metric([d.get(n, "") for n in names], values.get("value", 0.0))
            yield fam
        for name, doc in HISTOGRAMS.items():
            yield self._histogram(name, doc, data.get(name, {}))
        yield from self._live()

    @staticmethod
    def _histogram(name: str, doc: str, series: Mapping[Any, dict[str, float]]) -> HistogramMetricFamily:
        names = sorted({k for labels in series for k, _ in labels})
        fam = HistogramMetricFamily(f"monitor_{name}", doc, labels=names)
        for labels, values in sorted(series.items()):
            d = dict(labels)
            running, buckets = 0.0, []
            for b in [*map(str, BUCKETS), "+Inf"]:
                running += values.get(f"le={b}", 0.0)
                buckets.append((b, running))
            fam.add_metric([d.get(n, "") for n in names], buckets, values.get("sum", 0.0))
        return fam

    def _live(self) -> Iterator[Any]:
        depth = GaugeMetricFamily(
            "monitor_queue_depth", "Jobs per queue and state, now.", labels=["queue", "state"]
        )
        for name, counts in queue_counts(self._r, self._keys).items():
            for state, n in counts.items():
                depth.add_metric([name, state], n)
        yield depth
        workers = GaugeMetricFamily("monitor_workers", "RQ workers registered on our queues, now.")
        workers.add_metric([], len(list_workers(self._r, self._keys)))
        yield workers


def queue_counts(connection: redis.Redis, keys: Keys) -> dict[str, dict[str, int]]:
    """Queue short name -> {queued, started, scheduled, deferred, failed, finished}: job counts now."""
    out = {}
    for name in QUEUES:
        q = Queue(keys.queue(name), connection=connection, serializer=JSONSerializer)
        out[name] = {
            "queued": q.count,
            "started": q.started_job_registry.count,
            "scheduled": q.scheduled_job_registry.count,
            "deferred": q.deferred_job_registry.count,
            "failed": q.failed_job_registry.count,
            "finished": q.finished_job_registry.count,
        }
    return out


def list_workers(connection: redis.Redis, keys: Keys, silent_after: float | None = None) -> list[Worker]:
    """RQ workers serving at least one of our queues; with ``silent_after`` (seconds), only those
    whose last heartbeat is at most that old (a SIGKILLed worker stays registered for 8 minutes)."""
    ours = {keys.queue(n) for n in QUEUES}
    seen: dict[str, Any] = {}
    for name in QUEUES:
        q = Queue(keys.queue(name), connection=connection, serializer=JSONSerializer)
        for w in Worker.all(queue=q):
            if ours & set(w.queue_names()):
                seen[w.name] = w
    if silent_after is not None:
        return [w for w in seen.values() if heartbeat_age(w) <= silent_after]
    return list(seen.values())


def heartbeat_age(worker: Worker) -> float:
    """Seconds since ``worker``'s last heartbeat (infinite when it never sent one)."""
    if worker.last_heartbeat is None:
        return math.inf
    beat = worker.last_heartbeat
    beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
    return (datetime.now(UTC) - beat).total_seconds()


def render(connection: redis.Redis, keys: Keys) -> bytes:
    """The Prometheus text exposition of every metric (what ``/metrics`` serves)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(connection, keys))
    return generate_latest(registry)
