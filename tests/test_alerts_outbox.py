"""An alert recorded is delivered even when the worker dies before enqueueing its delivery job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from monitor.extract import read_document
from monitor.keys import Keys
from monitor.outbox import MAX_REQUEUES, periodic_delivery_maintenance, reconcile_deliveries
from monitor.pipeline import Pipeline
from monitor.rqworker import MonitorWorker
from tests.alert_support import SEED, TITLE, Receiver, config_dir, make_pipeline, run_alert_jobs
from tests.helpers import json_lines, run_monitor
from tests.test_alerts_delivery import RULE as DELIVERY_RULE
from tests.test_alerts_digest import DIGEST, story
from workers.jobs import enqueue_deliveries

pytestmark = pytest.mark.integration

#: The delivery tests' webhook rule, without their extra lines.
RULE = DELIVERY_RULE.replace("{extra}", "")

LATER = 10**6  #: seconds added to the clock to judge the grace period "long past"



def crashed_after_recording(pipeline: Pipeline) -> str:
    """Process the seed as a worker that dies right after the record step: no delivery job; its alert id."""
    [alert] = pipeline.process(read_document(SEED, 10**7)).alerts
    return alert.id


def test_alert_left_pending_by_a_dead_worker_is_delivered_once_after_the_grace_period(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """Recorded, never enqueued: untouched within the grace period, then one job and one POST;
    a second pass adds none."""
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client)
    alert_id = crashed_after_recording(pipeline)
    assert pipeline.process(read_document(SEED, 10**7)).alerts == []  # the job's re-run: a duplicate
    assert pipeline.alerts.deliveries(alert_id) == {"hook": "pending"}
    assert pipeline.outbox.count_due() == 1

    early = reconcile_deliveries(pipeline)
    assert (early.checked, early.requeued) == (0, [])

    report = reconcile_deliveries(pipeline, now=time.time() + pipeline.settings.delivery_grace_seconds + 1)
    [row] = report.requeued
    assert (row["alert_id"], row["channel"], row["previous_job"], row["previous_status"]) == (
        alert_id, "hook", None, "missing"
    )
    assert pipeline.alerts.deliveries(alert_id) == {"hook": "queued"}
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == [TITLE]
    assert pipeline.alerts.deliveries(alert_id) == {"hook": "delivered"}
    assert pipeline.outbox.count_due() == 0

    again = reconcile_deliveries(pipeline, now=time.time() + LATER)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert (again.checked, again.requeued, len(receiver.posts)) == (0, [], 1)


def test_alert_whose_delivery_job_is_still_queued_is_not_enqueued_again(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A channel whose job waits on the queue is left alone however late: exactly one POST in the end."""
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client)
    outcome = pipeline.process(read_document(SEED, 10**7))
    enqueue_deliveries(pipeline, outcome.alerts)
    [alert] = outcome.alerts
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "queued"}
    [job_id] = Queue(Keys(env["MONITOR_KEY_PREFIX"]).queue("alerts"), connection=redis_client,
                     serializer=JSONSerializer).get_job_ids()
    assert pipeline.outbox.jobs(alert.id) == {"hook": job_id}

    report = reconcile_deliveries(pipeline, now=time.time() + LATER)
    assert (report.checked, report.requeued, report.failed) == (1, [], [])
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == [TITLE]
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "delivered"}
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).requeued == []


def test_retry_waiting_in_the_scheduled_registry_is_not_enqueued_again(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A channel `retrying` with its job scheduled for the next attempt is live: no second job, one POST."""
    receiver.status = 500
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client,
                             alert_retry_intervals=[1])
    outcome = pipeline.process(read_document(SEED, 10**7))
    enqueue_deliveries(pipeline, outcome.alerts)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    [alert] = outcome.alerts
    assert pipeline.alerts.deliveries(alert.id)["hook"].startswith("retrying: ")
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).requeued == []
    receiver.status = 200
    time.sleep(1.2)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert (receiver.attempts, len(receiver.posts)) == (2, 1)
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "delivered"}


def test_lost_delivery_job_is_enqueued_again_and_delivered_once(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """The delivery job deleted from Redis (lost with its worker): a new job replaces it; one POST."""
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client)
    outcome = pipeline.process(read_document(SEED, 10**7))
    enqueue_deliveries(pipeline, outcome.alerts)
    [alert] = outcome.alerts
    lost = pipeline.outbox.jobs(alert.id)["hook"]
    Job.fetch(lost, connection=redis_client, serializer=JSONSerializer).delete()

    [row] = reconcile_deliveries(pipeline, now=time.time() + LATER).requeued
    assert (row["previous_job"], row["previous_status"]) == (lost, "missing")
    assert row["job_id"] != lost
    assert pipeline.outbox.jobs(alert.id) == {"hook": row["job_id"], "requeues:hook": "1"}
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == [TITLE]
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "delivered"}
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).requeued == []


def test_delivery_job_failed_without_its_callback_is_enqueued_again(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A job RQ failed as abandoned (no failure callback, the channel still `queued`): a new job, one POST."""
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client)
    outcome = pipeline.process(read_document(SEED, 10**7))
    enqueue_deliveries(pipeline, outcome.alerts)
    [alert] = outcome.alerts
    job_id = pipeline.outbox.jobs(alert.id)["hook"]
    job = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)
    Queue(job.origin, connection=redis_client, serializer=JSONSerializer).remove(job)
    job.set_status(JobStatus.FAILED)
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "queued"}

    [row] = reconcile_deliveries(pipeline, now=time.time() + LATER).requeued
    assert (row["previous_job"], row["previous_status"]) == (job.id, "failed")
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == [TITLE]
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "delivered"}


def test_channel_whose_jobs_keep_getting_lost_ends_failed_not_pending_forever(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """After MAX_REQUEUES lost jobs the channel is marked failed, listed undelivered, out of the due set."""
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client)
    alert_id = crashed_after_recording(pipeline)
    for _ in range(MAX_REQUEUES + 1):
        report = reconcile_deliveries(pipeline, now=time.time() + LATER)
        for row in report.requeued:
            Job.fetch(row["job_id"], connection=redis_client, serializer=JSONSerializer).delete()
    assert [len(report.requeued), len(report.failed)] == [0, 1]
    assert pipeline.alerts.deliveries(alert_id) == {
        "hook": f"failed: delivery job lost after {MAX_REQUEUES} requeues (missing)"
    }
    assert pipeline.outbox.count_due() == 0
    assert receiver.posts == []


def test_digest_alerts_are_left_to_the_digest_and_the_worker_maintenance_closes_the_window(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """Digest alerts recorded by a worker that died (no flush scheduled) are not re-enqueued one by one;
    the alerts worker's periodic maintenance closes the window: one POST with both alerts."""
    folder = config_dir(tmp_path, DIGEST.format(url=receiver.url(), minutes=0.02))
    pipeline = make_pipeline(env, folder, redis_client, delivery_grace_seconds=0)
    alert_ids = [a.id for town in ("Northport", "Eastvale") for a in pipeline.process(story(town)).alerts]
    assert pipeline.outbox.count_due() == 0
    early = reconcile_deliveries(pipeline, now=time.time() + LATER)
    assert (early.requeued, early.digests) == ([], [])
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": "digest"}] * 2

    time.sleep(1.5)
    queue = Queue(Keys(env["MONITOR_KEY_PREFIX"]).queue("alerts"), connection=redis_client,
                  serializer=JSONSerializer)
    worker = MonitorWorker([queue], connection=redis_client, serializer=JSONSerializer,
                           keys=Keys(env["MONITOR_KEY_PREFIX"]))
    worker.run_maintenance_tasks()
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    [post] = receiver.posts
    assert post["title"] == "ct-digest: 2 alerts"
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": "delivered"}] * 2
    assert periodic_delivery_maintenance(pipeline).digests == []


def test_worker_maintenance_delivers_an_alert_its_crashed_worker_never_enqueued(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """The periodic path itself: the maintenance of workers on the alerts queue enqueues one job; one POST."""
    pipeline = make_pipeline(env, config_dir(tmp_path, RULE.format(url=receiver.url())), redis_client,
                             delivery_grace_seconds=0)
    alert_id = crashed_after_recording(pipeline)
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    queue = Queue(keys.queue("alerts"), connection=redis_client, serializer=JSONSerializer)
    for _ in range(2):  # two maintenance passes (two workers, or one worker twice): one job
        worker = MonitorWorker([queue], connection=redis_client, serializer=JSONSerializer, keys=keys)
        worker.run_maintenance_tasks()
    assert pipeline.alerts.deliveries(alert_id) == {"hook": "queued"}
    assert queue.count == 1
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == [TITLE]
    assert pipeline.alerts.deliveries(alert_id) == {"hook": "delivered"}


def test_reconcile_command_hands_the_pending_alert_to_a_job(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """`monitor alerts reconcile --json` reports the requeued channel; the job then delivers it once."""
    folder = config_dir(tmp_path, RULE.format(url=receiver.url()))
    pipeline = make_pipeline(env, folder, redis_client)
    alert_id = crashed_after_recording(pipeline)
    env = {**env, "MONITOR_CONFIG_DIR": str(folder), "MONITOR_DELIVERY_GRACE_SECONDS": "0"}
    proc = run_monitor("alerts", "reconcile", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    [data] = json_lines(proc.stdout)
    assert (data["skipped"], data["checked"], data["failed"], data["digests"]) == (False, 1, [], [])
    [row] = data["requeued"]
    assert (row["alert_id"], row["channel"], row["previous_status"]) == (alert_id, "hook", "missing")
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == [TITLE]
    assert pipeline.alerts.deliveries(alert_id) == {"hook": "delivered"}


def test_idle_worker_wakes_for_maintenance_at_the_maintenance_interval(redis_client: redis.Redis) -> None:
    """An idle worker's blocking dequeue lasts the maintenance interval (60 s), not RQ's 405 s."""
    keys = Keys("idle")
    queue = Queue(keys.queue("alerts"), connection=redis_client, serializer=JSONSerializer)
    worker = MonitorWorker([queue], connection=redis_client, serializer=JSONSerializer, keys=keys,
                           maintenance_interval=60)
    assert (worker.worker_ttl, worker.dequeue_timeout) == (420, 60)


def _closed_digest(env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver,
                   **settings: object) -> tuple[Pipeline, list[str]]:
    """Two digest alerts whose window (0.02 min) has closed, not yet taken: (pipeline, alert ids)."""
    folder = config_dir(tmp_path, DIGEST.format(url=receiver.url(), minutes=0.02))
    pipeline = make_pipeline(env, folder, redis_client, **settings)
    alert_ids = [a.id for town in ("Northport", "Eastvale") for a in pipeline.process(story(town)).alerts]
    time.sleep(1.5)
    return pipeline, alert_ids


def test_lost_digest_job_is_handed_to_a_new_job_and_sent_once_as_one_message(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """The window is closed and its deliver_digest job deleted (lost): the alerts wait in `digest`, then
    after the grace period one new job sends both in one POST; later passes add none."""
    pipeline, alert_ids = _closed_digest(env, tmp_path, redis_client, receiver)
    [closed] = periodic_delivery_maintenance(pipeline).digests
    Job.fetch(closed["job_id"], connection=redis_client, serializer=JSONSerializer).delete()
    assert pipeline.digests.count_due() == 1
    assert reconcile_deliveries(pipeline).digest_batches == []  # within the grace period

    [row] = reconcile_deliveries(pipeline, now=time.time() + LATER).digest_batches
    assert (row["action"], row["rule"], row["channel"], row["alerts"]) == ("requeued", "ct-digest", "hook", 2)
    assert (row["previous_job"], row["previous_status"]) == (closed["job_id"], "missing")
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).digest_batches == []  # its job is queued
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    [post] = receiver.posts
    assert post["title"] == "ct-digest: 2 alerts"
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": "delivered"}] * 2
    assert pipeline.digests.count_due() == 0
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).digest_batches == []
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert len(receiver.posts) == 1


def test_digest_taken_by_a_worker_that_died_before_enqueueing_is_sent_once(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """The take emptied the list and filed the batch, then the worker died before enqueueing its job:
    the reconciler finds the batch (its job id unknown to RQ) and sends it; nothing is left in `digest`."""
    pipeline, alert_ids = _closed_digest(env, tmp_path, redis_client, receiver)
    taken = pipeline.digests.take("ct-digest", "hook", 1, job_id="never-enqueued")
    assert (taken.alert_ids, pipeline.digests.pending("ct-digest", "hook")) == (alert_ids, 0)
    assert periodic_delivery_maintenance(pipeline).digests == []  # the list is empty now

    [row] = reconcile_deliveries(pipeline, now=time.time() + LATER).digest_batches
    assert (row["batch_id"], row["previous_job"], row["action"]) == (taken.batch_id, "never-enqueued", "requeued")
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [p["title"] for p in receiver.posts] == ["ct-digest: 2 alerts"]
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": "delivered"}] * 2
    assert pipeline.digests.batch(taken.batch_id) is None


def test_digest_whose_jobs_keep_getting_lost_ends_failed_not_digest_forever(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """After MAX_REQUEUES lost digest jobs its alerts are marked failed for the channel; the batch is dropped."""
    pipeline, alert_ids = _closed_digest(env, tmp_path, redis_client, receiver)
    pipeline.digests.take("ct-digest", "hook", 1, job_id="never-enqueued")
    for _ in range(MAX_REQUEUES + 1):
        report = reconcile_deliveries(pipeline, now=time.time() + LATER)
        for row in report.digest_batches:
            if row["action"] == "requeued":
                Job.fetch(row["job_id"], connection=redis_client, serializer=JSONSerializer).delete()
    assert [row["action"] for row in report.digest_batches] == ["failed"]
    state = f"failed: digest job lost after {MAX_REQUEUES} requeues (missing)"
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": state}] * 2
    assert (pipeline.digests.count_due(), receiver.posts) == (0, [])


def test_digest_refused_to_the_last_retry_is_failed_and_no_longer_reconciled(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A channel refusing the digest through its last retry: alerts `failed: ...`, batch settled, no new job."""
    receiver.status = 500
    pipeline, alert_ids = _closed_digest(env, tmp_path, redis_client, receiver, alert_retry_intervals=[1])
    periodic_delivery_maintenance(pipeline)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert [pipeline.alerts.deliveries(i)["hook"][:10] for i in alert_ids] == ["retrying: "] * 2
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).digest_batches == []  # retry scheduled
    time.sleep(1.2)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert receiver.attempts == 2
    assert [pipeline.alerts.deliveries(i)["hook"][:8] for i in alert_ids] == ["failed: "] * 2
    assert pipeline.digests.count_due() == 0
    assert reconcile_deliveries(pipeline, now=time.time() + LATER).digest_batches == []


def test_sigterm_arriving_during_maintenance_stops_an_idle_worker(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RQ's SIGTERM handler raises StopRequested wherever an idle worker is; a SIGTERM landing in the
    maintenance pass reaches RQ's loop (it was swallowed there, and the worker ran on until killed)."""
    import os
    import signal

    from rq.exceptions import StopRequested

    import monitor.rqworker

    keys = Keys("stopping")
    queue = Queue(keys.queue("polls"), connection=redis_client, serializer=JSONSerializer)
    worker = MonitorWorker([queue], connection=redis_client, serializer=JSONSerializer, keys=keys)

    def reconcile_then_sigterm(*_args: object) -> list[str]:
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal, delivered inside the maintenance pass
        return []

    monkeypatch.setattr(monitor.rqworker, "reconcile", reconcile_then_sigterm)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    worker._install_signal_handlers()
    try:
        with pytest.raises(StopRequested):
            worker.run_maintenance_tasks()
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
