"""Crash safety of ``monitor run`` (cases 21 and 24): killed workers, SIGTERM, a Redis restart.

Slow tier: each test starts the real daemon (supervisor plus worker processes) against real
Redis and a loopback HTTP server; they take 5-20 s each and run in CI like the rest.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import redis
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from monitor.embedded_redis import redis_answers
from monitor.keys import Keys
from monitor.proc import free_port
from tests.conftest import LoopbackServer, Route
from tests.feed_helpers import write_config
from tests.service_helpers import (
    Daemon,
    alive,
    article,
    children_of,
    enqueue_entry,
    horses_of,
    processes_with_arg,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _job(connection: redis.Redis, job_id: str) -> Job:
    return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)


def _started(connection: redis.Redis, prefix: str) -> int:
    return StartedJobRegistry(Keys(prefix).queue("entries"), connection=connection).count


def _worker_pids(daemon: Daemon) -> list[int]:
    """Pids of the daemon's `monitor worker` children (not the scheduler)."""
    out = []
    for pid in children_of(daemon.proc.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in argv and alive(pid):
            out.append(pid)
    return out


def test_kill_9_worker_mid_job_job_finishes_once_with_one_alert(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """kill -9 of a worker and its horse mid-job: another worker finishes the job; one item, one alert."""
    release = threading.Event()
    hits: list[int] = []

    def slow_then_fast(_handler: object) -> Route:
        hits.append(1)
        if len(hits) == 1:
            release.wait(20)  # the first fetch hangs until the test lets go
        return Route(
            200, {"Content-Type": "text/html; charset=utf-8"}, article("Terror cell arrested at ferry port")
        )

    http_server.routes["/news/ferry.html"] = slow_then_fast
    daemon = Daemon(env, tmp_path / "daemon.log", "--workers", "2", "--grace", "5")
    try:
        wait_for(lambda: len(_worker_pids(daemon)) == 2, 15, "two worker processes")
        job_id = enqueue_entry(
            redis_client,
            env["MONITOR_KEY_PREFIX"],
            http_server.url("/news/ferry.html"),
            "Terror cell arrested at ferry port",
        )
        wait_for(lambda: hits, 20, "the first page fetch (job in hand)")
        busy = [p for p in _worker_pids(daemon) if horses_of(p)]
        assert len(busy) == 1, daemon.log_text()
        [horse] = horses_of(busy[0])
        os.kill(horse, signal.SIGKILL)
        os.kill(busy[0], signal.SIGKILL)
        wait_for(
            lambda: _job(redis_client, job_id).get_status() == JobStatus.FINISHED,
            30,
            f"job {job_id} finished by another worker\n{daemon.log_text()}",
        )
        job = _job(redis_client, job_id)
        assert job.meta["abandoned"] == 1
        assert job.return_value()["alerts"] == ["security-desk"]
        prefix = env["MONITOR_KEY_PREFIX"]
        assert redis_client.xlen(f"{prefix}:alerts") == 1
        assert redis_client.xlen(f"{prefix}:items") == 1
        assert len(hits) == 2
        assert _started(redis_client, prefix) == 0
        assert '"event": "jobs_handed_back"' in daemon.log_text()
        assert '"event": "child_exited"' in daemon.log_text()
        wait_for(lambda: len(_worker_pids(daemon)) == 2, 15, "the killed worker restarted by the supervisor")
    finally:
        release.set()
        code, _ = daemon.stop()
    assert code == 0


def test_sigterm_stops_within_grace_and_restart_goes_on(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """SIGTERM mid-job: exit 0 within the grace time, job handed back; a restart finishes it, no re-alert."""
    release = threading.Event()
    hits: list[int] = []

    def hang_first(_handler: object) -> Route:
        hits.append(1)
        if len(hits) == 1:
            release.wait(30)
        return Route(
            200, {"Content-Type": "text/html; charset=utf-8"}, article("Bomb plot foiled in harbour city")
        )

    http_server.routes["/news/harbour.html"] = hang_first
    http_server.routes["/news/old.html"] = Route(
        200, {"Content-Type": "text/html; charset=utf-8"}, article("Earlier terror cell arrests in the north")
    )
    prefix = env["MONITOR_KEY_PREFIX"]
    first = Daemon(env, tmp_path / "first.log", "--workers", "1", "--grace", "2")
    wait_for(lambda: len(_worker_pids(first)) == 1, 15, "one worker process")
    old_id = enqueue_entry(redis_client, prefix, http_server.url("/news/old.html"), "Earlier arrests")
    wait_for(
        lambda: _job(redis_client, old_id).get_status() == JobStatus.FINISHED, 20, "the first entry processed"
    )
    job_id = enqueue_entry(redis_client, prefix, http_server.url("/news/harbour.html"), "Bomb plot foiled")
    wait_for(lambda: hits, 20, "the hanging fetch")
    code, took = first.stop()
    assert code == 0, first.log_text()
    assert '"event": "grace_period_over"' in first.log_text()
    assert took < 2 + 10, f"stopped in {took:.1f} s"
    assert _started(redis_client, prefix) == 0
    assert _job(redis_client, job_id).get_status() == JobStatus.QUEUED
    release.set()

    second = Daemon(env, tmp_path / "second.log", "--workers", "1")
    try:
        wait_for(
            lambda: _job(redis_client, job_id).get_status() == JobStatus.FINISHED,
            30,
            f"the handed-back job finished after the restart\n{second.log_text()}",
        )
    finally:
        code, _ = second.stop()
    assert code == 0
    assert redis_client.xlen(f"{prefix}:alerts") == 2  # one per story, the old one not alerted again
    assert _job(redis_client, job_id).meta.get("abandoned", 0) == 0  # a deliberate stop costs no attempt


@pytest.fixture
def own_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A redis-server of this test's own on a free port, AOF in a temp dir; yields (url, restart)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (the Redis-restart test starts its own)")
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    argv = [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--logfile",
        str(data / "redis.log"),
    ]
    url = f"redis://127.0.0.1:{port}/0"
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        procs.append(subprocess.Popen(argv))
        wait_for(lambda: redis_answers(url), 10, "own redis-server")

    def restart() -> None:
        proc = procs[-1]
        proc.terminate()  # SIGTERM: AOF flushed
        proc.wait(10)
        start()

    start()
    yield url, restart
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


def test_redis_restart_under_running_daemon(
    env: dict[str, str],
    own_redis,
    http_server: LoopbackServer,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """After Redis restarts under `monitor run`, new entries are processed and no job stays started."""
    url, restart = own_redis
    env = {**env, "MONITOR_REDIS_URL": url}
    prefix = env["MONITOR_KEY_PREFIX"]
    r = redis.Redis.from_url(url)
    for name in ("before", "after"):
        http_server.routes[f"/news/{name}.html"] = Route(
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            article(f"Terror cell arrested {name} the restart"),
        )
    daemon = Daemon(env, tmp_path / "daemon.log", "--workers", "1")
    try:
        wait_for(lambda: len(_worker_pids(daemon)) == 1, 15, "one worker process")
        before = enqueue_entry(r, prefix, http_server.url("/news/before.html"), "before")
        wait_for(
            lambda: _job(r, before).get_status() == JobStatus.FINISHED, 20, "the entry before the restart"
        )
        restart()
        r = redis.Redis.from_url(url)
        after = enqueue_entry(r, prefix, http_server.url("/news/after.html"), "after")
        wait_for(
            lambda: _job(r, after).get_status() == JobStatus.FINISHED,
            45,
            f"the entry after the restart\n{daemon.log_text()}",
        )
        assert _job(r, before).get_status() == JobStatus.FINISHED  # persisted through the restart (AOF)
        assert r.xlen(f"{prefix}:alerts") == 2
        assert _started(r, prefix) == 0
        assert daemon.proc.poll() is None
    finally:
        code, _ = daemon.stop()
    assert code == 0


def _rss(base: str, slugs: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Arrests {s}</title><link>{base}/news/{s}.html</link><guid>{s}</guid>"
        f"<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate></item>"
        for s in slugs
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Example Wire</title>'
        f"<link>{base}/</link><description>test feed</description>{items}</channel></rss>"
    ).encode()


def test_restart_after_sigterm_polls_on_without_realerting(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """Stop with SIGTERM, a new entry while down, restart: only the new entry is processed and alerted."""

    config = write_config(
        tmp_path / "config", [{"id": "example-wire", "url": http_server.url("/feed.xml"), "interval": 30}]
    )
    env = {**env, "MONITOR_CONFIG_DIR": str(config)}
    prefix = env["MONITOR_KEY_PREFIX"]
    html = {"Content-Type": "text/html; charset=utf-8"}
    http_server.routes["/news/first.html"] = Route(
        200, html, article("Terror cell arrested at the ferry port")
    )
    http_server.routes["/news/second.html"] = Route(
        200, html, article("Bomb plot foiled at the rail station")
    )
    rss = {"Content-Type": "application/rss+xml"}
    http_server.routes["/feed.xml"] = Route(200, rss, _rss(http_server.base_url, ["first"]))

    first = Daemon(env, tmp_path / "first.log", "--workers", "1", "--grace", "5")
    wait_for(lambda: redis_client.xlen(f"{prefix}:alerts") == 1, 30, "the first entry's alert")
    code, took = first.stop()
    assert (code, took < 15) == (0, True), first.log_text()

    http_server.routes["/feed.xml"] = Route(200, rss, _rss(http_server.base_url, ["second", "first"]))
    state = f"{prefix}:feed:example-wire:state"
    redis_client.hset(state, "last_poll_at", str(float(redis_client.hget(state, "last_poll_at")) - 3600))

    second = Daemon(env, tmp_path / "second.log", "--workers", "1", "--grace", "5")
    try:
        # a restart inside the 30-s slot the first daemon polled in waits for the next slot (the slot
        # stays claimed in Redis), so the new entry may come up to one interval plus its processing later
        try:
            wait_for(lambda: redis_client.xlen(f"{prefix}:alerts") >= 2, 55, "the new entry's alert")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{second.log_text()}") from None
    finally:
        code, _ = second.stop()
    assert code == 0
    assert redis_client.xlen(f"{prefix}:alerts") == 2
    assert redis_client.xlen(f"{prefix}:items") == 2
    pages = [path for method, path, _ in http_server.requests if path.startswith("/news/")]
    assert sorted(pages) == ["/news/first.html", "/news/second.html"]  # the old entry was not fetched again


def test_reconciler_hands_back_job_of_a_vanished_unsupervised_worker(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """A worker elsewhere killed mid-job: once its key expires, reconcile() requeues the job; it runs once."""
    import sys

    from rq import Worker

    from monitor.reclaim import reconcile
    from tests.conftest import ROOT

    release = threading.Event()
    hits: list[int] = []

    def hang_first(_handler: object) -> Route:
        hits.append(1)
        if len(hits) == 1:
            release.wait(20)
        return Route(
            200, {"Content-Type": "text/html; charset=utf-8"}, article("Militants seize hostages at a mine")
        )

    http_server.routes["/news/mine.html"] = hang_first
    prefix = env["MONITOR_KEY_PREFIX"]
    log = (tmp_path / "worker.log").open("wb")
    worker_name = f"other-host.{uuid.uuid4().hex[:8]}"  # unique: other test runs may share this machine
    lone = subprocess.Popen(
        [sys.executable, "-m", "monitor", "worker", "--name", worker_name],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        job_id = enqueue_entry(redis_client, prefix, http_server.url("/news/mine.html"), "Hostages")
        wait_for(lambda: hits, 20, "the hanging fetch")
        [horse] = horses_of(lone.pid)
        os.kill(horse, signal.SIGKILL)
        os.kill(lone.pid, signal.SIGKILL)
        lone.wait()
        # its RQ scheduler process dies with it instead of living on as an orphan
        wait_for(lambda: not processes_with_arg(worker_name), 30, "no process of the killed worker left")
        assert reconcile(redis_client, Keys(prefix)) == []  # its key still lives: not yet judged dead
        redis_client.delete(f"rq:worker:{worker_name}")  # what its TTL does ~90 s after the last heartbeat
        assert reconcile(redis_client, Keys(prefix)) == [job_id]
    finally:
        release.set()
        log.close()
    assert _job(redis_client, job_id).get_status() == JobStatus.QUEUED
    assert _job(redis_client, job_id).meta["abandoned"] == 1
    burst = subprocess.run(
        [sys.executable, "-m", "monitor", "worker", "--burst"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert burst.returncode == 0
    assert _job(redis_client, job_id).get_status() == JobStatus.FINISHED
    assert redis_client.xlen(f"{prefix}:alerts") == 1
    assert _started(redis_client, prefix) == 0
    assert Worker.find_by_key(f"rq:worker:{worker_name}", connection=redis_client) is None
