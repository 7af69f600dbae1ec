"""The RQ worker class used by ``monitor worker`` (and so by ``monitor run``).

An ``rq.Worker`` with these additions:

* the work-horse dies with its worker (``PR_SET_PDEATHSIG`` = SIGKILL): when a worker is
  killed, no orphaned horse keeps running a job that the reconciler hands to another worker;
* RQ's scheduler process (forked by ``work(with_scheduler=True)`` to move delayed jobs and
  retries onto their queues) dies with its worker too (SIGTERM), instead of living on forever
  after a ``kill -9`` of the worker;
* every job runs with ``job_id`` and ``queue`` bound in the structlog context, and its outcome
  and duration go to the shared metrics (:mod:`monitor.metrics`);
* before each job, and in each maintenance pass of an idle worker, an edited topics.yaml,
  alerts.yaml or feeds.yaml is loaded (:func:`workers.context.refresh`), so rule edits apply to
  the next item without a restart;
* its periodic maintenance (every ``MONITOR_MAINTENANCE_INTERVAL`` s instead of RQ's 10 min)
  also runs :func:`monitor.reclaim.reconcile`, so a job abandoned by a dead worker on any host
  is handed back within about a minute and a half;
* a worker serving the ``alerts`` queue also runs the delivery outbox pass
  (:func:`monitor.outbox.periodic_delivery_maintenance`): alerts recorded whose delivery job was
  never enqueued or was lost get one, and digest windows whose flush job never ran are closed.
  Workers run in every deployment shape (``monitor run``, ``monitor worker`` units on any host)
  and hold the alert rules and channels, so this is the one place that always runs it.

Warm shutdown is RQ's own: the first SIGTERM/SIGINT lets the job in hand finish, a second one
kills the horse (``monitor run`` then hands the job back). An idle worker's signal handler raises
``StopRequested`` wherever the worker is; the maintenance passes here let it through (a broad
``except`` there once swallowed it, and the worker ran on until killed).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import redis
import structlog
from rq import Queue, Worker, worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler

from monitor.keys import Keys
from monitor.metrics import MetricsRecorder
from monitor.proc import die_with_parent
from monitor.reclaim import reconcile

log = structlog.get_logger(__name__)


class MonitorScheduler(RQScheduler):
    """RQ's scheduler, asking the kernel to stop it when the worker that forked it exits."""

    def work(self) -> None:
        die_with_parent(signal.SIGTERM, expected_parent=self._parent_pid)
        super().work()

    def start(self):  # type: ignore[no-untyped-def]
        self._parent_pid = os.getpid()
        return super().start()


class MonitorWorker(Worker):
    """RQ worker with horse-dies-with-worker, job context in logs, metrics and our reconciler.

    Args:
        keys: the deployment's key builder (queues and metrics live under its prefix).
        All other arguments are ``rq.Worker``'s.
    """

    def __init__(self, *args: Any, keys: Keys, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys = keys
        self._worker_pid = os.getpid()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat; and when Redis has lost this worker's registration (restarted without its
        data), register again: otherwise ``/healthz`` said "no worker is registered" for good while
        the workers ran (a bad-input trial), as RQ registers a worker only at its birth."""
        super().heartbeat(timeout, pipeline)
        if pipeline is not None:
            return
        try:
            if not self.connection.sismember(self.redis_workers_keys, self.key):
                with self.connection.pipeline() as pipe:
                    pipe.hset(self.key, mapping=self.serialize())
                    worker_registration.register(self, pipe)
                    pipe.expire(self.key, (timeout or self.worker_ttl + 60))
                    pipe.execute()
                log.warning("worker_registered_again", worker=self.name,
                            reason="Redis had lost the worker's registration (restarted without its data?)")
        except redis.RedisError as exc:
            log.warning("worker_registration_check_failed", worker=self.name, error=str(exc))

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """RQ's traceback for a failed job, except for a transient fetch failure that RQ will retry:
        that is one ``job_will_retry`` line (the job already logged ``page_fetch_retry`` with the
        error), not a traceback per timeout beside it (a bad-input trial)."""
        from monitor.errors import TransientFetchError

        exc = exc_info[1] if len(exc_info) > 1 else None
        if isinstance(exc, TransientFetchError) and job.retries_left:
            log.info("job_will_retry", job_id=job.id, error=str(exc), retries_left=job.retries_left)
            for handler in self._exc_handlers:
                if handler(job, *exc_info) is False:
                    break
            return
        super().handle_exception(job, *exc_info)

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """RQ 2.x's ``Worker._start_scheduler`` with :class:`MonitorScheduler` (same lock and burst rules)."""
        self.scheduler = MonitorScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    @property
    def dequeue_timeout(self) -> int:
        """Seconds one blocking dequeue waits: at most the maintenance interval.

        RQ runs maintenance only between dequeues and waits ``worker_ttl - 15`` s (405 s by
        default) on an idle queue, so an idle worker would otherwise run its maintenance (job
        hand-back, delivery outbox) only every ~7 minutes whatever ``maintenance_interval`` says.
        """
        return max(1, min(self.worker_ttl - 15, self.maintenance_interval))

    def execute_job(self, job: Job, queue: Queue) -> None:
        """RQ's ``execute_job`` after :func:`workers.context.refresh`: an edited topics.yaml or
        alerts.yaml is loaded here, in the worker, before the horse forks, so the horse inherits
        the new rules and each edit is compiled once per worker, not once per job."""
        self._refresh_config()
        super().execute_job(job, queue)

    def _refresh_config(self) -> None:
        """:func:`workers.context.refresh` in this worker, its log lines naming the worker."""
        context = sys.modules.get("workers.context")  # not imported: no pipeline here (polls only)
        if context is None:
            return
        try:
            context.refresh(worker=self.name, pid=os.getpid())
        except StopRequested:
            raise
        except Exception as exc:  # a failed reload must not stop the worker; the old rules stay
            log.error("config_reload_failed", error=repr(exc), hint="this worker keeps the rules it had",
                      worker=self.name, pid=os.getpid())

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        die_with_parent(signal.SIGKILL, expected_parent=self._worker_pid)
        super().main_work_horse(job, queue)

    def perform_job(self, job: Job, queue: Queue) -> bool:
        started = time.monotonic()
        with structlog.contextvars.bound_contextvars(job_id=job.id, queue=queue.name, worker=self.name):
            ok = super().perform_job(job, queue)
            try:
                MetricsRecorder(self.connection, self._keys).job_finished(
                    queue.name.rsplit(":", 1)[-1],
                    job.func_name or "",
                    ok,
                    time.monotonic() - started,
                    job._result if ok else None,
                    tuple(job.args or ()),
                )
            except Exception as exc:  # metrics must never fail a job
                log.warning("metrics_failed", error=str(exc))
        return ok

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        self._refresh_config()  # an idle worker loads an edit too, so workers do not drift apart
        try:
            handed = reconcile(self.connection, self._keys)
        except StopRequested:  # SIGTERM while idle: RQ's handler raises this wherever the worker is
            raise
        except Exception as exc:  # the worker loop must survive a failed clean-up
            log.warning("reconcile_failed", error=str(exc))
            return
        if handed:
            log.warning("reconcile_handed_back", job_ids=handed)
        self._delivery_maintenance()

    def _delivery_maintenance(self) -> None:
        if self._keys.queue("alerts") not in self.queue_names():
            return
        from monitor.outbox import periodic_delivery_maintenance
        from workers import context

        try:
            report = periodic_delivery_maintenance(context.get())
        except StopRequested:
            raise
        except Exception as exc:  # the worker loop must survive a failed clean-up
            log.warning("delivery_maintenance_failed", error=str(exc))
            return
        if report.requeued or report.failed or report.digests or report.digest_batches:
            log.warning("delivery_maintenance", requeued=len(report.requeued), failed=len(report.failed),
                        digests=len(report.digests), digest_batches=len(report.digest_batches))
