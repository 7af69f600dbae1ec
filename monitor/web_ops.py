"""Operations routes of the daemon's HTTP server: ``/metrics`` (Prometheus) and ``/healthz``.

``/healthz`` answers 200 with ``{"status": "ok", ...}`` when Redis answers and at least one
worker is registered on our queues, else 503 with ``"status": "unhealthy"`` and the reason; the
body also carries the queue depths, so a load balancer or a person can see why. An edited config
file that failed to reload (the daemon runs on with the rules or feeds it had) still answers 200,
with ``"status": "degraded"`` and ``config_errors`` (part -> error, see :mod:`monitor.config_health`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.config_health import reload_errors
from monitor.keys import Keys
from monitor.metrics import list_workers, queue_counts, render
from monitor.redisconn import probe_client
from monitor.web import Request, Response, WebApp


def healthz(connection: redis.Redis, keys: Keys, silent_after: float | None = None) -> tuple[int, dict[str, object]]:
    """(HTTP status, body) of the health check; a worker silent for over ``silent_after`` seconds
    (:attr:`monitor.settings.Settings.worker_silent_after`) is not counted."""
    try:
        connection.ping()
        workers = len(list_workers(connection, keys, silent_after))
        queues = {name: c["queued"] for name, c in queue_counts(connection, keys).items()}
        config_errors = {part: str(e["error"]) for part, e in reload_errors(connection, keys).items()}
    except redis.RedisError as exc:
        return 503, {"status": "unhealthy", "redis": "down", "reason": f"Redis is not answering: {exc}"}
    body: dict[str, object] = {"status": "ok", "redis": "ok", "workers": workers, "queued": queues}
    if config_errors:
        body = {**body, "status": "degraded", "config_errors": config_errors,
                "reason": "an edited config file did not load; the daemon runs on what it had"}
    if workers == 0:
        return 503, {**body, "status": "unhealthy", "reason": "no worker is registered on the queues"}
    return 200, body


def add_ops_routes(app: WebApp, connection: redis.Redis, keys: Keys, timeout: float = 2.0,
                   silent_after: float | None = None) -> redis.Redis:
    """Mount ``/metrics`` and ``/healthz`` on ``app``.

    Both read Redis through :func:`monitor.redisconn.probe_client`: each command gives up after
    ``timeout`` seconds, so a frozen Redis gives a 503 in seconds, not a hung request. Each route
    also answers 503 once ``3 * timeout`` seconds have passed whatever its Redis calls do (they
    run on a pool of 4 threads): a trial saw requests made side by side on a frozen Redis wait
    until it woke, stuck in a new connection's handshake.

    ``silent_after``: see :func:`healthz`.

    Returns:
        the routes' probe client (close it when the server stops, if the process goes on).
    """
    connection = probe_client(connection, timeout)
    calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ops-redis")
    deadline = 3 * timeout

    silent = f"Redis is not answering: no reply within {deadline:g} s"

    def bounded(fn: Callable[[], Response], on_timeout: Response) -> Response:
        try:
            return calls.submit(fn).result(timeout=deadline)
        except FutureTimeout:
            return on_timeout

    def metrics_route(_request: Request) -> Response:
        def render_metrics() -> Response:
            try:
                return Response(200, CONTENT_TYPE_LATEST, render(connection, keys))
            except redis.RedisError as exc:
                return Response(503, "text/plain; charset=utf-8", f"Redis is not answering: {exc}\n".encode())
        return bounded(render_metrics, Response(503, "text/plain; charset=utf-8", f"{silent}\n".encode()))

    def healthz_route(_request: Request) -> Response:
        def check() -> Response:
            status, body = healthz(connection, keys, silent_after)
            return Response(status, "application/json", json.dumps(body).encode())
        down = {"status": "unhealthy", "redis": "down", "reason": silent}
        return bounded(check, Response(503, "application/json", json.dumps(down).encode()))

    app.route("/metrics", metrics_route)
    app.route("/healthz", healthz_route)
    return connection
