"""The feed scheduler with real APScheduler, Redis, RQ workers and HTTP: exactly one poll per feed
and slot whatever the number of scheduler processes, and a hung feed never delays the others."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from monitor.config import Config
from monitor.feedstate import FeedStateStore
from monitor.keys import Keys
from monitor.scheduler import FeedScheduler, SlotTrigger, feed_phase, slot_start
from monitor.settings import Settings
from tests.conftest import ROOT, LoopbackServer, Route
from tests.feed_helpers import RSS_HEADERS, rss, write_config

pytestmark = pytest.mark.integration

INTERVAL = 2


def test_slot_trigger_does_not_drift() -> None:
    """Fire times stay in their own slot (start + jitter < 10 %) over 1000 intervals."""
    trigger = SlotTrigger(60.0, feed_phase("wire", 60.0), 6.0)
    t = trigger.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=UTC))
    first = slot_start(t.timestamp(), 60.0, trigger.phase)
    for n in range(1, 1000):
        t = trigger.get_next_fire_time(t, t)
        start = slot_start(t.timestamp(), 60.0, trigger.phase)
        assert start == pytest.approx(first + 60.0 * n)
        assert 0 <= t.timestamp() - start <= 6.0


def test_feed_phase_is_stable_and_spreads_feeds() -> None:
    """The phase depends only on the feed id and interval (same in every process), within the interval."""
    phases = {feed_phase(f"feed-{i}", 900.0) for i in range(50)}
    assert feed_phase("feed-1", 900.0) == feed_phase("feed-1", 900.0)
    assert all(0 <= p < 900 for p in phases) and len(phases) == 50


class Recorder:
    """Serves feeds and records the wall-clock time of every GET per path; /slow.xml never answers."""

    def __init__(self, server: LoopbackServer) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.release = threading.Event()
        for name in ("f1", "f2", "f3"):
            server.routes[f"/{name}.xml"] = self._serve(name)
        server.routes["/slow.xml"] = self._tarpit

    def _serve(self, name: str):  # type: ignore[no-untyped-def]
        def route(handler: Any) -> Route:
            self.times[name].append(time.time())
            return Route(
                200, RSS_HEADERS, rss([(f"urn:{name}:1", f"https://wire.example.com/{name}/1", name)])
            )

        return route

    def _tarpit(self, handler: Any) -> Route:
        self.times["slow"].append(time.time())
        self.release.wait(30)
        return Route(200, RSS_HEADERS, b"")


@pytest.fixture
def recorder(http_server: LoopbackServer) -> Iterator[Recorder]:
    rec = Recorder(http_server)
    yield rec
    rec.release.set()


@pytest.fixture
def sched_env(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Three fast feeds and one tarpit feed (disabled unless a test enables it), interval 2 s."""
    feeds = [
        {
            "id": n,
            "url": http_server.url(f"/{n}.xml"),
            "interval": INTERVAL,
            "min_interval": 1,
            "adaptive": False,
        }
        for n in ("f1", "f2", "f3")
    ]
    values = {
        **env,
        "MONITOR_CONFIG_DIR": str(write_config(tmp_path / "config", feeds)),
        "MONITOR_HOST_MIN_START_INTERVAL": "0",
        "MONITOR_HOST_MAX_CONCURRENT": "10",
        "MONITOR_FETCH_TOTAL_TIMEOUT": "1.5",
        "MONITOR_HOST_WAIT_MAX": "1",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def _add_tarpit(env: dict[str, str], http_server: LoopbackServer) -> None:
    path = Path(env["MONITOR_CONFIG_DIR"]) / "feeds.yaml"
    path.write_text(
        path.read_text() + f"- id: slow\n  url: {http_server.url('/slow.xml')}\n"
        f"  interval: {INTERVAL}\n  min_interval: 1\n  adaptive: false\n"
    )


@pytest.fixture
def workers(sched_env: dict[str, str]) -> Iterator[Any]:
    """Start ``n`` real `monitor worker --queues polls` processes; stopped after the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(n: int) -> None:
        for _ in range(n):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "monitor", "worker", "--queues", "polls"],
                    cwd=ROOT,
                    env={**os.environ, **sched_env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        client = redis.Redis.from_url(sched_env["MONITOR_REDIS_URL"])
        q = Queue(Keys(sched_env["MONITOR_KEY_PREFIX"]).queue("polls"), connection=client)
        deadline = time.monotonic() + 20
        while Worker.count(queue=q) < n and time.monotonic() < deadline:
            time.sleep(0.1)
        assert Worker.count(queue=q) == n

    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _schedulers(n: int, **kwargs: Any) -> list[FeedScheduler]:
    settings = Settings.load()
    config = Config.load(settings.config_dir)
    return [
        FeedScheduler(
            settings,
            redis.Redis.from_url(settings.redis_url),
            Keys(settings.key_prefix),
            list(config.feeds.feeds),
            instance_id=f"s{i}",
            **kwargs,
        )
        for i in range(n)
    ]


def _slots(times: list[float], feed_id: str) -> list[int]:
    phase = feed_phase(feed_id, INTERVAL)
    return [math.floor((t - phase) / INTERVAL) for t in times]


def _drain(client: redis.Redis, prefix: str, timeout: float = 10.0) -> None:
    """Wait until the polls queue is empty and no poll job is running."""
    q = Queue(Keys(prefix).queue("polls"), connection=client, serializer=JSONSerializer)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (q.count or q.started_job_registry.count):
        time.sleep(0.1)


def _lateness(times: list[float], feed_id: str) -> list[float]:
    """Seconds from the start of each GET's slot to the GET."""
    phase = feed_phase(feed_id, INTERVAL)
    return [round(t - slot_start(t, INTERVAL, phase), 2) for t in times]


def test_two_schedulers_poll_each_feed_once_per_slot(
    sched_env: dict[str, str], recorder: Recorder, workers: Any, redis_client: redis.Redis
) -> None:
    """Two scheduler instances (own Redis clients, no leader lock) and three RQ workers over ~5
    slots: each of 3 feeds gets exactly one GET per 2-s slot (none twice, none skipped), and its
    one item is enqueued on `entries` exactly once."""
    prefix = sched_env["MONITOR_KEY_PREFIX"]
    workers(3)
    scheds = _schedulers(2, use_leader_lock=False)
    for s in scheds:
        s.start()
    time.sleep(5 * INTERVAL + 0.3)
    for s in scheds:
        s.shutdown()
    _drain(redis_client, prefix)
    for feed in ("f1", "f2", "f3"):
        claimed = sorted(int(k.rsplit(b":", 1)[1]) for k in redis_client.keys(f"{prefix}:poll-slot:{feed}:*"))
        assert claimed == list(range(claimed[0], claimed[0] + INTERVAL * len(claimed), INTERVAL)), claimed
        assert len(claimed) >= 5
        assert len(recorder.times[feed]) == len(claimed), (feed, _lateness(recorder.times[feed], feed))
    entries = Queue(Keys(prefix).queue("entries"), connection=redis_client, serializer=JSONSerializer)
    assert sorted(job.args[0]["feed_id"] for job in entries.get_jobs()) == ["f1", "f2", "f3"]


def test_tarpit_feed_does_not_delay_the_others(
    sched_env: dict[str, str],
    recorder: Recorder,
    workers: Any,
    http_server: LoopbackServer,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A feed whose server never answers times out at the 1.5-s deadline (error recorded, later
    slots still polled, no "maximum number of running instances" skip) while the 3 other feeds
    are fetched in every slot, within 90 % of the interval after its start."""
    _add_tarpit(sched_env, http_server)
    workers(3)
    [sched] = _schedulers(1)
    sched.start()
    time.sleep(5 * INTERVAL + 0.3)
    sched.shutdown()
    _drain(redis_client, sched_env["MONITOR_KEY_PREFIX"])
    for feed in ("f1", "f2", "f3"):
        times = recorder.times[feed]
        slots = _slots(times, feed)
        claimed = sorted(
            int(k.rsplit(b":", 1)[1])
            for k in redis_client.keys(f"{sched_env['MONITOR_KEY_PREFIX']}:poll-slot:{feed}:*")
        )
        assert slots == list(range(slots[0], slots[0] + len(slots))) and len(slots) >= 5, (
            feed,
            slots,
            _lateness(times, feed),
            times,
            claimed,
        )
        assert max(_lateness(times, feed)) < 0.9 * INTERVAL, (feed, _lateness(times, feed))
    assert len(recorder.times["slow"]) >= 2
    state = FeedStateStore(redis_client, Keys(sched_env["MONITOR_KEY_PREFIX"]), 86400).load("slow")
    assert state.last_error is not None and state.last_error.startswith("timeout")
    assert state.consecutive_errors >= 2 and state.health in ("degraded", "failing")
    assert not [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]


def test_standby_takes_over_when_the_leader_stops(
    sched_env: dict[str, str],
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With a 1-s leader lock, B is standby while A leads; when A stops without releasing, B
    enqueues the next slots itself: every slot of f1 enqueued exactly once, no gap."""
    monkeypatch.setenv("MONITOR_SCHEDULER_LEADER_TTL", "1")
    enqueued: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def recorder_for(name: str):  # type: ignore[no-untyped-def]
        def enqueue(feed_id: str, slot: int) -> str:
            with lock:
                enqueued.append((name, feed_id, slot))
            return f"{name}-{slot}"

        return enqueue

    settings = Settings.load()
    config = Config.load(settings.config_dir)
    a, b = (
        FeedScheduler(
            settings,
            redis.Redis.from_url(settings.redis_url),
            Keys(settings.key_prefix),
            list(config.feeds.feeds),
            instance_id=name,
            enqueue_poll=recorder_for(name),
        )
        for name in ("A", "B")
    )
    a.start()
    time.sleep(0.3)
    b.start()
    time.sleep(2 * INTERVAL)
    assert b.leader is not None and b.leader.held is False
    a.scheduler.shutdown(wait=True)  # A dies: it never releases the lock
    time.sleep(3 * INTERVAL)
    b.shutdown()
    f1 = [(who, slot) for who, feed, slot in enqueued if feed == "f1"]
    slots = [slot for _, slot in f1]
    assert slots == list(range(slots[0], slots[0] + INTERVAL * len(slots), INTERVAL)), f1
    assert {who for who, _ in f1} == {"A", "B"}
    assert len(f1) >= 4


def test_scheduler_follows_the_interval_stored_by_polls(
    sched_env: dict[str, str], redis_client: redis.Redis
) -> None:
    """When a poll stores a new (adaptive or server-imposed) interval, the feed's job is rescheduled
    to it at its next firing and the slot is computed with it; a slot of the new grid that began
    before the feed's last poll is not polled again."""
    enqueued: list[int] = []
    settings = Settings.load()
    config = Config.load(settings.config_dir)
    sched = FeedScheduler(
        settings,
        redis_client,
        Keys(settings.key_prefix),
        list(config.feeds.feeds),
        use_leader_lock=False,
        enqueue_poll=lambda feed_id, slot: str(enqueued.append(slot)),
    )
    store = FeedStateStore(redis_client, Keys(settings.key_prefix), 86400)
    sched.start()
    # only the test's ticks poll: a background firing at a 30-s slot boundary would take the slot
    # between the test's save and its tick, and the tick would return "taken"
    sched.scheduler.pause()
    try:
        assert sched.scheduler.get_job("f1").trigger.interval == INTERVAL
        state = store.load("f1")
        state.interval = 30.0
        store.save("f1", state)
        assert sched.tick("f1") == "enqueued"
        job = sched.scheduler.get_job("f1")
        assert isinstance(job.trigger, SlotTrigger) and job.trigger.interval == 30.0
        assert job.trigger.phase == feed_phase("f1", 30.0)
        assert enqueued[-1] == int(slot_start(time.time(), 30.0, feed_phase("f1", 30.0)))
        state = store.load("f1")
        state.interval, state.last_slot = 60.0, int(time.time())  # polled a moment ago on the 30-s grid
        store.save("f1", state)
        assert sched.tick("f1") == "taken"  # the 60-s slot in progress began before that poll
        assert sched.scheduler.get_job("f1").trigger.interval == 60.0
    finally:
        sched.shutdown()


def test_reload_adds_and_drops_feeds(sched_env: dict[str, str], redis_client: redis.Redis) -> None:
    """Reloading [f1, f4] drops the jobs of f2 and f3, and schedules f4, polled within one interval."""
    enqueued: list[str] = []
    settings = Settings.load()
    config = Config.load(settings.config_dir)
    sched = FeedScheduler(
        settings,
        redis_client,
        Keys(settings.key_prefix),
        list(config.feeds.feeds),
        use_leader_lock=False,
        enqueue_poll=lambda feed_id, slot: str(enqueued.append(feed_id)),
    )
    f1 = config.feeds.feeds[0]
    f4 = f1.model_copy(update={"id": "f4", "url": f1.url.replace("f1", "f4")})
    sched.start()
    try:
        time.sleep(0.5)
        sched.reload([f1, f4])
        time.sleep(INTERVAL + 0.3)
        assert sorted(job.id for job in sched.scheduler.get_jobs()) == ["f1", "f4"]
        assert "f4" in enqueued
    finally:
        sched.shutdown()


def test_a_redis_outage_is_one_log_line_not_a_traceback_per_firing(
    sched_env: dict[str, str], redis_client: redis.Redis
) -> None:
    """Firings while Redis does not answer are skipped with one ``redis_unavailable`` line for the
    outage (a bad-input trial saw a traceback per feed and tick), and ``redis_available`` after."""
    import socket

    from structlog.testing import capture_logs

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    down = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    settings = Settings.load()
    config = Config.load(settings.config_dir)
    sched = FeedScheduler(settings, down, Keys(settings.key_prefix), list(config.feeds.feeds),
                          use_leader_lock=False, enqueue_poll=lambda feed_id, slot: "job")
    with capture_logs() as logs:
        assert [sched.tick("f1"), sched.tick("f2"), sched.tick("f1")] == ["redis-down"] * 3
        sched.r = sched.store.r = redis_client
        assert sched.tick("f1") == "enqueued"
    events = [e["event"] for e in logs if e["event"].startswith("redis_")]
    assert events == ["redis_unavailable", "redis_available"]
    # the leader lock's renewal job too: a trial saw its traceback every 10 s of an outage
    led = FeedScheduler(settings, down, Keys(settings.key_prefix), list(config.feeds.feeds),
                        use_leader_lock=True, enqueue_poll=lambda feed_id, slot: "job")
    assert led._renew_leader() == "redis-down"


def test_a_broken_feeds_edit_keeps_the_schedule_and_is_recorded(
    sched_env: dict[str, str], redis_client: redis.Redis
) -> None:
    """``monitor scheduler``'s reload of a feeds.yaml that does not validate keeps the running feeds
    and returns the error, which the scheduler records for /healthz and ``monitor status``."""
    from monitor.cli_scheduler import _reload
    from monitor.config_health import record_reload, reload_errors

    settings = Settings.load()
    config = Config.load(settings.config_dir)
    keys = Keys(settings.key_prefix)
    sched = FeedScheduler(settings, redis_client, keys, list(config.feeds.feeds), use_leader_lock=False,
                          enqueue_poll=lambda feed_id, slot: "")
    path = settings.config_dir / "feeds.yaml"
    sched.start()
    try:
        before = sorted(job.id for job in sched.scheduler.get_jobs())
        path.write_text("feeds:\n  - id: f1\n    url: [not, a, url]\n", encoding="utf-8")
        error = _reload(sched, path)
        assert error is not None and "feeds.yaml:3:" in error
        assert sorted(job.id for job in sched.scheduler.get_jobs()) == before
        record_reload(redis_client, keys, "feeds", error)
        assert reload_errors(redis_client, keys)["feeds"]["error"] == error
        record_reload(redis_client, keys, "feeds", None)
        assert reload_errors(redis_client, keys) == {}
        # an emptied file (a save cut short) keeps the schedule too; 'feeds: []' is meant
        path.write_text("", encoding="utf-8")
        assert "the file is empty: the 3 scheduled feeds are kept" in (_reload(sched, path) or "")
        assert sorted(job.id for job in sched.scheduler.get_jobs()) == before
        path.unlink()
        assert "the file is gone: the 3 scheduled feeds are kept" in (_reload(sched, path) or "")
        path.write_text("feeds: []\n", encoding="utf-8")
        assert _reload(sched, path) is None
        assert sched.scheduler.get_jobs() == []
    finally:
        sched.shutdown()


def test_paused_scheduler_polls_once_on_resume(
    sched_env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer
) -> None:
    """A `monitor scheduler` process stopped (SIGSTOP) over two slots and resumed mid-slot enqueues
    exactly one poll at once, for the slot it resumes in; the slots missed while stopped are not
    replayed (no burst), and polling goes on in the next slot."""
    write_config(
        Path(sched_env["MONITOR_CONFIG_DIR"]),
        [
            {
                "id": "f1",
                "url": http_server.url("/f1.xml"),
                "interval": INTERVAL,
                "min_interval": 1,
                "adaptive": False,
            }
        ],
    )
    phase = feed_phase("f1", INTERVAL)
    keys = Keys(sched_env["MONITOR_KEY_PREFIX"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "scheduler"],
        cwd=ROOT,
        env={**os.environ, **sched_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(1.5 + INTERVAL)
        proc.send_signal(signal.SIGSTOP)
        stopped = time.time()
        resume_at = slot_start(stopped + 2.5 * INTERVAL, INTERVAL, phase) + INTERVAL / 2  # mid-slot
        time.sleep(resume_at - time.time())
        proc.send_signal(signal.SIGCONT)
        resumed = time.time()
        time.sleep(0.4)
        q = Queue(keys.queue("polls"), connection=redis_client, serializer=JSONSerializer)
        jobs = [
            (job.args[1], job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC).timestamp())
            for job in q.get_jobs()
        ]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    after = [slot for slot, at in jobs if at >= resumed]
    assert after == [int(slot_start(resumed, INTERVAL, phase))], (jobs, stopped, resumed)
    missed = [slot for slot, at in jobs if stopped < slot < after[0]]
    assert missed == []
    assert any(at < stopped for _, at in jobs)
    assert b'"scheduler_started"' in out and b'"scheduler_leader"' in out


def test_the_same_url_under_two_feed_ids_is_a_warning_naming_both(
    sched_env: dict[str, str], redis_client: redis.Redis
) -> None:
    """A feed pasted twice under two ids was polled twice with no word said (a bad-input trial):
    the scheduler names both ids at start and at a reload; scheme and host case do not matter."""
    from structlog.testing import capture_logs

    settings = Settings.load()
    f1 = Config.load(settings.config_dir).feeds.feeds[0]
    copy = f1.model_copy(update={"id": "f1-again", "url": f1.url.replace("http://", "HTTP://")})
    with capture_logs() as logs:
        sched = FeedScheduler(settings, redis_client, Keys(settings.key_prefix), [f1, copy],
                              use_leader_lock=False, enqueue_poll=lambda feed_id, slot: feed_id)
        sched.reload([f1])
        sched.reload([f1, copy.model_copy(update={"enabled": False})])
    warned = [e for e in logs if e["event"] == "feed_url_repeated"]
    assert [(e["feed_ids"], e["feed_url"]) for e in warned] == [(["f1", "f1-again"], f1.url)]
