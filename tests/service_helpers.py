"""Helpers for the service tests: a running ``monitor run``, entries to enqueue, processes to find."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import redis
from rq import Retry

from monitor.keys import Keys
from monitor.model import EntryInfo
from workers.entries import process_entry
from workers.jobs import queue

ROOT = Path(__file__).resolve().parent.parent

#: An article written for these tests (invented outlet, example.org): on topic, so it alerts once.
ARTICLE_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><meta property="og:site_name" content="Example Wire"></head>
<body><main><article><h1>{title}</h1>
<p>Security forces in the coastal province said on Monday they had arrested four suspected members of a
terror cell who were planning a bomb attack on a ferry terminal, after months of intelligence sharing
with neighbouring countries.</p>
<p>Investigators seized an explosive device and papers linking the group to Islamic State. The interior
ministry said the counter-terrorism operation was the largest this year and that the suspects had been
radicalised in prison.</p>
<p>Officials said terrorist financing networks that paid for the plot were being traced with help from
two foreign partners, and that the terror threat level would stay unchanged for now.</p>
</article></main></body></html>"""


def article(title: str) -> bytes:
    """The test article's HTML page with ``title`` (distinct titles and URLs make distinct stories)."""
    return ARTICLE_HTML.format(title=title).encode("utf-8")


def enqueue_entry(
    connection: redis.Redis, prefix: str, link: str, title: str, retry_interval: int = 1
) -> str:
    """Enqueue ``process_entry`` for an entry linking to ``link``, as the poll job does; return the job id."""
    info = EntryInfo(feed_id="test-feed", key=link, guid=link, link=link, title=title)
    job = queue(connection, Keys(prefix), "entries").enqueue(
        process_entry,
        info.__dict__,
        job_timeout=60,
        result_ttl=3600,
        failure_ttl=3600,
        retry=Retry(max=3, interval=retry_interval),
    )
    return str(job.id)


class Daemon:
    """``monitor run`` as a child process of the test, its logs in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", *args],
            cwd=ROOT,
            env={**os.environ, "MONITOR_HTTP_PORT": "0", **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM the daemon; return (exit code, seconds it took to exit)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code, time.monotonic() - started


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def horses_of(worker_pid: int) -> list[int]:
    """RQ work-horses of a worker: its children that lead their own process group (RQ's os.setpgrp)."""
    out = []
    for pid in children_of(worker_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:
            out.append(pid)
    return out
