"""Operations: ``monitor status --json``, metrics from Redis, /healthz, the embedded Redis, the demo."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from monitor.embedded_redis import EmbeddedRedis, redis_answers
from monitor.errors import ConfigError
from monitor.keys import Keys
from monitor.metrics import render
from monitor.settings import Settings
from monitor.web_ops import healthz
from tests.conftest import ROOT, LoopbackServer, Route
from tests.helpers import json_lines, run_monitor
from tests.service_helpers import alive, article, enqueue_entry, wait_for
from workers.jobs import queue

needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed"
)


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text.decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_redis_url_unset_is_detectable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings say whether MONITOR_REDIS_URL was given, so only an unset URL may start an embedded Redis."""
    monkeypatch.delenv("MONITOR_REDIS_URL", raising=False)
    assert Settings.load().redis_url_is_default is True
    assert Settings.load().redis_url == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("MONITOR_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert Settings.load().redis_url_is_default is False


@pytest.mark.integration
def test_status_json_reports_queues_failed_jobs_and_feeds_in_error(
    env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    """`monitor status --json` shows a failed delivery job with its error, queue depths and a failing feed."""
    prefix = env["MONITOR_KEY_PREFIX"]
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(ROOT / "config" / "topics.yaml", config / "topics.yaml")
    (config / "feeds.yaml").write_text(
        "feeds:\n  - id: broken-wire\n    url: https://news.example.com/rss\n"
        "  - id: quiet-wire\n    url: https://news.example.net/rss\n    enabled: false\n",
        encoding="utf-8",
    )
    env = {**env, "MONITOR_CONFIG_DIR": str(config)}
    redis_client.hset(
        f"{prefix}:feed:broken-wire:state",
        mapping={
            "last_error": "https://news.example.com/rss: HTTP 503",
            "consecutive_errors": "3",
            "last_poll_at": "1764400000.0",
        },
    )
    q = queue(redis_client, Keys(prefix), "alerts")
    q.enqueue(
        "workers.jobs.deliver_alert",
        "no-such-alert",
        "log",
        job_timeout=30,
        result_ttl=60,
        failure_ttl=600,
        retry=None,
    )
    q.enqueue(
        "workers.jobs.deliver_alert",
        "another-missing",
        "log",
        job_timeout=30,
        result_ttl=60,
        failure_ttl=600,
        retry=None,
    )
    assert run_monitor("worker", "--burst", "--queues", "alerts", env=env).returncode == 0
    q.enqueue(
        "workers.jobs.deliver_alert",
        "still-queued",
        "log",
        job_timeout=30,
        result_ttl=60,
        failure_ttl=600,
        retry=None,
    )

    proc = run_monitor("status", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    [data] = json_lines(proc.stdout)
    assert data["redis"]["ok"] is True
    assert data["redis"]["url"] == env["MONITOR_REDIS_URL"]
    assert data["key_prefix"] == prefix
    assert data["queues"]["alerts"]["queued"] == 1
    assert data["queues"]["alerts"]["failed"] == 2
    assert data["queues"]["entries"] == {
        "queued": 0,
        "started": 0,
        "scheduled": 0,
        "deferred": 0,
        "failed": 0,
        "finished": 0,
    }
    assert data["workers"] == []
    assert data["failed_jobs"]["count"] == 2
    assert {j["function"] for j in data["failed_jobs"]["recent"]} == {"workers.jobs.deliver_alert"}
    assert all("LookupError" in j["error"] for j in data["failed_jobs"]["recent"])
    assert data["feeds"]["configured"] == 2
    assert data["feeds"]["enabled"] == 1
    assert data["feeds"]["in_error"] == [
        {
            "feed_id": "broken-wire",
            "health": "failing",
            "error": "https://news.example.com/rss: HTTP 503",
            "consecutive_errors": 3,
        }
    ]


@pytest.mark.integration
def test_metrics_count_entries_items_alerts_and_job_durations(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer
) -> None:
    """One on-topic entry processed twice: /metrics counts 2 entries, 1 item, 1 duplicate, 1 alert."""
    http_server.routes["/a.html"] = Route(
        200, {"Content-Type": "text/html; charset=utf-8"}, article("Terror cell arrested in the port city")
    )
    prefix = env["MONITOR_KEY_PREFIX"]
    enqueue_entry(redis_client, prefix, http_server.url("/a.html"), "Terror cell arrested")
    enqueue_entry(redis_client, prefix, http_server.url("/a.html"), "Terror cell arrested")
    assert run_monitor("worker", "--burst", env=env).returncode == 0
    s = _samples(render(redis_client, Keys(prefix)))
    assert s[("monitor_entries_total", ())] == 2
    assert s[("monitor_items_total", (("dedup", "new"),))] == 1
    assert sum(v for (name, _), v in s.items() if name == "monitor_duplicates_total") == 1
    assert s[("monitor_alerts_total", (("rule", "security-desk"),))] == 1
    assert (
        s[
            (
                "monitor_jobs_total",
                (("function", "process_entry"), ("outcome", "succeeded"), ("queue", "entries")),
            )
        ]
        == 2
    )
    assert (
        s[("monitor_job_duration_seconds_count", (("function", "process_entry"), ("queue", "entries")))] == 2
    )
    assert s[("monitor_deliveries_total", (("channel", "log"), ("outcome", "delivered")))] == 1
    assert s[("monitor_queue_depth", (("queue", "entries"), ("state", "queued")))] == 0
    assert s[("monitor_queue_depth", (("queue", "entries"), ("state", "finished")))] == 2
    assert s[("monitor_workers", ())] == 0


@pytest.mark.integration
def test_same_url_twice_runs_two_rq_jobs_and_alerts_once(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer
) -> None:
    """Case 24: one URL from two feeds is two jobs with RQ's own UUIDs, both finish; dedup gives one alert."""
    http_server.routes["/same.html"] = Route(
        200, {"Content-Type": "text/html; charset=utf-8"}, article("Terror cell arrested near the border")
    )
    prefix = env["MONITOR_KEY_PREFIX"]
    ids = [
        enqueue_entry(redis_client, prefix, http_server.url("/same.html"), "Terror cell") for _ in range(2)
    ]
    assert ids[0] != ids[1]
    assert all(str(uuid.UUID(i)) == i for i in ids)
    work = run_monitor("worker", "--burst", env=env)
    assert work.returncode == 0
    first, second = (Job.fetch(i, connection=redis_client, serializer=JSONSerializer) for i in ids)
    assert (first.get_status(), second.get_status()) == (JobStatus.FINISHED, JobStatus.FINISHED)
    assert first.return_value()["alerts"] == ["security-desk"]
    assert second.return_value()["alerts"] == []
    assert second.return_value()["duplicate_of"] == first.return_value()["id"]
    assert redis_client.xlen(f"{prefix}:alerts") == 1
    # the JSON log lines of the job carry the stable keys: job, feed, entry, story, alert
    events = [e for e in json_lines(work.stdout) if e.get("event") in ("item_processed", "alert_recorded")]
    recorded = [e for e in events if e["event"] == "alert_recorded"]
    assert [e["job_id"] for e in recorded] == [ids[0]]
    assert recorded[0]["story_id"] == first.return_value()["story_id"]
    assert recorded[0]["alert_id"] == first.return_value()["alert_ids"][0]
    assert {(e["feed_id"], e["entry_url"]) for e in events} == {("test-feed", http_server.url("/same.html"))}


@pytest.mark.integration
def test_a_page_worth_retrying_logs_one_line_not_a_traceback(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer
) -> None:
    """A 503 (or a timeout) on an article page is retried by RQ: the job says ``page_fetch_retry``
    with the error and the worker ``job_will_retry``; RQ's traceback beside them was noise (a
    bad-input trial). An error that is not retried keeps its traceback."""
    http_server.routes["/busy.html"] = Route(503, {"Content-Type": "text/plain"}, b"busy")
    job_id = enqueue_entry(redis_client, env["MONITOR_KEY_PREFIX"], http_server.url("/busy.html"),
                           "Ceasefire talks", retry_interval=600)
    work = run_monitor("worker", "--burst", "--queues", "entries", env=env)
    assert work.returncode == 0, work.stderr
    events = {e.get("event"): e for e in json_lines(work.stdout)}
    assert "HTTP 503" in events["page_fetch_retry"]["error"]
    assert events["job_will_retry"]["job_id"] == job_id and events["job_will_retry"]["retries_left"] == 3
    assert "Traceback" not in work.stdout + work.stderr
    job = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.SCHEDULED


@pytest.mark.integration
def test_healthz_needs_redis_and_a_worker(env: dict[str, str], redis_client: redis.Redis) -> None:
    """/healthz is 503 naming the reason with no worker, 200 once a worker is registered on our queues."""
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    status, body = healthz(redis_client, keys)
    assert (status, body["status"], body["reason"]) == (
        503,
        "unhealthy",
        "no worker is registered on the queues",
    )
    worker = Worker([keys.queue("entries")], connection=redis_client, serializer=JSONSerializer)
    worker.register_birth()
    try:
        status, body = healthz(redis_client, keys)
        assert (status, body["status"], body["workers"]) == (200, "ok", 1)
    finally:
        worker.register_death()


@pytest.mark.integration
def test_a_worker_silent_for_minutes_is_not_counted_by_healthz_and_is_marked_by_status(
    env: dict[str, str], redis_client: redis.Redis
) -> None:
    """A SIGKILLed worker stayed registered, and /healthz said "ok, 1 worker", for 8 minutes (a
    trial): RQ expires its key 480 s after its last heartbeat. A worker silent for longer than
    three of its idle heartbeats (210 s by default) is not counted, and status says it is silent."""
    from datetime import UTC, datetime, timedelta

    from monitor.config import Config
    from monitor.status import collect, render_text, workers_info

    keys = Keys(env["MONITOR_KEY_PREFIX"])
    silent_after = Settings.load().worker_silent_after
    assert silent_after == 210.0
    worker = Worker([keys.queue("entries")], connection=redis_client, serializer=JSONSerializer)
    worker.register_birth()
    try:
        assert healthz(redis_client, keys, silent_after)[0] == 200
        old = (datetime.now(UTC) - timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        redis_client.hset(worker.key, "last_heartbeat", old)
        status, body = healthz(redis_client, keys, silent_after)
        assert (status, body["reason"]) == (503, "no worker is registered on the queues")
        [info] = workers_info(redis_client, keys, silent_after)
        assert info["state"] == "silent"
        data = collect(redis_client, Settings.load(), Config.load(ROOT / "config"))
        assert f"silent: no heartbeat since {info['last_heartbeat']}, likely dead" in render_text(data)
    finally:
        worker.register_death()


@pytest.mark.integration
def test_a_worker_registers_again_when_redis_lost_its_registration(
    env: dict[str, str], redis_client: redis.Redis
) -> None:
    """After a Redis restarted without its data, RQ workers ran on but were never registered again,
    so /healthz answered 503 "no worker is registered" for good (a bad-input trial). The next
    heartbeat registers the worker again."""
    from monitor.rqworker import MonitorWorker

    keys = Keys(env["MONITOR_KEY_PREFIX"])
    worker = MonitorWorker([keys.queue("entries")], connection=redis_client, serializer=JSONSerializer, keys=keys)
    worker.register_birth()
    try:
        assert healthz(redis_client, keys)[0] == 200
        redis_client.flushdb()  # what a restart without persistence leaves
        assert healthz(redis_client, keys)[1]["reason"] == "no worker is registered on the queues"
        worker.heartbeat()
        status, body = healthz(redis_client, keys)
        assert (status, body["workers"]) == (200, 1)
        worker.heartbeat()  # registered: nothing more to do
        assert healthz(redis_client, keys)[0] == 200
    finally:
        worker.register_death()


@needs_redis_server
def test_healthz_and_metrics_answer_503_in_seconds_while_redis_is_frozen(tmp_path: Path) -> None:
    """A frozen Redis (SIGSTOP: it accepts connections and never answers) held /healthz over 40 s
    with the daemon's client (30 s reads, 5 retries; a bad-input trial). The ops routes read
    through a 2 s probe client: a 503 naming Redis, and 200 again once it runs."""
    from monitor.proc import free_port
    from monitor.redisconn import connect
    from monitor.web import WebApp, WebServer
    from monitor.web_ops import add_ops_routes

    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: redis_answers(url), 20, "the test's redis-server")
        keys = Keys("frozen")
        connection = connect(url)
        Worker([keys.queue("entries")], connection=connection, serializer=JSONSerializer).register_birth()
        app = WebApp()
        probe = add_ops_routes(app, connection, keys)
        web = WebServer(app, "127.0.0.1", free_port()).start()

        def get(path: str) -> tuple[str, bytes]:
            response = httpx.get(web.url + path, timeout=120)
            return str(response.status_code), response.content

        assert get("/healthz")[0].startswith("200")
        server.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            status, body = get("/healthz")
            metrics_status, _ = get("/metrics")
            waited = time.monotonic() - started
            # side by side too, as a load balancer's probes and a scrape come (a trial saw those wait)
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(6) as pool:
                side_by_side = list(pool.map(get, ["/healthz"] * 4 + ["/metrics"] * 2))
            waited_side_by_side = time.monotonic() - started - waited
        finally:
            server.send_signal(signal.SIGCONT)
        assert status.startswith("503") and metrics_status.startswith("503")
        assert b'"redis": "down"' in body and b"Timeout" in body
        assert waited < 15, waited  # two 2 s probes, not minutes
        assert [code for code, _ in side_by_side] == ["503"] * 6
        assert waited_side_by_side < 20, waited_side_by_side
        assert get("/healthz")[0].startswith("200")
        web.stop()
        probe.close()
        connection.close()
    finally:
        server.terminate()
        server.wait(10)


@needs_redis_server
def test_embedded_redis_persists_with_aof_and_stops(tmp_path: Path) -> None:
    """The embedded Redis answers on loopback with appendonly under the state dir and the dedup
    index's hash limits; stop() ends it."""
    server = EmbeddedRedis(tmp_path / "state")
    url = server.start()
    assert server.process is not None
    pid = server.process.pid
    try:
        client = redis.Redis.from_url(url)
        assert url.startswith("redis://127.0.0.1:")
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("dir")["dir"] == str(tmp_path / "state" / "redis")
        assert client.config_get("hash-max-listpack-*") == {
            "hash-max-listpack-entries": "512",
            "hash-max-listpack-value": "64",
        }
        client.set("kept", "1")
        with pytest.raises(ConfigError, match="in use by another monitor daemon"):
            EmbeddedRedis(tmp_path / "state").start()
    finally:
        server.stop()
    assert not alive(pid)
    assert not redis_answers(url)
    again = EmbeddedRedis(tmp_path / "state")
    url2 = again.start()
    try:
        assert redis.Redis.from_url(url2).get("kept") == b"1"  # the AOF brought the data back
    finally:
        again.stop()


@needs_redis_server
def test_embedded_redis_dies_with_a_killed_daemon(tmp_path: Path) -> None:
    """kill -9 of the process that started the embedded Redis leaves no orphaned redis-server."""
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom monitor.embedded_redis import EmbeddedRedis\n"
        "s = EmbeddedRedis(Path(sys.argv[1]))\ns.start()\nprint('PID', s.process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "state")], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = wait_for(
        lambda: next((ln for ln in iter(proc.stdout.readline, "") if ln.startswith("PID ")), None),
        15,
        "the embedded redis-server's pid",
    )
    redis_pid = int(line.split()[1])
    proc.stdout.close()
    assert alive(redis_pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_for(
        lambda: not alive(redis_pid), 10, f"redis-server {redis_pid} to exit after its parent was killed"
    )


@pytest.mark.integration
@pytest.mark.slow
def test_demo_prints_alerts_with_reasons_and_cleans_up(
    env: dict[str, str], redis_client: redis.Redis
) -> None:
    """`monitor demo --duration 40` prints alerts with reasons in three languages, exits 0, leaves no keys."""
    started = time.monotonic()
    proc = run_monitor("demo", "--duration", "40", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 75
    out = proc.stdout
    assert "ALERT [ar] تعزيز التعاون الأمني بين مصر والاتحاد الأوروبي" in out
    assert "why:   rule security-desk: counter-terrorism" in out
    assert "ALERT [en] Police foil bomb plot targeting central rail station, three arrested" in out
    assert "ALERT [fr] Démantèlement d'une cellule terroriste près de Marseille" in out
    assert "cycling lanes" not in out and "jazz" not in out  # off-topic articles raise no alert
    assert "demo stopped:" in out
    assert not list(redis_client.scan_iter(match="demo-*"))
    assert not list(redis_client.scan_iter(match="rq:*:demo-*"))
    assert not [q for q in redis_client.smembers("rq:queues") if b"demo-" in q]


@pytest.mark.integration
@pytest.mark.slow
def test_run_serves_metrics_and_healthz_over_http(env: dict[str, str], tmp_path: Path) -> None:
    """`monitor run --workers 0` serves /metrics (200, Prometheus text) and /healthz (503: no worker)."""
    import json
    import re
    import urllib.error
    import urllib.request

    from tests.service_helpers import Daemon

    daemon = Daemon(env, tmp_path / "daemon.log", "--workers", "0", "--no-scheduler")
    try:
        found = wait_for(
            lambda: re.search(r'"url": "(http://127\.0\.0\.1:\d+)"', daemon.log_text()),
            15,
            "the http_serving log line",
        )
        base = found.group(1)
        with urllib.request.urlopen(base + "/metrics", timeout=5) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain; version=")
            s = _samples(resp.read())
        assert s[("monitor_workers", ())] == 0
        assert s[("monitor_queue_depth", (("queue", "polls"), ("state", "queued")))] == 0
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/healthz", timeout=5)
        assert err.value.code == 503
        assert json.loads(err.value.read())["reason"] == "no worker is registered on the queues"
    finally:
        code, _ = daemon.stop()
    assert code == 0


def test_demo_refuses_broken_topic_rules_naming_the_file(env: dict[str, str], tmp_path: Path) -> None:
    """A config folder whose topics.yaml is broken: the demo exits 2 naming that file and line, instead
    of printing "0 alert(s)" while its workers fail on a temporary copy (an analyst's trial)."""
    folder = tmp_path / "draft"
    shutil.copytree(Path(__file__).resolve().parent.parent / "config", folder)
    rules = folder / "topics.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("threshold: 6.5", "threshold: 0", 1), encoding="utf-8")
    proc = run_monitor("demo", "--duration", "5", env={**env, "MONITOR_CONFIG_DIR": str(folder)}, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {rules}:")
    assert "topics.diplomacy.threshold" in proc.stderr and "alert(s)" not in proc.stdout


def test_demo_config_links_the_real_topic_rules(tmp_path: Path) -> None:
    """The demo's topics.yaml is a link to config/topics.yaml, so an analyst's edit of the real
    rules reaches the demo's workers (which reload it) instead of a copy nobody edits."""
    from monitor.demo import write_demo_config

    rules = tmp_path / "topics.yaml"
    rules.write_text("topics: {}\n", encoding="utf-8")
    demo = tmp_path / "demo"
    demo.mkdir()
    write_demo_config(demo, {"en1": "http://127.0.0.1:1/feed"}, {"en1": "en"}, rules)
    assert (demo / "topics.yaml").resolve() == rules.resolve()
    rules.write_text("topics: {edited: true}\n", encoding="utf-8")
    assert (demo / "topics.yaml").read_text(encoding="utf-8") == "topics: {edited: true}\n"
