"""Small things a user meets first: help texts, log noise, the feed list, a Redis that does not answer."""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import typer
from typer.testing import CliRunner

from monitor.cli import app
from monitor.logs import configure_logging
from monitor.proc import free_port
from tests.conftest import ROOT
from tests.feed_helpers import write_config
from tests.helpers import run_monitor
from tests.service_helpers import wait_for


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_help_of_every_command_shows_no_bool_metavar() -> None:
    """`--help` of every command and group lists flags as `--json` or `--http / --no-http`, never `<bool>`."""
    runner = CliRunner()
    paths = list(_commands(typer.main.get_command(app)))
    assert ("run",) in paths and ("alerts", "list") in paths and ("feeds", "check") in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, (path, result.output)
    run_help = runner.invoke(app, ["run", "--help"]).output
    assert "--http / --no-http" in run_help and "--workers <int range>" in run_help


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_trafilatura_discarding_data_warning_is_dropped_and_its_other_warnings_kept(
    restore_logging: None,
) -> None:
    """An empty page makes trafilatura warn `discarding data: None`: that line is dropped, nothing else."""
    import trafilatura

    stream = io.StringIO()
    configure_logging("json", "info", stream)
    configure_logging("json", "info", stream)  # configured twice (worker, then its horse): one filter
    assert trafilatura.bare_extraction("<html><body></body></html>") is None
    logging.getLogger("trafilatura.core").warning("another warning: %s", "kept")
    lines = stream.getvalue().splitlines()
    assert not [line for line in lines if "discarding data" in line]
    assert [line for line in lines if '"event": "another warning: kept"' in line]
    assert len(logging.getLogger("trafilatura.core").filters) == 1


def test_feeds_list_says_never_polled_for_a_new_feed(
    env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A configured feed that was never polled reads `new never polled`, not `status=None`."""
    config = write_config(tmp_path / "config", [{"id": "wire", "url": "https://wire.example.com/rss.xml"}])
    proc = run_monitor("feeds", "list", env={**env, "MONITOR_CONFIG_DIR": str(config)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wire: new never polled entries=0 new=0 errors=0 last=- next=")
    assert "None" not in proc.stdout


def test_a_command_reports_a_redis_that_does_not_answer_after_one_attempt(
    raw_server: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    """`monitor status` against a port that accepts and hangs up: one connection, exit 2, one error line
    naming MONITOR_REDIS_URL (the client's 5 retries with back-off are for a running daemon)."""
    accepted: list[int] = []
    port = raw_server(lambda conn: accepted.append(1))[len("http://127.0.0.1:") :]
    url = f"redis://127.0.0.1:{port}/0"
    proc = run_monitor("status", env={"MONITOR_REDIS_URL": url})
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: Redis at {url} is not answering (MONITOR_REDIS_URL): ")
    assert len(accepted) == 1


def test_a_redis_that_refuses_the_database_is_not_called_silent(redis_url: str) -> None:
    """A database index the server lacks is a refusal, not silence (a trial read "not answering")."""
    url = redis_url.rsplit("/", 1)[0] + "/99"
    proc = run_monitor("alerts", "list", env={"MONITOR_REDIS_URL": url})
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: Redis at {url} refused the connection (MONITOR_REDIS_URL): DB index is out of range"
    )


@pytest.mark.slow
def test_worker_waits_for_redis_at_start_and_runs_once_it_answers(tmp_path: Path) -> None:
    """`monitor worker` started before its Redis logs `redis_unavailable` and retries; once a Redis
    answers on that URL it registers as an RQ worker; SIGTERM stops it."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    log_path = tmp_path / "worker.log"
    env = {"MONITOR_REDIS_URL": url, "MONITOR_LOG_FORMAT": "json", "MONITOR_KEY_PREFIX": "waiting"}
    with log_path.open("wb") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "monitor", "worker", "--queues", "polls"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = None
    try:
        wait_for(lambda: "redis_unavailable" in log_path.read_text(), 20, "the worker's redis_unavailable line")
        assert worker.poll() is None
        server = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(url)

        def listening() -> bool:
            try:
                return any(client.hget(key, "state") == b"idle" for key in client.smembers("rq:workers"))
            except redis.ConnectionError:  # our redis-server is still starting
                return False

        # idle: RQ has installed its signal handlers (a SIGTERM before that ends the process by default)
        wait_for(listening, 40, f"the worker registered and idle\n{log_path.read_text()}")
        client.close()
    finally:
        worker.terminate()
        try:
            code = worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        if server is not None:
            server.terminate()
            server.wait(10)
    assert code == 0, log_path.read_text()
