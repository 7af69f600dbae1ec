"""RQ job functions. Arguments are JSON-safe ids; each job loads, calls the stages, stores, enqueues.

Every enqueue says its ``job_timeout``, ``result_ttl``, ``failure_ttl`` and retry policy
(RQ would otherwise keep failed jobs for a year). Job ids are RQ's own UUIDs: dedup never
relies on job ids (case 24); it relies on keys claimed with ``SET NX`` / Lua.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import redis
import structlog
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from monitor.keys import Keys
from monitor.model import Alert, Document, EntryInfo
from monitor.pipeline import Pipeline
from workers import context

log = structlog.get_logger(__name__)

DOCUMENT_TTL = 7 * 86400  #: how long a staged document waits for a worker (seconds)
DELIVERY_RETRY = Retry(max=6, interval=[10, 30, 60, 300, 900, 3600])  #: back-off for channels (seconds)


def queue(connection: redis.Redis, keys: Keys, name: str) -> Queue:
    """The RQ queue ``name`` (``polls``, ``entries``, ``alerts``) under the key prefix, JSON-serialized."""
    return Queue(keys.queue(name), connection=connection, serializer=JSONSerializer)


def stage_document(connection: redis.Redis, keys: Keys, doc: Document) -> str:
    """Store ``doc`` in Redis for a worker and return its id (the job argument)."""
    import uuid

    doc_id = uuid.uuid4().hex
    payload = {
        "source": doc.source,
        "content": base64.b64encode(doc.content).decode("ascii"),
        "content_type": doc.content_type,
        "url": doc.url,
        "entry": doc.entry.__dict__,
    }
    connection.set(keys.staged_document(doc_id), json.dumps(payload, ensure_ascii=False), ex=DOCUMENT_TTL)
    return doc_id


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
    raw = r.get(keys.staged_document(doc_id))
    if raw is None:
        raise LookupError(f"staged document {doc_id} is gone (expired or already processed)")
    data = json.loads(raw)
    doc = Document(
        source=data["source"],
        content=base64.b64decode(data["content"]),
        content_type=data["content_type"],
        url=data["url"],
        entry=EntryInfo(**data["entry"]),
    )
    with structlog.contextvars.bound_contextvars(doc_id=doc_id, source=doc.source):
        outcome = pipeline.process(doc)
        enqueue_deliveries(pipeline, outcome.alerts)
    r.delete(keys.staged_document(doc_id))
    return outcome.to_json()


def enqueue_deliveries(pipeline: Pipeline, alerts: list[Alert]) -> None:
    """Enqueue one :func:`deliver_alert` job per alert and channel on the ``alerts`` queue."""
    alerts_q = queue(pipeline.connection, pipeline.keys, "alerts")
    for alert in alerts:
        for channel in alert.channels:
            alerts_q.enqueue(
                deliver_alert, alert.id, channel,
                job_timeout=60, result_ttl=86400, failure_ttl=30 * 86400, retry=DELIVERY_RETRY,
                description=f"deliver alert {alert.id} to {channel}",
            )


def deliver_alert(alert_id: str, channel: str) -> str:
    """Deliver one recorded alert to one channel; raises so that RQ retries with back-off.

    Raises:
        LookupError: the alert record is gone. DeliveryError: the channel refused it.
    """
    pipeline = context.get()
    alert = pipeline.alerts.get(alert_id)
    if alert is None:
        raise LookupError(f"alert {alert_id} not found")
    try:
        pipeline.notifier.deliver(alert, channel)
    except Exception as exc:
        pipeline.alerts.set_delivery(alert_id, channel, f"failed: {exc}")
        raise
    pipeline.alerts.set_delivery(alert_id, channel, "delivered")
    return "delivered"
