"""Polling: feeds per minute on 2 cores against a loopback server of 5,000 feeds, and CPU per 304 vs 200.

Set-up: ``feedserver.py`` (a raw asyncio HTTP server in its own process) serves 5,000 generated
feeds: every fifth is *changed* (``200`` with 50 entries, all new: 50 entry jobs enqueued), the
other four fifths are *unchanged* (``304`` to the ``If-None-Match`` of the ETag their state holds,
written beforehand through ``FeedStateStore``). ``feeds.yaml`` lists the 5,000 feeds. Per-host
politeness is lifted (``MONITOR_HOST_MAX_CONCURRENT``, ``MONITOR_HOST_MIN_START_INTERVAL``) since
every feed lives on 127.0.0.1 here and stands for a feed of its own host.

Throughput: two ``monitor worker --queues polls`` processes (RQ forking workers, as deployed) are
started and registered, then one ``poll_feed`` job per feed is enqueued; the clock runs from the
first enqueue until every job has finished or failed (or the time cap, then the rate is that of
the polls done). The feed server and Redis run on the same 2 cores.

CPU per poll: ``time.process_time`` around ``workers.polls.poll_feed`` (the RQ job function, with
its per-job set-up, which re-reads ``feeds.yaml``: only a couple of samples, each costs seconds
with 5,000 feeds) and around ``Poller.poll`` alone (one shared client and Redis connection), in
this process, for sample feeds of each kind; medians. Redis and server CPU are not included.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchkit import CONFIG_DIR, ROOT, Ctx, median

EVERY = 5  #: one feed in EVERY answers 200 with 50 entries; the others 304
PREFIX = "bench"


def _env(ctx: Ctx, config_dir: Path) -> dict[str, str]:
    return {
        "MONITOR_REDIS_URL": ctx.redis_url,
        "MONITOR_KEY_PREFIX": PREFIX,
        "MONITOR_CONFIG_DIR": str(config_dir),
        "MONITOR_STATE_DIR": str(ctx.tmp / "state"),
        "MONITOR_LOG_FORMAT": "json",
        "MONITOR_LOG_LEVEL": "info",
        "MONITOR_ALLOW_PRIVATE_ADDRESSES": "true",
        "MONITOR_HOST_MAX_CONCURRENT": "10000",
        "MONITOR_HOST_MIN_START_INTERVAL": "0",
    }


@contextmanager
def feed_server(every: int = EVERY) -> Any:
    """Start ``feedserver.py``; yield its port; stop it (by its own pid)."""
    script = str(Path(__file__).with_name("feedserver.py"))
    proc = subprocess.Popen([sys.executable, script, "--every", str(every)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)


def write_config(config_dir: Path, port: int, ids: list[int]) -> None:
    """``feeds.yaml`` with one feed per id, plus the repo's topics and alerts."""
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in ("topics.yaml", "alerts.yaml"):
        shutil.copy(CONFIG_DIR / name, config_dir / name)
    lines = ["feeds:"]
    for n in ids:
        lines.append(f"  - id: f{n}\n    url: \"http://127.0.0.1:{port}/f/{n}.xml\"\n    interval: 900\n"
                     f"    language: en")
    (config_dir / "feeds.yaml").write_text("\n".join(lines) + "\n")


def prime_states(ctx: Ctx, ids: list[int]) -> None:
    """Give every unchanged feed the ETag of an earlier poll, so its next poll is a 304."""
    from monitor.feedstate import FeedState, FeedStateStore
    from monitor.keys import Keys

    store = FeedStateStore(ctx.client(), Keys(PREFIX), 7 * 86400.0)
    for n in ids:
        if n % EVERY:
            store.save(f"f{n}", FeedState(etag=f'"e{n}"', last_status=200, last_poll_at=time.time() - 900))


@contextmanager
def patched_environ(values: dict[str, str]) -> Any:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cpu_per_poll(ctx: Ctx, env: dict[str, str], changed: list[int], unchanged: list[int],
                 job_samples: int) -> dict[str, Any]:
    """Median CPU of ``poll_feed`` (``job_samples`` per kind, given its feed's config as the scheduler
    sends it) and of ``Poller.poll`` (the rest of the sample feeds) per kind of answer, in milliseconds."""
    from monitor.config import FeedsFile, load_yaml_model
    from monitor.fetch import Fetcher, FetchPolicy
    from monitor.keys import Keys
    from monitor.polling import Poller
    from monitor.settings import Settings
    from workers.polls import enqueue_entry, poll_feed

    out: dict[str, Any] = {}
    with patched_environ(env):
        settings = Settings.load()
        feeds = {f.id: f for f in load_yaml_model(settings.config_dir / "feeds.yaml", FeedsFile).feeds}
        half_c, half_u = job_samples, job_samples
        for kind, ids in (("200", changed[:half_c]), ("304", unchanged[:half_u])):
            times, statuses = [], []
            for n in ids:
                t0 = time.process_time()
                result = poll_feed(f"f{n}", int(time.time()), feeds[f"f{n}"].model_dump(mode="json"))
                times.append(time.process_time() - t0)
                statuses.append(result.get("status"))
            out[f"poll_feed_job_cpu_ms_{kind}"] = round(1000 * median(times), 2)
            out[f"statuses_seen_{kind}"] = sorted(set(map(str, statuses)))
        out["poll_feed_job_samples"] = job_samples
        conn, keys = ctx.client(), Keys(PREFIX)
        with Fetcher(FetchPolicy.from_settings(settings)) as fetcher:
            poller = Poller(settings, conn, keys, fetcher)
            for kind, ids in (("200", changed[half_c:]), ("304", unchanged[half_u:])):
                times = []
                for n in ids:
                    t0 = time.process_time()
                    poller.poll(feeds[f"f{n}"], lambda e: enqueue_entry(conn, keys, e, settings.job_timeout))
                    times.append(time.process_time() - t0)
                out[f"poller_cpu_ms_{kind}"] = round(1000 * median(times), 2)
    out["cpu_304_over_200_job"] = round(out["poll_feed_job_cpu_ms_304"] / out["poll_feed_job_cpu_ms_200"], 3)
    out["cpu_304_over_200_poller"] = round(out["poller_cpu_ms_304"] / out["poller_cpu_ms_200"], 3)
    return out


def throughput(ctx: Ctx, env: dict[str, str], ids: list[int], cap_s: float) -> dict[str, Any]:
    """Two forking RQ workers on the ``polls`` queue; feeds polled per minute."""
    from rq import Worker
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from monitor.config import FeedsFile, load_yaml_model
    from monitor.keys import Keys
    from monitor.settings import Settings
    from workers.jobs import queue
    from workers.polls import enqueue_poll

    conn, keys = ctx.client(), Keys(PREFIX)
    with patched_environ(env):
        config_dir = Settings.load().config_dir
    feeds = {f.id: f.model_dump(mode="json") for f in load_yaml_model(config_dir / "feeds.yaml", FeedsFile).feeds}
    log = (ctx.tmp / "poll-workers.log").open("w")
    full_env = {**os.environ, **env}
    cmd = [sys.executable, "-m", "monitor", "worker", "--queues", "polls", "--name"]
    workers = [subprocess.Popen([*cmd, f"bw{i}"], env=full_env, stdout=log, stderr=log, cwd=ROOT)
               for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while Worker.count(connection=conn) < 2:
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError(f"poll workers did not start; see {ctx.tmp / 'poll-workers.log'}")
            time.sleep(0.2)
        q = queue(conn, keys, "polls")
        finished, failed = FinishedJobRegistry(queue=q), FailedJobRegistry(queue=q)
        slot = int(time.time())
        t0 = time.monotonic()
        for n in ids:
            enqueue_poll(conn, keys, f"f{n}", slot, 300, feeds[f"f{n}"])  # as the scheduler does
        done = 0
        while time.monotonic() - t0 < cap_s:
            done = finished.count + failed.count
            if done >= len(ids):
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - t0
        done = finished.count + failed.count
        entries_q = queue(conn, keys, "entries")
        return {
            "feeds_per_minute": round(done / elapsed * 60),
            "polls_done": done,
            "polls_failed": failed.count,
            "polls_enqueued": len(ids),
            "throughput_seconds": round(elapsed, 1),
            "stopped_at_cap": done < len(ids),
            "entry_jobs_enqueued": entries_q.count,
        }
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(20)
            except subprocess.TimeoutExpired:
                w.kill()
        log.close()


def run(ctx: Ctx) -> dict[str, Any]:
    """Measure the figure; see the module docstring."""
    try:
        import workers.polls  # noqa: F401
        from monitor.polling import Poller  # noqa: F401
    except ImportError as exc:
        return {"status": f"unavailable: polling not landed ({exc})"}
    n_feeds = 30 if ctx.quick else 5000
    n_sample = 8 if ctx.quick else 80
    job_samples = 1 if ctx.quick else 2
    cap_s = 5.0 if ctx.quick else float(os.environ.get("BENCH_POLL_MAX_S", "120"))
    ids = list(range(n_feeds))
    sample = list(range(n_feeds, n_feeds + n_sample * EVERY // 2))
    changed = [n for n in sample if n % EVERY == 0][: n_sample // 2]
    unchanged = [n for n in sample if n % EVERY][: n_sample // 2]
    ctx.flush()
    config_dir = ctx.tmp / "poll-config"
    with feed_server() as port:
        write_config(config_dir, port, ids + changed + unchanged)
        prime_states(ctx, ids + unchanged)
        env = _env(ctx, config_dir)
        cpu = cpu_per_poll(ctx, env, changed, unchanged, job_samples)
        tp = throughput(ctx, env, ids, cap_s)
    return {
        **tp,
        **cpu,
        "mix": f"{n_feeds} feeds: 1 in {EVERY} answers 200 with 50 new entries, the others 304",
        "goal": "a 304 costs a small fraction of a 200",
    }
