"""Handing back jobs whose worker died or was stopped (case 21: a killed worker must not lose a job).

RQ 2.x (checked in rq 2.12 ``registry.StartedJobRegistry.cleanup`` and ``worker.base``) finds an
abandoned job only when its StartedJobRegistry entry expires (the last heartbeat plus
``job_monitoring_interval`` + 60 s) *and* some worker runs its maintenance (every
``maintenance_interval``, 10 min by default); it then retries it (``job.retry``) or moves it to
the FailedJobRegistry with an ``AbandonedJobError``. That is correct but slow. We add:

* :func:`reclaim_worker_jobs`: the supervisor of ``monitor run`` knows at once when one of its
  workers died (or was stopped cold after the grace period) and hands its job back right away;
* :func:`reconcile`: a periodic pass (supervisor and every worker's maintenance) that runs RQ's
  own registry clean-up on our queues and hands back jobs whose worker has disappeared from Redis.

A job handed back because its worker *crashed* counts an attempt (``job.meta["abandoned"]``);
after :data:`MAX_ABANDONED` such attempts it goes to the FailedJobRegistry with a reason naming
the worker, so a document that kills its worker is not retried forever. A job handed back by a
deliberate stop counts nothing. Jobs are idempotent (dedup keys and once-per-story alerts), so a
re-run after a kill mid-job gives no second item or alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
import structlog
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry, clean_registries
from rq.serializers import JSONSerializer
from rq.utils import as_text, parse_composite_key

from monitor.keys import QUEUES, Keys

log = structlog.get_logger(__name__)

MAX_ABANDONED = 3  #: crashes of a job's worker before the job is failed for good


@dataclass(frozen=True)
class StartedEntry:
    """One StartedJobRegistry entry: which job, which execution, on which worker."""

    queue: str
    job_id: str
    execution_id: str
    worker_name: str

    @property
    def composite(self) -> str:
        return f"{self.job_id}:{self.execution_id}"


def started_entries(connection: redis.Redis, keys: Keys) -> list[StartedEntry]:
    """Every job execution currently registered as started on our queues."""
    out = []
    for name in QUEUES:
        qname = keys.queue(name)
        registry = StartedJobRegistry(qname, connection=connection, serializer=JSONSerializer)
        members: Any = connection.zrange(registry.key, 0, -1)
        for raw in members:
            composite = as_text(raw)
            if ":" not in composite:
                continue
            job_id, execution_id = parse_composite_key(composite)
            worker = connection.hget(f"rq:execution:{composite}", "worker_name")
            out.append(StartedEntry(qname, job_id, execution_id, as_text(worker) if worker else ""))
    return out


def hand_back(connection: redis.Redis, entry: StartedEntry, *, crashed: bool, reason: str) -> str:
    """Take ``entry`` out of the StartedJobRegistry and put its job back on its queue (at the front).

    Args:
        crashed: the worker died (counts an attempt) rather than being stopped on purpose.
        reason: words for the log and, when the job is failed for good, for its failure record.

    Returns:
        ``requeued``, ``failed`` (too many crashes), ``gone`` (job hash expired) or ``taken``
        (another process handled the entry first: the ZREM is the claim).
    """
    registry = StartedJobRegistry(entry.queue, connection=connection, serializer=JSONSerializer)
    if not connection.zrem(registry.key, entry.composite):
        return "taken"
    connection.delete(f"rq:execution:{entry.composite}")
    connection.zrem(f"rq:executions:{entry.job_id}", entry.execution_id)
    try:
        job = Job.fetch(entry.job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return "gone"
    if job.get_status(refresh=True) in (JobStatus.FINISHED, JobStatus.FAILED):
        return "taken"
    if crashed:
        job.meta["abandoned"] = int(job.meta.get("abandoned", 0)) + 1
        job.save_meta()
        if job.meta["abandoned"] > MAX_ABANDONED:
            return _fail(connection, job, entry, reason)
    job.started_at = None
    job.ended_at = None
    job.save()
    Queue(job.origin, connection=connection, serializer=JSONSerializer).enqueue_job(job, at_front=True)
    log.warning(
        "job_handed_back",
        job_id=job.id,
        queue=entry.queue,
        worker=entry.worker_name,
        crashed=crashed,
        reason=reason,
        abandoned=job.meta.get("abandoned", 0),
    )
    return "requeued"


def _fail(connection: redis.Redis, job: Job, entry: StartedEntry, reason: str) -> str:
    exc_string = (
        f"AbandonedJobError: worker {entry.worker_name} died {job.meta['abandoned']} times "
        f"running this job ({reason})"
    )
    with connection.pipeline() as pipe:
        job.set_status(JobStatus.FAILED, pipeline=pipe)
        FailedJobRegistry(entry.queue, connection=connection, serializer=JSONSerializer).add(
            job, ttl=job.failure_ttl, exc_string=exc_string, pipeline=pipe
        )
        pipe.execute()
    log.error(
        "job_abandoned_for_good", job_id=job.id, queue=entry.queue, worker=entry.worker_name, reason=reason
    )
    return "failed"


def reclaim_worker_jobs(connection: redis.Redis, keys: Keys, worker_name: str, *, crashed: bool) -> list[str]:
    """Hand back every job the worker ``worker_name`` had started (it is known to be dead).

    Returns:
        the ids of the jobs put back on their queues.
    """
    reason = f"worker {worker_name} {'died' if crashed else 'was stopped'} during the job"
    done = []
    for entry in started_entries(connection, keys):
        if (
            entry.worker_name == worker_name
            and hand_back(connection, entry, crashed=crashed, reason=reason) == "requeued"
        ):
            done.append(entry.job_id)
    return done


def reconcile(connection: redis.Redis, keys: Keys) -> list[str]:
    """One reconciler pass over our queues; returns the ids of jobs put back.

    Runs RQ's registry clean-up (expired started entries: retry or AbandonedJobError), then hands
    back started jobs whose worker no longer exists in Redis (it deregistered on a cold stop, or
    its key expired after missed heartbeats) while the execution record is still there.
    """
    for name in QUEUES:
        clean_registries(Queue(keys.queue(name), connection=connection, serializer=JSONSerializer))
    done = []
    for entry in started_entries(connection, keys):
        if not entry.worker_name:
            continue
        if (
            not connection.exists(f"rq:worker:{entry.worker_name}")
            and hand_back(
                connection, entry, crashed=True, reason=f"worker {entry.worker_name} vanished from Redis"
            )
            == "requeued"
        ):
            done.append(entry.job_id)
    return done
