"""RQ job functions. Arguments are JSON-safe ids; each job loads, calls the stages, stores, enqueues.

Every enqueue says its ``job_timeout``, ``result_ttl``, ``failure_ttl`` and retry policy
(RQ would otherwise keep failed jobs for a year). Job ids are RQ's own UUIDs: dedup never
relies on job ids (case 24); it relies on keys claimed with ``SET NX`` / Lua.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import redis
import structlog
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from monitor.digest import Taken, new_batch_id
from monitor.keys import Keys
from monitor.model import Alert, Document, EntryInfo
from monitor.pipeline import Pipeline
from workers import context

log = structlog.get_logger(__name__)

DOCUMENT_TTL = 7 * 86400  #: how long a staged document waits for a worker (seconds)


def queue(connection: redis.Redis, keys: Keys, name: str) -> Queue:
    """The RQ queue ``name`` (``polls``, ``entries``, ``alerts``) under the key prefix, JSON-serialized."""
    return Queue(keys.queue(name), connection=connection, serializer=JSONSerializer)


def stage_document(connection: redis.Redis, keys: Keys, doc: Document) -> str:
    """Store ``doc`` in Redis for a worker and return its id (the job argument).

    A HASH: ``meta`` (JSON: source, content type, URL, entry) and ``content`` (the page's raw
    bytes; base64 in JSON cost ~2 ms a page to encode and decode, and a third more bytes).
    """
    import uuid

    doc_id = uuid.uuid4().hex
    meta = {"source": doc.source, "content_type": doc.content_type, "url": doc.url, "entry": doc.entry.__dict__}
    pipe = connection.pipeline(transaction=True)
    key = keys.staged_document(doc_id)
    pipe.hset(key, mapping={"meta": json.dumps(meta, ensure_ascii=False), "content": doc.content})
    pipe.expire(key, DOCUMENT_TTL)
    pipe.execute()
    return doc_id


def load_document(connection: redis.Redis, keys: Keys, doc_id: str) -> Document:
    """The document :func:`stage_document` stored under ``doc_id``.

    Raises:
        LookupError: nothing is staged under ``doc_id`` (expired or already processed).
    """
    key = keys.staged_document(doc_id)
    try:
        raw_meta, content = connection.hmget(key, ["meta", "content"])
    except redis.ResponseError:  # WRONGTYPE: staged before the HASH layout, as one JSON string
        raw_meta = connection.get(key)
        content = None
    if raw_meta is None:
        raise LookupError(f"staged document {doc_id} is gone (expired or already processed)")
    meta = json.loads(raw_meta)
    body = base64.b64decode(meta["content"]) if content is None else content
    assert isinstance(body, bytes)  # the client does not decode responses
    return Document(source=meta["source"], content=body, content_type=meta["content_type"], url=meta["url"],
                    entry=EntryInfo(**meta["entry"]))


def enqueue_document(connection: redis.Redis, keys: Keys, doc: Document, job_timeout: int) -> str:
    """Stage ``doc`` and enqueue :func:`process_document` on the ``entries`` queue; return the job id."""
    doc_id = stage_document(connection, keys, doc)
    job = queue(connection, keys, "entries").enqueue(
        process_document,
        doc_id,
        job_timeout=job_timeout,
        result_ttl=86400,
        failure_ttl=30 * 86400,
        retry=Retry(max=3, interval=[10, 60, 300]),
        description=f"process {doc.source}",
    )
    return str(job.id)


def process_document(doc_id: str) -> dict[str, Any]:
    """Process one staged document; record alerts; enqueue one delivery job per alert and channel.

    Returns:
        the ``replay --json`` object of the document (also the RQ job result).

    Raises:
        DocumentError: the document is bad (the job fails, naming it).
    """
    pipeline = context.get()
    keys, r = pipeline.keys, pipeline.connection
    doc = load_document(r, keys, doc_id)
    with structlog.contextvars.bound_contextvars(doc_id=doc_id, source=doc.source):
        outcome = pipeline.process(doc)
        enqueue_deliveries(pipeline, outcome.alerts)
    r.delete(keys.staged_document(doc_id))
    return outcome.to_json()


#: enqueue options of :func:`flush_digest` (a few Redis commands: short timeout, quick retries)
_FLUSH_OPTIONS: dict[str, Any] = {
    "job_timeout": 60,
    "result_ttl": 86400,
    "failure_ttl": 30 * 86400,
    "retry": Retry(max=3, interval=[10, 60, 300]),
}


def delivery_retry(pipeline: Pipeline) -> Retry:
    """Back-off of one channel's delivery: ``MONITOR_ALERT_RETRY_INTERVALS`` (seconds), a retry per entry."""
    intervals = list(pipeline.settings.alert_retry_intervals)
    return Retry(max=len(intervals), interval=intervals)


def _delivery_options(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "job_timeout": int(pipeline.settings.alert_timeout * 3) + 30,
        "result_ttl": 86400,
        "failure_ttl": 30 * 86400,
        "retry": delivery_retry(pipeline),
        "on_failure": Callback(delivery_failed),
    }


def enqueue_deliveries(pipeline: Pipeline, alerts: list[Alert]) -> None:
    """Enqueue one :func:`deliver_alert` job per alert and channel on the ``alerts`` queue.

    Separate jobs per channel: a slow or dead channel only delays its own job. Alerts of a
    digest rule are not sent one by one: the first of a digest window schedules
    :func:`flush_digest` for when the window closes (``digest_minutes``).
    """
    alerts_q = queue(pipeline.connection, pipeline.keys, "alerts")
    for alert in alerts:
        if alert.mode == "digest":
            _schedule_digests(pipeline, alerts_q, alert)
            continue
        enqueue_delivery(pipeline, alert, alert.channels, alerts_q)


def enqueue_delivery(
    pipeline: Pipeline, alert: Alert, channels: list[str], alerts_q: Queue | None = None
) -> list[str]:
    """Enqueue :func:`deliver_alert` for ``alert`` on each of ``channels``; return the job ids.

    Each channel is marked ``queued`` with its job id *before* the job is enqueued (the job
    id is RQ's own, known once the job is created), so a crash in between leaves a state the
    delivery reconciler (:mod:`monitor.outbox`) repairs, never a silent gap.
    """
    alerts_q = alerts_q or queue(pipeline.connection, pipeline.keys, "alerts")
    job_ids = []
    for channel in channels:
        job = new_delivery_job(pipeline, alerts_q, alert.id, channel)
        pipeline.outbox.mark_queued(alert.id, channel, job.id)
        alerts_q.enqueue_job(job)
        job_ids.append(str(job.id))
    return job_ids


def new_delivery_job(pipeline: Pipeline, alerts_q: Queue, alert_id: str, channel: str) -> Job:
    """A :func:`deliver_alert` job for ``alert_id`` and ``channel``, created but not yet enqueued."""
    options = _delivery_options(pipeline)
    return alerts_q.create_job(
        deliver_alert, args=(alert_id, channel), description=f"deliver alert {alert_id} to {channel}",
        timeout=options.pop("job_timeout"), **options,
    )


def _schedule_digests(pipeline: Pipeline, alerts_q: Queue, alert: Alert) -> None:
    rule = next((r for r in pipeline.alerts.rules if r.name == alert.rule), None)
    period = rule.digest_seconds if rule else 3600
    for channel in alert.channels:
        if pipeline.digests.claim_schedule(alert.rule, channel, period):
            alerts_q.enqueue_in(
                timedelta(seconds=period), flush_digest, alert.rule, channel,
                description=f"flush digest {alert.rule} to {channel}",
                **_FLUSH_OPTIONS,
            )
            log.info("digest_scheduled", rule=alert.rule, channel=channel, seconds=period)


def deliver_alert(alert_id: str, channel: str) -> str:
    """Deliver one recorded alert to one channel; raises so that RQ retries with back-off.

    The failure callback (:func:`delivery_failed`) records ``retrying: ...`` or, after the
    last retry, ``failed: ...`` on the alert.

    Raises:
        LookupError: the alert record is gone. DeliveryError: the channel refused it.
    """
    pipeline = context.get()
    alert = pipeline.alerts.get(alert_id)
    if alert is None:
        raise LookupError(f"alert {alert_id} not found")
    pipeline.deliver_one(alert, channel)
    return "delivered"


def flush_digest(rule: str, channel: str) -> int:
    """Close the digest window of ``rule``/``channel``: enqueue :func:`deliver_digest` for its alerts.

    Returns:
        how many alerts the digest holds (0 when the window is still open; then this job is
        scheduled again for when it closes).
    """
    pipeline = context.get()
    config = next((r for r in pipeline.alerts.rules if r.name == rule), None)
    if config is None:
        raise LookupError(f"alert rule {rule!r} is no longer in alerts.yaml")
    alerts_q = queue(pipeline.connection, pipeline.keys, "alerts")
    taken, _job_id = close_digest(pipeline, alerts_q, rule, channel, config.digest_seconds)
    if taken.wait_seconds:
        alerts_q.enqueue_in(
            timedelta(seconds=taken.wait_seconds), flush_digest, rule, channel,
            description=f"flush digest {rule} to {channel}",
            **_FLUSH_OPTIONS,
        )
        return 0
    return len(taken.alert_ids)


def new_digest_job(pipeline: Pipeline, alerts_q: Queue, rule: str, channel: str, batch_id: str) -> Job:
    """A :func:`deliver_digest` job for digest batch ``batch_id``, created but not yet enqueued."""
    options = _delivery_options(pipeline)
    return alerts_q.create_job(
        deliver_digest, args=(rule, channel, batch_id), description=f"deliver digest {rule} to {channel}",
        timeout=options.pop("job_timeout"), **options,
    )


def close_digest(
    pipeline: Pipeline, alerts_q: Queue, rule: str, channel: str, period_seconds: int
) -> tuple[Taken, str | None]:
    """Take the digest of ``rule``/``channel`` if its window has closed and enqueue its delivery job.

    The job is created first, so the take files the batch with the job's id in the same atomic
    step that empties the list; a crash before the enqueue leaves a batch whose job is missing,
    which the delivery reconciler (:mod:`monitor.outbox`) hands to a new job.

    Returns:
        (what was taken, the enqueued job id or None when nothing was taken).
    """
    batch_id = new_batch_id()
    job = new_digest_job(pipeline, alerts_q, rule, channel, batch_id)
    taken = pipeline.digests.take(rule, channel, period_seconds, batch_id=batch_id, job_id=job.id)
    if not taken.alert_ids:
        return taken, None
    alerts_q.enqueue_job(job)
    return taken, str(job.id)


def flush_closed_digests(pipeline: Pipeline) -> list[dict[str, Any]]:
    """Close every digest window whose time is up: one :func:`deliver_digest` job per rule and channel.

    The periodic backstop of :func:`flush_digest` (run by
    :func:`monitor.outbox.periodic_delivery_maintenance`):
    it uses the same atomic take, so a window is sent once whichever of them closes it.

    Returns:
        one ``{"rule", "channel", "alerts", "job_id"}`` per digest handed to a job.
    """
    alerts_q = queue(pipeline.connection, pipeline.keys, "alerts")
    out = []
    for rule in pipeline.alerts.rules:
        if rule.mode != "digest":
            continue
        for channel in rule.channels:
            taken, job_id = close_digest(pipeline, alerts_q, rule.name, channel, rule.digest_seconds)
            if job_id:
                row = {"rule": rule.name, "channel": channel, "alerts": len(taken.alert_ids), "job_id": job_id}
                out.append(row)
                log.info("digest_closed", **row)
    return out


def deliver_digest(rule: str, channel: str, batch: str | list[str]) -> int:
    """Send digest batch ``batch`` (:mod:`monitor.digest`) as one message to ``channel``, then settle it;
    raises so that RQ retries.

    ``batch`` is a list of alert ids in jobs enqueued before batches existed (sent, nothing to settle).

    Returns:
        how many alerts the message held (0 when the batch was already settled: nothing is sent).

    Raises:
        DeliveryError: the channel refused it.
    """
    pipeline = context.get()
    if isinstance(batch, list):
        return pipeline.send_digest(rule, channel, batch)
    found = pipeline.digests.batch(batch)
    if found is None:
        log.info("digest_batch_settled_already", rule=rule, channel=channel, batch_id=batch)
        return 0
    sent = pipeline.send_digest(rule, channel, found.alert_ids)
    pipeline.digests.settle(batch)
    return sent


def delivery_failed(job: Job, connection: redis.Redis, exc_type: type, exc: BaseException, tb: Any) -> None:
    """RQ failure callback of delivery jobs: record the failure on the alert(s), per channel.

    ``retrying: <reason>`` while retries are left, ``failed: <reason>`` after the last one
    (the alert then stays listed as undelivered until ``monitor alerts retry``).
    """
    pipeline = context.get()
    args = list(job.args)
    channel = args[1]
    alert_ids, batch_id = [args[0]], None
    if (job.func_name or "").endswith("deliver_digest"):
        alert_ids, batch_id = _digest_alert_ids(pipeline, args[2])
    if job.should_retry:
        state = f"retrying: {exc} ({job.retries_left} left)"
    else:
        state = f"failed: {exc}"
        if batch_id:
            pipeline.digests.settle(batch_id)  # failed for good, visibly: no longer the reconciler's
    for alert_id in alert_ids:
        if pipeline.alerts.get(alert_id) is not None:  # an expired alert gets no orphan delivery hash
            pipeline.alerts.set_delivery(alert_id, channel, state)
    log.warning("alert_delivery_failed", job_id=job.id, channel=channel, alert_ids=alert_ids, state=state)


def _digest_alert_ids(pipeline: Pipeline, batch: str | list[str]) -> tuple[list[str], str | None]:
    """(alert ids, batch id) of a deliver_digest job's third argument (a batch id, or a legacy id list)."""
    if isinstance(batch, list):
        return batch, None
    found = pipeline.digests.batch(batch)
    return (found.alert_ids if found else []), batch
