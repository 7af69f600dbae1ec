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
    from monitor.cli import connect_or_exit, setup
    from monitor.config import file_stamp
    from monitor.keys import Keys
    from monitor.scheduler import FeedScheduler

    settings, config = setup(sys.stdout)
    # one line per firing is ours (poll_enqueued); APScheduler's "Running job" pair is noise
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    connection = connect_or_exit(settings, wait=True)
    sched = FeedScheduler(settings, connection, Keys(settings.key_prefix), list(config.feeds.feeds),
                          use_leader_lock=leader_lock)
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
                _reload(sched, feeds_path)
    finally:
        sched.shutdown()


def _reload(sched, path: Path) -> None:  # type: ignore[no-untyped-def]
    from monitor.config import FeedsFile, load_yaml_model
    from monitor.errors import ConfigError

    try:
        feeds = load_yaml_model(path, FeedsFile).feeds if path.exists() else ()
    except ConfigError as exc:
        log.error("feeds_reload_failed", error=str(exc))
        return
    sched.reload(list(feeds))
    log.info("feeds_reloaded", feeds=len([f for f in feeds if f.enabled]))
