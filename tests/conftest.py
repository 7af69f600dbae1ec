"""Shared fixtures: real Redis on loopback (own db, own key prefix, cleaned before and after),
a real HTTP server on 127.0.0.1 serving recorded bytes, and paths to ``../shared`` when present.

Redis: ``MONITOR_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``). Tests that need it
are skipped when nothing answers, except under ``CI=true`` where that is a failure
(dramatiq's ``check_redis`` pattern).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

if TYPE_CHECKING:
    from tests.alert_support import Receiver

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TEST_REDIS_URL = os.environ.get("MONITOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``; skips the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/ is beside developer and CI checkouts, not fresh clones)")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {TEST_REDIS_URL} is not answering under CI=true: {exc}")
        pytest.skip(f"Redis at {TEST_REDIS_URL} is not answering: {exc}")
    finally:
        client.close()
    return TEST_REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the test db, flushed before and after the test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def env(redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Environment for a test: the test Redis, a unique key prefix, the repo's config."""
    values = {
        "MONITOR_REDIS_URL": redis_url,
        "MONITOR_KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}",
        "MONITOR_CONFIG_DIR": str(ROOT / "config"),
        "MONITOR_STATE_DIR": str(tmp_path / "state"),
        "MONITOR_LOG_FORMAT": "json",
        "MONITOR_ALLOW_PRIVATE_ADDRESSES": "true",
        # every test server is 127.0.0.1, one "host": no 1 s gap between its pages and feeds unless
        # a test asks for the limits (tests/test_politeness.py, test_process_entry.py)
        "MONITOR_HOST_MIN_START_INTERVAL": "0",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


@dataclass
class Route:
    """What the loopback server answers on one path."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class LoopbackServer:
    """A real HTTP server on 127.0.0.1; set ``routes[path]`` (or a callable) to serve bytes."""

    base_url: str
    routes: dict[str, Route | Callable[[BaseHTTPRequestHandler], Route]]
    requests: list[tuple[str, str, dict[str, str]]]

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    routes: dict[str, Route | Callable[[BaseHTTPRequestHandler], Route]] = {}
    requests: list[tuple[str, str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            requests.append(("GET", self.path, dict(self.headers)))
            route = routes.get(self.path) or routes.get(self.path.split("?")[0])
            if route is None:
                route = Route(404, {"Content-Type": "text/plain"}, b"not found")
            elif callable(route):
                route = route(self)
            try:
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in route.headers:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a killed worker, a timeout under test): nothing to answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LoopbackServer(f"http://127.0.0.1:{server.server_address[1]}", routes, requests)
    finally:
        server.shutdown()
        server.server_close()


FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """Start raw TCP servers on 127.0.0.1 for faults HTTP servers cannot produce (a tarpit that
    never answers, a body trickled byte by byte). ``start(handler)`` returns the base URL; each
    connection is passed to ``handler(conn)`` in its own thread and closed afterwards."""
    stop = threading.Event()
    listeners: list[socket.socket] = []

    def serve(listener: socket.socket, handler: Callable[[socket.socket], None]) -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_handle_raw, args=(conn, handler, stop), daemon=True).start()

    def start(handler: Callable[[socket.socket], None]) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listeners.append(listener)
        threading.Thread(target=serve, args=(listener, handler), daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def _handle_raw(conn: socket.socket, handler: Callable[[socket.socket], None], stop: threading.Event) -> None:
    try:
        handler(conn)
    except OSError:
        pass
    finally:
        conn.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 recording the alert POSTs (``tests.alert_support.Receiver``)."""
    from tests.alert_support import Receiver

    rec = Receiver().start()
    yield rec
    rec.stop()
