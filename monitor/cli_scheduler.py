"""``monitor scheduler``: run the feed scheduler until SIGTERM or Ctrl-C (logs to stdout)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import structlog
import typer

log = structlog.get_logger(__name__)


def scheduler_command(
    leader_lock: Annotated[bool, typer.Option(help="Only the leader process enqueues polls "
                                                   "(slot claims prevent double polls either way).")] = True,
) -> None:
    """Schedule every enabled feed of feeds.yaml: one poll per feed and slot, enqueued on `polls`.

    An edited feeds.yaml is applied within a second (new feeds scheduled, removed ones dropped);
    an invalid edit is logged and the running schedule kept.
    """
    from monitor.cli import connect_or_exit, daemon_setup
    from monitor.config import file_stamp
    from monitor.config_health import record_reload
    from monitor.keys import Keys
    from monitor.scheduler import FeedScheduler

    settings, config, config_error = daemon_setup(sys.stdout)
    # one line per firing is ours (poll_enqueued); APScheduler's "Running job" pair is noise
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    connection = connect_or_exit(settings, wait=True)
    keys = Keys(settings.key_prefix)
    sched = FeedScheduler(settings, connection, keys, list(config.feeds.feeds), use_leader_lock=leader_lock)
    # the files validated (an earlier failure is mended), or are broken and the last good copy runs
    record_reload(connection, keys, "feeds", config_error)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    feeds_path = settings.config_dir / "feeds.yaml"
    seen = file_stamp(feeds_path)
    sched.start()
    try:
        while not stop.wait(1.0):
            if file_stamp(feeds_path) != seen:
                seen = file_stamp(feeds_path)
                record_reload(connection, keys, "feeds", _reload(sched, feeds_path))
    finally:
        sched.shutdown()


def _reload(sched, path: Path) -> str | None:  # type: ignore[no-untyped-def]
    """Apply the edited ``path`` to ``sched``; the config error when it does not validate (the
    running schedule is kept), else None. A file left empty (no YAML document at all: an editor's
    save cut short, a truncating copy) or gone while feeds are scheduled is refused too;
    ``feeds: []`` stops them all on purpose."""
    import yaml

    from monitor.config import FeedsFile, load_yaml_model
    from monitor.errors import ConfigError

    try:
        if not path.exists() and sched.feeds:
            raise ConfigError(f"{path}: the file is gone: the {len(sched.feeds)} scheduled feeds are kept "
                              "(write 'feeds: []' to stop them all)")
        feeds = load_yaml_model(path, FeedsFile).feeds if path.exists() else ()
        if not feeds and sched.feeds and yaml.safe_load(path.read_bytes()) is None:
            raise ConfigError(f"{path}: the file is empty: the {len(sched.feeds)} scheduled feeds are kept "
                              "(write 'feeds: []' to stop them all)")
    except ConfigError as exc:
        log.error("feeds_reload_failed", error=str(exc), hint="the scheduler keeps the feeds it had")
        return str(exc)
    sched.reload(list(feeds))
    log.info("feeds_reloaded", feeds=len([f for f in feeds if f.enabled]))
    return None
