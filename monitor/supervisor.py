"""The process supervisor behind ``monitor run`` (and ``monitor demo``).

It starts the parts as child processes (``monitor worker --name W`` N times, ``monitor
scheduler`` once), restarts a child that exits with exponential
back-off (1 s doubling to 60 s; reset after a child has run for a minute), hands back the job of a
worker that died (:mod:`monitor.reclaim`), and runs the reconciler every 30 s.

Stopping (SIGTERM, SIGINT/Ctrl-C, or :meth:`Supervisor.request_stop`) is RQ's warm shutdown:
every child gets SIGTERM, stops taking new jobs and finishes the job in hand; whatever is
still running after the grace period gets a second SIGTERM (RQ's cold shutdown kills the
work-horse) and its job is handed back to the queue, so nothing is lost. Children run in their
own sessions (a terminal's Ctrl-C reaches only the supervisor, which orders the stop) and die
with the supervisor if it is killed (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

import redis
import structlog

from monitor.keys import Keys
from monitor.proc import pdeathsig_preexec
from monitor.reclaim import reclaim_worker_jobs, reconcile

log = structlog.get_logger(__name__)

BACKOFF_START = 1.0  #: first restart delay (seconds)
BACKOFF_CAP = 60.0  #: longest restart delay (seconds)
HEALTHY_AFTER = 60.0  #: a child that ran this long starts its back-off afresh (seconds)
RECONCILE_EVERY = 30.0  #: seconds between reconciler passes
COLD_STOP_WAIT = 10.0  #: after the grace period, seconds allowed for the cold stop before SIGKILL


@dataclass
class Child:
    """One supervised part: its role, its argv, and the running process if any."""

    role: str  # "worker" or "scheduler"
    slot: int
    name: str = ""
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    exits: list[int] = field(default_factory=list)

    def argv(self) -> list[str]:
        base = [sys.executable, "-m", "monitor", self.role]
        return [*base, "--name", self.name] if self.role == "worker" else base

    @property
    def label(self) -> str:
        return f"{self.role}-{self.slot}"


class Supervisor:
    """Runs and watches the daemon's child processes until asked to stop.

    Args:
        connection: Redis client (reclaiming and reconciling). keys: key builder.
        workers: number of worker processes (>= 1). grace: seconds a stop waits for jobs in hand.
        with_scheduler: also run ``monitor scheduler``. env: environment of the children.
        child_stdout, child_stderr: where children's output goes (logs); default: ours.
    """

    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        *,
        workers: int,
        grace: float,
        with_scheduler: bool,
        env: dict[str, str] | None = None,
        child_stdout: IO[str] | None = None,
        child_stderr: IO[str] | None = None,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.grace = grace
        self.env = env or dict(os.environ)
        self.child_stdout = child_stdout
        self.child_stderr = child_stderr
        self.children = [Child("worker", i) for i in range(workers)]
        if with_scheduler:
            self.children.append(Child("scheduler", 0))
        self._stop_requested = False
        self._stop_signals = 0
        self._next_reconcile = time.monotonic() + RECONCILE_EVERY
        self.on_tick: Callable[[], None] | None = None

    # signals -----------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT ask for a graceful stop; a second one skips the rest of the grace period."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stop_signals += 1
        log.info("stop_requested", signal=signal.Signals(signum).name, count=self._stop_signals)
        self._stop_requested = True

    def request_stop(self) -> None:
        """Ask the loop in :meth:`run` to stop gracefully (thread-safe: sets a flag)."""
        self._stop_requested = True

    # running -----------------------------------------------------------------------------
    def run(self, duration: float | None = None) -> int:
        """Start every child and supervise until a stop is requested (or ``duration`` s passed).

        Returns:
            0 after a clean stop (every job finished or handed back).
        """
        deadline = time.monotonic() + duration if duration else None
        log.info(
            "supervisor_started",
            workers=sum(c.role == "worker" for c in self.children),
            scheduler=any(c.role == "scheduler" for c in self.children),
            grace_seconds=self.grace,
            pid=os.getpid(),
        )
        for child in self.children:
            self._start(child)
        while not self._stop_requested:
            if deadline and time.monotonic() >= deadline:
                log.info("duration_reached", seconds=duration)
                break
            self._check_children()
            self._maybe_reconcile()
            if self.on_tick:
                self.on_tick()
            time.sleep(0.2)
        return self.stop()

    def _start(self, child: Child) -> None:
        if child.role == "worker":
            child.name = f"{os.uname().nodename}.{os.getpid()}.w{child.slot}.{uuid.uuid4().hex[:6]}"
        child.proc = subprocess.Popen(  # noqa: S603 - our own argv
            child.argv(),
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.child_stdout,
            stderr=self.child_stderr,
            start_new_session=True,
            preexec_fn=pdeathsig_preexec(signal.SIGTERM),  # noqa: PLW1509
        )
        child.started_at = time.monotonic()
        log.info("child_started", child=child.label, pid=child.proc.pid, worker=child.name or None)

    def _check_children(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.proc is None:
                if now >= child.restart_at:
                    self._start(child)
                continue
            code = child.proc.poll()
            if code is None:
                continue
            ran = now - child.started_at
            child.exits.append(code)
            child.proc = None
            child.failures = 1 if ran >= HEALTHY_AFTER else child.failures + 1
            delay = min(BACKOFF_CAP, BACKOFF_START * 2 ** (child.failures - 1))
            child.restart_at = now + delay
            log.warning(
                "child_exited",
                child=child.label,
                exit_code=code,
                ran_seconds=round(ran, 1),
                restart_in_seconds=delay,
                worker=child.name or None,
            )
            if child.role == "worker":
                self._reclaim(child.name, crashed=True)

    def _reclaim(self, worker_name: str, *, crashed: bool) -> None:
        try:
            handed = reclaim_worker_jobs(self.connection, self.keys, worker_name, crashed=crashed)
        except redis.RedisError as exc:
            log.error("reclaim_failed", worker=worker_name, error=str(exc))
            return
        if handed:
            log.warning("jobs_handed_back", worker=worker_name, job_ids=handed, crashed=crashed)

    def _maybe_reconcile(self) -> None:
        if time.monotonic() < self._next_reconcile:
            return
        self._next_reconcile = time.monotonic() + RECONCILE_EVERY
        try:
            handed = reconcile(self.connection, self.keys)
        except redis.RedisError as exc:
            log.warning("reconcile_failed", error=str(exc))
            return
        if handed:
            log.warning("reconcile_handed_back", job_ids=handed)

    # stopping ----------------------------------------------------------------------------
    def stop(self) -> int:
        """Warm-stop every child within the grace period, cold-stop the rest, hand back their jobs."""
        running = [c for c in self.children if c.proc is not None]
        log.info("stopping", children=len(running), grace_seconds=self.grace)
        for child in running:
            self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while any(c.proc and c.proc.poll() is None for c in running) and time.monotonic() < deadline:
            if self._stop_signals >= 2:
                break
            time.sleep(0.1)
        late = [c for c in running if c.proc and c.proc.poll() is None]
        for child in late:
            log.warning("grace_period_over", child=child.label, worker=child.name or None)
            self._signal(child, signal.SIGTERM)  # RQ: second signal = cold shutdown, horse killed
        self._wait_or_kill(late)
        for child in running:
            if child.role == "worker":
                self._reclaim(child.name, crashed=False)
            child.proc = None
        log.info("stopped", late=len(late))
        return 0

    @staticmethod
    def _signal(child: Child, sig: int) -> None:
        if child.proc and child.proc.poll() is None:
            try:
                child.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    @staticmethod
    def _wait_or_kill(children: list[Child]) -> None:
        deadline = time.monotonic() + COLD_STOP_WAIT
        for child in children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
