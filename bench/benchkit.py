"""Shared pieces of the benchmarks: a private Redis server, corpus pages, generated text, timing.

Every benchmark talks to a ``redis-server`` started here on a free loopback port in a temporary
directory (no persistence), never to the shared Redis, so that millions of benchmark keys never
touch anyone's data. Each figure module gets a :class:`Ctx` and returns a plain dict.
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from monitor.embedded_redis import REDIS_HASH_LIMITS

ROOT = Path(__file__).resolve().parent.parent
SHARED_PAGES = ROOT.parent / "shared" / "corpus" / "pages"
CONFIG_DIR = ROOT / "config"


@dataclass
class Ctx:
    """What every figure module receives.

    Attributes:
        redis_url: the private benchmark Redis (db 0). quick: smoke mode (small sizes).
        tmp: a scratch directory removed at the end. notes: free-text remarks for the report.
    """

    redis_url: str
    quick: bool
    tmp: Path
    notes: list[str] = field(default_factory=list)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, socket_timeout=120, socket_connect_timeout=10)

    def flush(self) -> None:
        """Empty the private benchmark Redis (never the shared one); ASYNC, since millions of
        dedup keys take seconds to free and would block the next command."""
        self.client().flushall(asynchronous=True)


def unavailable(why: str) -> dict[str, object]:
    """The result of a figure whose component has not landed (or cannot run here)."""
    return {"status": f"unavailable: {why}"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def private_redis(tmp: Path) -> Iterator[str]:
    """Start our own ``redis-server`` (no RDB, no AOF) as a child process; yield its URL; stop it.

    It gets the hash limits of ``monitor.embedded_redis.REDIS_HASH_LIMITS`` (as deployed), so the
    dedup memory figure does not depend on the build's defaults.

    Raises:
        RuntimeError: ``redis-server`` is not on PATH or did not answer within 10 s.
    """
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
    port = free_port()
    rdir = tmp / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(rdir), "--daemonize", "no", "--logfile", str(rdir / "redis.log"), *REDIS_HASH_LIMITS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"private redis-server on port {port} did not answer")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- inputs -------------------------------------------------------------------------------------

_SYLLABLES = ("ka", "ri", "to", "men", "sa", "lo", "vi", "dar",
              "nu", "pe", "tra", "gol", "shi", "an", "el", "mo")


def vocabulary(size: int = 6000, seed: int = 7) -> list[str]:
    """``size`` distinct invented words (2-4 syllables), reproducible for ``seed``."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def generated_text(
    rng: random.Random, vocab: list[str], n_bytes: int = 3000, extra: list[str] | None = None
) -> str:
    """An article-like text of about ``n_bytes`` bytes: sentences of invented words.

    Words are drawn with a Zipf-like skew (rank r with weight 1/(r+10)) so that frequent words
    repeat as in prose; ``extra`` words (e.g. real topic terms) are sprinkled in when given.
    """
    out: list[str] = []
    size = 0
    pool = vocab + (extra or [])
    while size < n_bytes:
        sentence = []
        for _ in range(rng.randint(8, 20)):
            if extra and rng.random() < 0.02:
                w = rng.choice(extra)
            else:
                skewed = rng.random() < 0.5
                rank = min(int(rng.paretovariate(1.2)) - 1, len(vocab) - 1)
                w = pool[rank] if skewed else rng.choice(vocab)
            sentence.append(w)
        s = " ".join(sentence).capitalize() + "."
        out.append(s)
        size += len(s) + 1
    return " ".join(out)


def generated_page(rng: random.Random, vocab: list[str], i: int) -> bytes:
    """A news-like HTML page (navigation, article with title and paragraphs, footer)."""
    title = " ".join(rng.choice(vocab) for _ in range(8)).capitalize()
    paras = "".join(f"<p>{generated_text(rng, vocab, 600)}</p>\n" for _ in range(8))
    nav = "".join(f'<li><a href="/s{j}">{rng.choice(vocab)}</a></li>' for j in range(30))
    html = (
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
        f"<link rel=\"canonical\" href=\"https://news.example.org/a/{i}\"></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{title}</h1>"
        f"<p class=\"byline\">By Ana Example, 3 March 2024</p>{paras}</article></main>"
        f"<footer><p>Copyright Example News. All rights reserved.</p></footer></body></html>"
    )
    return html.encode("utf-8")


def load_pages(limit: int | None = None) -> tuple[list[tuple[str, bytes]], str]:
    """The recorded corpus pages (``../shared/corpus/pages``), or generated pages when absent.

    Returns:
        ([(name, page bytes)], a sentence saying which were used).
    """
    if SHARED_PAGES.is_dir():
        paths = sorted(p for p in SHARED_PAGES.iterdir() if p.suffix in (".html", ".htm"))
        pages = [(p.name, p.read_bytes()) for p in paths[:limit]]
        return pages, f"{len(pages)} recorded corpus pages from {SHARED_PAGES}"
    rng = random.Random(11)
    vocab = vocabulary()
    n = limit or 40
    pages = [(f"generated-{i}.html", generated_page(rng, vocab, i)) for i in range(n)]
    return pages, f"{n} GENERATED pages ({SHARED_PAGES} is absent)"


# --- measuring ----------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values`` by nearest rank on the sorted values."""
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid`` (bytes), from ``/proc/<pid>/status`` VmRSS."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmRSS for pid {pid}")


def machine() -> dict[str, object]:
    """CPU model, cores, RAM, Python, Redis server version and load average of this machine."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        ram = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    redis_version = "unknown"
    exe = shutil.which("redis-server")
    if exe:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
        redis_version = next((p.split("=", 1)[1] for p in out.split() if p.startswith("v=")), out.strip())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "redis": redis_version,
        "platform": platform.platform(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "executable": sys.executable,
    }


def stop_process(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM ``proc`` (a daemon or worker the benchmark started), SIGKILL it after ``grace`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
