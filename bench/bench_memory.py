"""Memory: resident size (RSS) of a worker, and of the scheduler holding 10,000 feeds.

Worker: ``monitor worker`` (all queues) on the private Redis; its RSS once registered (stages
built: topic rules compiled, language model loaded), then the peak RSS of the worker and of its
work-horses (RQ forks one per job) sampled every 20 ms while it processes the corpus pages.
Scheduler: ``monitor scheduler`` with a ``feeds.yaml`` of 10,000 feeds; RSS once it has logged
``scheduler_started`` (every feed scheduled) and stopped growing (two samples 1 s apart within 1%;
at most 90 s).
RSS is VmRSS from ``/proc`` (shared pages of forked children are counted in each process).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchkit import CONFIG_DIR, ROOT, Ctx, load_pages, rss_bytes, stop_process

PREFIX = "bench"
MB = 2**20


def _env(ctx: Ctx, config_dir: Path) -> dict[str, str]:
    return {**os.environ, "MONITOR_REDIS_URL": ctx.redis_url, "MONITOR_KEY_PREFIX": PREFIX,
            "MONITOR_CONFIG_DIR": str(config_dir), "MONITOR_STATE_DIR": str(ctx.tmp / "state"),
            "MONITOR_LOG_FORMAT": "json", "MONITOR_ALLOW_PRIVATE_ADDRESSES": "true"}


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def worker_rss(ctx: Ctx) -> dict[str, Any]:
    """RSS of an idle worker after start-up, and peaks while it processes the corpus pages."""
    from rq import Worker

    from monitor.keys import Keys
    from monitor.model import Document, EntryInfo
    from workers.jobs import enqueue_document

    conn = ctx.client()
    log = (ctx.tmp / "memory-worker.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "worker", "--name", "mem0"],
                            env=_env(ctx, CONFIG_DIR), stdout=log, stderr=log, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while Worker.count(connection=conn) < 1:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"worker did not start; see {ctx.tmp / 'memory-worker.log'}")
            time.sleep(0.2)
        time.sleep(1.0)
        idle = rss_bytes(proc.pid)
        pages, _ = load_pages(3 if ctx.quick else None)
        keys = Keys(PREFIX)
        for name, content in pages:
            url = f"https://news.example.org/mem/{name}"
            enqueue_document(conn, keys, Document(source=url, content=content, content_type="text/html",
                                                  url=url, entry=EntryInfo(feed_id="bench", link=url)), 180)
        from rq.registry import FailedJobRegistry, FinishedJobRegistry

        from workers.jobs import queue

        q = queue(conn, keys, "entries")
        finished, failed = FinishedJobRegistry(queue=q), FailedJobRegistry(queue=q)
        peak_parent, peak_child = idle, 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            peak_parent = max(peak_parent, rss_bytes(proc.pid))
            for child in _children(proc.pid):
                try:
                    peak_child = max(peak_child, rss_bytes(child))
                except (OSError, LookupError):
                    pass
            if finished.count + failed.count >= len(pages):
                break
            time.sleep(0.02)
        return {
            "worker_rss_mb_idle": round(idle / MB, 1),
            "worker_rss_mb_after_jobs": round(rss_bytes(proc.pid) / MB, 1),
            "worker_rss_mb_peak": round(peak_parent / MB, 1),
            "workhorse_rss_mb_peak": round(peak_child / MB, 1),
            "pages_processed": len(pages),
        }
    finally:
        stop_process(proc)
        log.close()


def scheduler_rss(ctx: Ctx, n_feeds: int) -> dict[str, Any]:
    """RSS of ``monitor scheduler`` holding ``n_feeds`` feeds, once it stopped growing."""
    config_dir = ctx.tmp / "memory-config"
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in ("topics.yaml", "alerts.yaml"):
        shutil.copy(CONFIG_DIR / name, config_dir / name)
    lines = ["feeds:"] + [f"  - id: s{n}\n    url: \"https://feeds{n % 997}.example.org/rss/{n}.xml\"\n"
                          f"    interval: {600 + n % 1200}" for n in range(n_feeds)]
    (config_dir / "feeds.yaml").write_text("\n".join(lines) + "\n")
    log = (ctx.tmp / "memory-scheduler.log").open("w")
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "scheduler"], env=_env(ctx, config_dir),
                            stdout=log, stderr=log, cwd=ROOT)
    try:
        last, rss, started = 0, 0, False
        log_path = ctx.tmp / "memory-scheduler.log"
        while time.monotonic() - t0 < 90:
            time.sleep(1.0)
            if proc.poll() is not None:
                raise RuntimeError(f"scheduler exited ({proc.returncode}); see {log_path}")
            rss = rss_bytes(proc.pid)
            # every feed is scheduled once the scheduler logs scheduler_started
            started = started or "scheduler_started" in log_path.read_text(errors="replace")
            if started and last and abs(rss - last) <= 0.01 * last:
                break
            last = rss
        return {"scheduler_rss_mb": round(rss / MB, 1), "scheduler_feeds": n_feeds,
                "scheduler_started_logged": started, "scheduler_settle_s": round(time.monotonic() - t0, 1)}
    finally:
        stop_process(proc)
        log.close()


def run(ctx: Ctx) -> dict[str, Any]:
    """Measure the figure; see the module docstring."""
    out: dict[str, Any] = {}
    ctx.flush()
    out.update(worker_rss(ctx))
    ctx.flush()
    try:
        import monitor.scheduler  # noqa: F401
    except ImportError as exc:
        out["scheduler"] = f"unavailable: scheduler not landed ({exc})"
        return out
    out.update(scheduler_rss(ctx, 500 if ctx.quick else 10_000))
    return out
