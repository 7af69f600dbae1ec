"""Service commands: ``monitor run`` (the one-command daemon), ``monitor demo``, ``monitor status``.

Registered on the main app by :func:`register` (one line in ``monitor/cli.py``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from monitor.errors import ConfigError

EXIT_CONFIG = 2


def register(app: typer.Typer) -> None:
    """Add ``run``, ``demo`` and ``status`` to the ``monitor`` command."""
    app.command(name="run")(run)
    app.command(name="status")(status)
    from monitor.demo import demo

    app.command(name="demo")(demo)


def default_workers() -> int:
    """Number of worker processes when ``--workers`` is not given: the CPU count (at least 1)."""
    return max(1, os.cpu_count() or 1)


def run(
    workers: Annotated[
        int | None, typer.Option(min=0, help="Worker processes (default: CPU count; 0: HTTP only).")
    ] = None,
    grace: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="Seconds a stop waits for jobs in hand (default MONITOR_STOP_GRACE_SECONDS)."
        ),
    ] = None,
    scheduler: Annotated[bool, typer.Option(help="Also run the feed scheduler.")] = True,
    http: Annotated[
        bool,
        typer.Option(
            help="Serve /alerts.atom, /alerts.json, /metrics and /healthz on MONITOR_HTTP_HOST:PORT."
        ),
    ] = True,
) -> None:
    """Run the daemon: the scheduler plus N workers, restarted when they crash, stopped by SIGTERM/Ctrl-C."""
    from monitor.cli import daemon_setup
    from monitor.embedded_redis import env_with_redis, resolve_redis_url
    from monitor.keys import Keys
    from monitor.redisconn import connect
    from monitor.supervisor import Supervisor

    settings, config, _ = daemon_setup()  # each part it starts records a config error itself
    try:
        url, embedded = resolve_redis_url(
            settings.redis_url, settings.redis_url_is_default, settings.state_dir
        )
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc
    try:
        sup = Supervisor(
            connect(url),
            Keys(settings.key_prefix),
            workers=default_workers() if workers is None else workers,
            grace=settings.stop_grace_seconds if grace is None else grace,
            with_scheduler=scheduler,
            env=env_with_redis(url),
            child_stdout=sys.stderr,
        )
        sup.install_signal_handlers()
        server = start_http(settings, config, sup.connection, sup.keys) if http else None
        try:
            code = sup.run()
        finally:
            if server:
                server.stop()
    finally:
        if embedded:
            embedded.stop()
    raise typer.Exit(code)


def build_web_app(settings, config, connection, keys):  # type: ignore[no-untyped-def]
    """The daemon's HTTP app: the alert feed (/alerts.atom, /alerts.json), /metrics and /healthz."""
    from monitor.alerts import AlertRecorder
    from monitor.web import WebApp, add_alert_routes, feed_id_for
    from monitor.web_ops import add_ops_routes

    app = WebApp()
    recorder = AlertRecorder(
        connection, keys, config.alerts, settings.alert_retention_days * 86400, settings.stream_maxlen
    )
    add_alert_routes(app, recorder, settings.alert_feed_size, feed_id_for(settings.key_prefix))
    add_ops_routes(app, connection, keys, silent_after=settings.worker_silent_after)
    return app


def start_http(settings, config, connection, keys, host=None, port=None):  # type: ignore[no-untyped-def]
    """Start the daemon's HTTP server (:func:`build_web_app`) in a thread.

    Returns:
        the running ``monitor.web.WebServer``, or None when the address is taken (logged; the
        daemon runs on without HTTP rather than not at all).
    """
    import structlog

    from monitor.web import WebServer

    host = host or settings.http_host
    port = settings.http_port if port is None else port
    try:
        return WebServer(build_web_app(settings, config, connection, keys), host, port).start()
    except OSError as exc:
        structlog.get_logger("monitor.cli").error("http_unavailable", host=host, port=port, error=str(exc))
        return None


def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Show Redis, queues with their depths, workers, failed jobs and feeds in error."""
    from monitor.cli import connect_or_exit, setup_to_inspect
    from monitor.status import collect, render_text

    settings, config, error = setup_to_inspect()
    connection = connect_or_exit(settings)
    data = collect(connection, settings, config, error)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        typer.echo(render_text(data))
    raise typer.Exit(0 if data["redis"]["ok"] else 1)
