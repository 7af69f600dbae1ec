"""``monitor scheduler``: run the feed scheduler until SIGTERM or Ctrl-C (logs to stdout)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import typer


def scheduler_command(
    leader_lock: Annotated[bool, typer.Option(help="Only the leader process enqueues polls "
                                                   "(slot claims prevent double polls either way).")] = True,
) -> None:
    """Schedule every enabled feed of feeds.yaml: one poll per feed and slot, enqueued on `polls`."""
    from monitor.cli import connect_or_exit, setup
    from monitor.keys import Keys
    from monitor.scheduler import FeedScheduler

    settings, config = setup(sys.stdout)
    connection = connect_or_exit(settings)
    sched = FeedScheduler(settings, connection, Keys(settings.key_prefix), list(config.feeds.feeds),
                          use_leader_lock=leader_lock)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sched.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sched.shutdown()
