"""``monitor demo``: the daemon against built-in news sites on 127.0.0.1, alerts printed as they come.

No internet and no configuration: it serves the demo outlets (:mod:`monitor.demo_site`), writes
a throw-away config folder (feeds pointing at them, the default topics, one alert rule on the
log channel), uses ``MONITOR_REDIS_URL`` / a local Redis / an embedded one, and runs the same
supervisor as ``monitor run`` (the feed scheduler and N workers) under a fresh key prefix
(``demo-<hex>``, deleted at the end), so every run shows its alerts again.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import redis
import structlog
import typer
import yaml

from monitor.errors import ConfigError
from monitor.keys import Keys
from monitor.model import Alert

log = structlog.get_logger(__name__)

DEMO_RULES = {
    "channels": {"log": "log://"},
    "rules": [
        {
            "name": "security-desk",
            "topics": ["counter-terrorism", "diplomacy"],
            "match": "any",
            "channels": ["log"],
        }
    ],
}


def default_topics(config_dir: Path) -> Path:
    """The default topic rules: ``<config_dir>/topics.yaml``, else the source checkout's ``config/``.

    Raises:
        ConfigError: neither exists.
    """
    for candidate in (
        config_dir / "topics.yaml",
        Path(__file__).resolve().parent.parent / "config" / "topics.yaml",
    ):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{config_dir / 'topics.yaml'}: missing; the demo needs the default topic rules")


def write_demo_config(
    directory: Path, feed_urls: dict[str, str], languages: dict[str, str], topics: Path
) -> None:
    """Write ``feeds.yaml`` and ``alerts.yaml`` for the demo into ``directory`` and link its
    ``topics.yaml`` to ``topics``, so an edit of the real rules reaches the demo's workers too."""
    feeds = [
        {
            "id": f"demo-{fid}",
            "url": url,
            "title": f"demo outlet {fid}",
            "interval": 60,
            "min_interval": 30,
            "language": languages[fid],
            "tags": ["demo"],
        }
        for fid, url in feed_urls.items()
    ]
    (directory / "feeds.yaml").write_text(
        yaml.safe_dump({"feeds": feeds}, allow_unicode=True), encoding="utf-8"
    )
    (directory / "alerts.yaml").write_text(yaml.safe_dump(DEMO_RULES), encoding="utf-8")
    (directory / "topics.yaml").symlink_to(topics.resolve())


def format_alert(alert: Alert) -> str:
    """A few readable lines for one alert: title, reason, where it came from."""
    countries = f" · countries {', '.join(alert.countries)}" if alert.countries else ""
    return (
        f"ALERT [{alert.language}] {alert.title}\n"
        f"  why:   {alert.reason}\n"
        f"  where: {alert.url} · {alert.outlets} outlet(s){countries}\n"
    )


class AlertPrinter(threading.Thread):
    """Follows the alerts stream (XREAD BLOCK) and prints each alert on stdout as it is recorded."""

    def __init__(self, connection: redis.Redis, keys: Keys) -> None:
        super().__init__(name="alert-printer", daemon=True)
        self._r = connection
        self._keys = keys
        self._halt = threading.Event()
        self.printed = 0

    def run(self) -> None:
        last = "0-0"
        while not self._halt.is_set():
            batches: Any
            try:
                batches = self._r.xread({self._keys.alerts_stream(): last}, block=500, count=50)
            except redis.RedisError as exc:
                log.warning("alert_follow_failed", error=str(exc))
                time.sleep(1)
                continue
            for _stream, messages in batches or []:
                for msg_id, fields in messages:
                    last = msg_id.decode()
                    self._print(fields[b"id"].decode())

    def _print(self, alert_id: str) -> None:
        import json

        raw = self._r.hget(self._keys.alert(alert_id), "json")
        if raw:
            sys.stdout.write(format_alert(Alert.from_dict(json.loads(raw))) + "\n")
            sys.stdout.flush()
            self.printed += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


def delete_prefix(connection: redis.Redis, keys: Keys) -> None:
    """Remove the demo's keys: everything under its prefix and its RQ queues, registries and jobs."""
    from monitor.keys import QUEUES

    for name in QUEUES:
        for reg in ("finished", "failed", "wip", "scheduled", "deferred", "canceled"):
            members: Any = connection.zrange(f"rq:{reg}:{keys.queue(name)}", 0, -1)
            for member in members:
                jid = member.decode().split(":")[0]
                connection.delete(f"rq:job:{jid}", f"rq:results:{jid}", f"rq:executions:{jid}")
    for pattern in (keys.pattern(), f"rq:*:{keys.prefix}:*"):
        batch = list(connection.scan_iter(match=pattern, count=500))
        if batch:
            connection.delete(*batch)
    # RQ lists every queue it has seen in the global set "rq:queues"; the demo's would stay there
    connection.srem("rq:queues", *(f"rq:queue:{keys.queue(name)}" for name in QUEUES))


def demo(
    duration: Annotated[
        float | None, typer.Option(min=1.0, help="Stop cleanly after this many seconds.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
    verbose: Annotated[bool, typer.Option(help="Daemon logs on stderr instead of a log file.")] = False,
) -> None:
    """Serve built-in feeds on 127.0.0.1, run the daemon on them, print alerts with their reasons."""
    from monitor.config import load_topics
    from monitor.embedded_redis import resolve_redis_url
    from monitor.logs import configure_logging
    from monitor.settings import Settings

    try:
        settings = Settings.load()
        # the demo's own output is the alerts: its supervisor logs only warnings unless --verbose
        configure_logging(settings.log_format, settings.log_level if verbose else "warning")
        topics = default_topics(settings.config_dir)
        load_topics(topics)  # broken rules are refused here, naming the file, not in the workers' log
        url, embedded = resolve_redis_url(
            settings.redis_url, settings.redis_url_is_default, settings.state_dir
        )
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        code = _run_demo(settings, topics, url, embedded is not None, duration, workers, verbose)
    finally:
        if embedded:
            embedded.stop()
    raise typer.Exit(code)


def _run_demo(
    settings: Any, topics: Path, url: str, embedded: bool, duration: float | None, workers: int, verbose: bool
) -> int:
    from monitor.demo_site import DemoSite
    from monitor.redisconn import connect
    from monitor.supervisor import Supervisor

    site = DemoSite()
    site.start()
    keys = Keys(f"demo-{uuid.uuid4().hex[:8]}")
    config_dir = Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    write_demo_config(config_dir, site.feed_urls(), {o.id: o.language for o in site.outlets}, topics)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.state_dir / "demo.log"
    log_file = sys.stderr if verbose else log_path.open("w", encoding="utf-8")
    env = {
        **os.environ,
        "MONITOR_REDIS_URL": url,
        "MONITOR_KEY_PREFIX": keys.prefix,
        "MONITOR_CONFIG_DIR": str(config_dir),
        # the parts' last-good config copy goes with the demo's folder, not over the real one's
        "MONITOR_STATE_DIR": str(config_dir / ".state"),
        "MONITOR_ALLOW_PRIVATE_ADDRESSES": "true",
        "MONITOR_LOG_FORMAT": "json",
    }
    connection = connect(url)
    typer.echo(
        f"monitor demo: {len(site.articles)} articles from {len(site.outlets)} outlets on {site.base_url}; "
        f"Redis {url}{' (embedded, started for the demo)' if embedded else ''}; "
        f"daemon logs: {'stderr' if verbose else log_path}; Ctrl-C stops.\n"
    )
    sup = Supervisor(
        connection,
        keys,
        workers=workers,
        grace=10.0,
        with_scheduler=True,
        env=env,
        child_stdout=log_file,
        child_stderr=log_file,
    )
    sup.install_signal_handlers()
    printer = AlertPrinter(connection, keys)
    printer.start()
    try:
        code = sup.run(duration)
        time.sleep(0.6)  # let the printer show alerts recorded during the stop
    finally:
        printer.stop()
        typer.echo(f"demo stopped: {printer.printed} alert(s) printed.")
        try:
            delete_prefix(connection, keys)
        except redis.RedisError as exc:
            log.warning("demo_cleanup_failed", error=str(exc))
        site.stop()
        shutil.rmtree(config_dir, ignore_errors=True)
        if log_file is not sys.stderr:
            log_file.close()
    return code
