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

#: Sentences written for these tests (invented events): every article is on topic, so it alerts.
SENTENCES = (
    "Security forces in the coastal province arrested four suspected members of a terror cell who "
    "were planning a bomb attack on a ferry terminal.",
    "Investigators seized an explosive device and papers linking the group to Islamic State, the "
    "interior ministry said.",
    "Officials said terrorist financing networks that paid for the plot were being traced with help "
    "from two foreign partners.",
    "The counter-terrorism unit said the suspects had been radicalised in prison and recruited online within weeks.",
    "A suicide bomber was stopped at a checkpoint on the southern highway after guards noticed wires under his coat.",
    "Prosecutors opened a terrorism investigation into a jihadist network accused of smuggling "
    "weapons across the border.",
    "Militants attacked a police station in the mountain district overnight, killing two officers before fleeing.",
    "The government raised the terror threat level after intelligence services intercepted messages "
    "about a planned bombing.",
    "Three men were charged with membership of a banned extremist group and with preparing acts of terrorism.",
    "Counter-terrorism officers raided a warehouse used to store forged passports and chemicals for explosives.",
    "A car bomb was defused near the central market after a shopkeeper reported a vehicle parked for two days.",
    "The hostages taken by gunmen at the mine were freed after a rescue operation by special forces at dawn.",
    "Regional ministers agreed to share intelligence on foreign fighters returning from conflict zones.",
    "Police said the attack plot targeted a stadium and had been foiled with the help of an informant.",
    "The militant group claimed responsibility for the bombing in a statement posted on its channels.",
    "Authorities froze the accounts of charities suspected of channelling money to an armed group.",
    "Soldiers killed five insurgents in a clash near the river crossing, the army said in a statement.",
    "An explosive device hidden in a bag went off at the bus depot, wounding six people on Friday.",
    "The court sentenced the cell's leader to life in prison for directing a series of terror attacks.",
    "Border guards arrested a suspected recruiter for the extremist network carrying propaganda material.",
    "Anti-terror squads cordoned off the harbour district while bomb disposal teams examined a lorry.",
    "The interior minister said the terrorist threat had shifted to lone attackers inspired online.",
    "Two suspected jihadists were detained at the airport as they tried to travel to join an armed group.",
    "Intelligence officials said the kidnapping of aid workers was carried out by a faction of the insurgency.",
)


def _body(title: str) -> str:
    """Three sentences chosen by the title (distinct titles used in the tests share at most one)."""
    import hashlib
    import random

    rng = random.Random(hashlib.sha256(title.encode()).digest())
    return "".join(f"<p>{sentence} {title}.</p>\n" for sentence in rng.sample(SENTENCES, 3))


ARTICLE_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><meta property="og:site_name" content="Example Wire"></head>
<body><main><article><h1>{title}</h1>
{body}</article></main></body></html>"""


def article(title: str) -> bytes:
    """The test article's HTML page with ``title``; distinct titles give distinct bodies (distinct stories)."""
    return ARTICLE_HTML.format(title=title, body=_body(title)).encode("utf-8")


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


def processes_with_arg(arg: str) -> list[int]:
    """Pids of live processes (not zombies) whose command line contains ``arg`` as one argument."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if arg.encode() in argv and state != "Z":
            found.append(int(proc.name))
    return found
