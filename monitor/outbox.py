"""Delivery outbox: every recorded alert reaches a delivery job, even when a worker dies in between.

The alert recorder's Lua script puts each new (or escalated) immediate alert in the
deliveries-due sorted set (``Keys.deliveries_due``, score: epoch seconds) in the same step that
records it. Handing a channel to an RQ delivery job (:meth:`DeliveryOutbox.mark_queued`) sets the
channel ``queued`` and stores the job id (``Keys.alert_delivery_jobs``) *before* the job is
enqueued; the alert leaves the set when its last channel settles (``delivered`` / ``failed`` /
``digest``, see :meth:`monitor.alerts.AlertRecorder.set_delivery`).

So after any crash an unsettled alert is either in the set with a channel ``pending`` (the worker
died between recording and enqueueing: the job re-run sees a duplicate item and enqueues
nothing), or ``queued``/``retrying`` with a job id whose job is missing (lost with Redis data or
deleted) or ended without delivering (``failed`` by RQ's abandoned-job handling, which runs no
failure callback, or stopped/canceled). :func:`reconcile_deliveries` finds those after a grace
period (``MONITOR_DELIVERY_GRACE_SECONDS``) and enqueues delivery for exactly those channels. A
channel whose job is queued, started, scheduled (waiting for a retry) or deferred is left alone,
so the normal path is never doubled; a started job whose worker died is handed back by
:mod:`monitor.reclaim`, not here.

:func:`periodic_delivery_maintenance` (run by every worker serving the ``alerts`` queue, in its RQ
maintenance, and by ``monitor alerts reconcile``) runs the reconciler and also closes digest
windows whose scheduled flush job never ran. Taken digests get the same guarantee as alerts
(:func:`reconcile_digest_batches`): a digest batch whose ``deliver_digest`` job is lost is handed
to a new job, once, and still sent as one message.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis
import structlog
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from monitor.alerts import unsettled
from monitor.keys import Keys

log = structlog.get_logger(__name__)

MAX_REQUEUES = 3  #: lost delivery jobs of one channel before it is marked failed (no endless loop)
LOCK_SECONDS = 60  #: lifetime of the reconciler lock (a pass takes milliseconds; a dead holder frees it)
BATCH = 500  #: due alerts looked at per pass (the oldest first)

#: job statuses that will still deliver (or are being handed back by monitor.reclaim)
LIVE = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})

# KEYS[1] delivery hash ; KEYS[2] jobs hash ; KEYS[3] due set
# ARGV[1] channel ; ARGV[2] expected job id ('' none) ; ARGV[3] new job id ; ARGV[4] now ; ARGV[5] alert id ;
# ARGV[6] ttl. Claims the channel for a new job when nobody changed it since it was looked at.
# Returns the channel's requeue count after the claim, or -1 when the claim lost (state or job changed).
_CLAIM = """
if (redis.call('HGET', KEYS[2], ARGV[1]) or '') ~= ARGV[2] then return -1 end
local st = redis.call('HGET', KEYS[1], ARGV[1])
if not st or not (st == 'pending' or st == 'queued' or string.sub(st, 1, 8) == 'retrying') then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], 'queued')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local n = redis.call('HINCRBY', KEYS[2], 'requeues:' .. ARGV[1], 1)
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
return n
"""


class DeliveryOutbox:
    """The Redis side of the outbox: due set, delivery job ids, claims, the reconciler lock.

    Args:
        connection: Redis client. keys: key builder. ttl_seconds: alert retention (the job-id hash
        lives as long as the alert).
    """

    def __init__(self, connection: redis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._r = connection
        self._keys = keys
        self._ttl = ttl_seconds
        self._claim = connection.register_script(_CLAIM)

    def mark_queued(self, alert_id: str, channel: str, job_id: str) -> None:
        """Record that ``job_id`` (created, not yet enqueued) will deliver ``alert_id`` to ``channel``.

        Called before the job is enqueued: a crash in between leaves ``queued`` with a missing
        job, which the reconciler repairs. Resets the channel's requeue count.
        """
        k = self._keys
        with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(k.alert_delivery(alert_id), channel, "queued")
            pipe.hset(k.alert_delivery_jobs(alert_id), channel, job_id)
            pipe.hdel(k.alert_delivery_jobs(alert_id), f"requeues:{channel}")
            pipe.expire(k.alert_delivery_jobs(alert_id), self._ttl)
            pipe.zadd(k.deliveries_due(), {alert_id: time.time()})
            pipe.execute()

    def claim_requeue(self, alert_id: str, channel: str, expected_job: str, new_job: str) -> int | None:
        """Atomically hand ``channel`` from ``expected_job`` ('' for none) to ``new_job``.

        Returns:
            the channel's requeue count including this one, or None when the state or job id
            changed since it was read (someone else handled it: do not enqueue).
        """
        k = self._keys
        n = int(
            self._claim(
                keys=[k.alert_delivery(alert_id), k.alert_delivery_jobs(alert_id), k.deliveries_due()],
                args=[channel, expected_job, new_job, time.time(), alert_id, self._ttl],
            )
        )
        return None if n < 0 else n

    def due(self, before: float, limit: int = BATCH) -> list[str]:
        """Ids of unsettled alerts recorded or handed to a job at or before ``before`` (epoch seconds),
        oldest first."""
        raw: Any = self._r.zrangebyscore(self._keys.deliveries_due(), "-inf", before, start=0, num=limit)
        return [m.decode() if isinstance(m, bytes) else m for m in raw]

    def jobs(self, alert_id: str) -> dict[str, str]:
        """Channel -> delivery job id (and ``requeues:<channel>`` -> count) of one alert."""
        raw: Any = self._r.hgetall(self._keys.alert_delivery_jobs(alert_id))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def forget(self, alert_id: str) -> None:
        """Take an alert out of the due set (expired, or nothing left unsettled)."""
        self._r.zrem(self._keys.deliveries_due(), alert_id)

    def count_due(self) -> int:
        """How many alerts have a channel not yet settled."""
        return int(self._r.zcard(self._keys.deliveries_due()))

    def acquire(self) -> str | None:
        """Take the reconciler lock (one pass at a time across all workers); its token, or None."""
        token = uuid.uuid4().hex
        ok = self._r.set(self._keys.deliveries_reconcile_lock(), token, nx=True, ex=LOCK_SECONDS)
        return token if ok else None

    def release(self, token: str) -> None:
        """Drop the reconciler lock if ``token`` still holds it."""
        key = self._keys.deliveries_reconcile_lock()
        if self._r.get(key) == token.encode():
            self._r.delete(key)


def job_status(connection: redis.Redis, job_id: str | None) -> JobStatus | None:
    """Status of RQ job ``job_id``; None when there is no id or the job is gone from Redis."""
    if not job_id:
        return None
    try:
        return Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status(refresh=False)
    except NoSuchJobError:
        return None


@dataclass
class Report:
    """What one maintenance pass did (``monitor alerts reconcile --json`` prints it)."""

    skipped: bool = False  #: another process held the reconciler lock
    checked: int = 0  #: due alerts looked at
    requeued: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    digests: list[dict[str, Any]] = field(default_factory=list)
    #: taken digests whose delivery job was lost: ``action`` ``requeued`` (new job) or ``failed``
    digest_batches: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON-safe object (the ``--json`` output contract)."""
        return {"skipped": self.skipped, "checked": self.checked, "requeued": self.requeued,
                "failed": self.failed, "digests": self.digests, "digest_batches": self.digest_batches}


def reconcile_deliveries(pipeline: Any, *, now: float | None = None, report: Report | None = None) -> Report:
    """Enqueue delivery for channels of alerts due longer than the grace period with no live job.

    Args:
        pipeline: the process's :class:`monitor.pipeline.Pipeline`.
        now: epoch seconds to judge the grace period by (default: the clock).

    Returns:
        :class:`Report`: ``requeued`` (alert_id, channel, job_id, previous_job, previous_status)
        and ``failed`` (channels whose job was lost :data:`MAX_REQUEUES` times, marked
        ``failed: ...`` so they list as undelivered; ``monitor alerts retry`` sends them).

    Raises:
        redis.RedisError: Redis is unreachable (the caller logs it and tries next time).
    """
    from workers.jobs import new_delivery_job, queue

    report = report or Report()
    outbox: DeliveryOutbox = pipeline.outbox
    token = outbox.acquire()
    if token is None:
        report.skipped = True
        return report
    try:
        cutoff = (time.time() if now is None else now) - pipeline.settings.delivery_grace_seconds
        alerts_q = queue(pipeline.connection, pipeline.keys, "alerts")
        for alert_id in outbox.due(cutoff):
            report.checked += 1
            states = pipeline.alerts.deliveries(alert_id)
            open_channels = [ch for ch, state in states.items() if unsettled(state)]
            if pipeline.alerts.get(alert_id) is None or not open_channels:
                outbox.forget(alert_id)
                continue
            jobs = outbox.jobs(alert_id)
            for channel in open_channels:
                previous = jobs.get(channel, "")
                status = job_status(pipeline.connection, previous)
                if status in LIVE:
                    continue
                seen = {"alert_id": alert_id, "channel": channel, "previous_job": previous or None,
                        "previous_status": status.value if status else "missing"}
                if int(jobs.get(f"requeues:{channel}", 0)) >= MAX_REQUEUES:
                    reason = f"failed: delivery job lost after {MAX_REQUEUES} requeues"
                    reason += f" ({seen['previous_status']})"
                    pipeline.alerts.set_delivery(alert_id, channel, reason)
                    report.failed.append(seen)
                    log.error("alert_delivery_lost_for_good", **seen)
                    continue
                job = new_delivery_job(pipeline, alerts_q, alert_id, channel)
                if outbox.claim_requeue(alert_id, channel, previous, job.id) is None:
                    continue
                alerts_q.enqueue_job(job)
                report.requeued.append({**seen, "job_id": job.id})
                log.warning("alert_delivery_requeued", job_id=job.id, **seen)
        reconcile_digest_batches(pipeline, cutoff, report)
    finally:
        outbox.release(token)
    return report


def reconcile_digest_batches(pipeline: Any, cutoff: float, report: Report) -> None:
    """Hand taken digests whose delivery job is gone to a new job (the caller holds the reconciler lock).

    A batch (:mod:`monitor.digest`) handed to its job at or before ``cutoff`` (epoch seconds) whose
    job is queued, started, scheduled or deferred is left alone; otherwise (no job, a job gone from
    Redis, a job ended without settling the batch) one new :func:`workers.jobs.deliver_digest` job
    sends the same alerts as one message, claimed atomically. After :data:`MAX_REQUEUES` lost jobs
    its alerts are marked ``failed: digest job lost ...`` for the channel and the batch is dropped.
    Rows go to ``report.digest_batches``.
    """
    from workers.jobs import new_digest_job, queue

    store = pipeline.digests
    alerts_q = queue(pipeline.connection, pipeline.keys, "alerts")
    for batch_id in store.due(cutoff):
        batch = store.batch(batch_id)
        if batch is None:  # settled meanwhile, or expired with its alerts
            store.settle(batch_id)
            continue
        status = job_status(pipeline.connection, batch.job)
        if status in LIVE:
            continue
        seen = {"batch_id": batch_id, "rule": batch.rule, "channel": batch.channel, "alerts": len(batch.alert_ids),
                "previous_job": batch.job or None, "previous_status": status.value if status else "missing"}
        if batch.requeues >= MAX_REQUEUES:
            state = f"failed: digest job lost after {MAX_REQUEUES} requeues ({seen['previous_status']})"
            for alert_id in batch.alert_ids:
                if pipeline.alerts.get(alert_id) is not None:
                    pipeline.alerts.set_delivery(alert_id, batch.channel, state)
            store.settle(batch_id)
            report.digest_batches.append({**seen, "action": "failed"})
            log.error("digest_delivery_lost_for_good", **seen)
            continue
        job = new_digest_job(pipeline, alerts_q, batch.rule, batch.channel, batch_id)
        if store.claim_requeue(batch_id, batch.job, job.id) is None:
            continue
        alerts_q.enqueue_job(job)
        report.digest_batches.append({**seen, "action": "requeued", "job_id": job.id})
        log.warning("digest_delivery_requeued", job_id=job.id, **seen)


def periodic_delivery_maintenance(pipeline: Any, *, now: float | None = None) -> Report:
    """One maintenance pass: :func:`reconcile_deliveries`, then close every digest window that is due.

    A digest window normally closes by its scheduled ``flush_digest`` job; this also closes one
    whose job was lost (or never scheduled, the worker having died after recording), through the
    same atomic take, so a window is sent once whichever closes it. Digest alerts themselves are
    never re-enqueued one by one (their state stays ``digest``).

    Raises:
        redis.RedisError: Redis is unreachable.
    """
    from workers.jobs import flush_closed_digests

    report = reconcile_deliveries(pipeline, now=now)
    report.digests = flush_closed_digests(pipeline)
    return report
