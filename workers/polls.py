"""RQ job for one feed poll, and the enqueue helpers of the ``polls`` and ``entries`` queues.

Polls are RQ jobs on their own ``polls`` queue rather than calls in the scheduler's thread pool:
the work-horse RQ forks per job is killed at ``job_timeout`` (a second deadline behind the HTTP
one, case 20), poll capacity grows by starting ``monitor worker --queues polls`` processes on
any host, and a scheduler stays a small process that only claims slots and enqueues.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import redis
import structlog
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from monitor.config import FeedConfig, FeedsFile, load_yaml_model
from monitor.errors import ConfigError
from monitor.keys import Keys
from monitor.polling import Poller
from monitor.settings import Settings

log = structlog.get_logger(__name__)

ENTRY_RETRY = Retry(max=3, interval=[10, 60, 300])  #: entry jobs: transient page/Redis trouble
#: a poll job that crashed (a failed fetch is not a crash: it is recorded in the feed state)
POLL_RETRY = Retry(max=1, interval=30)
POLL_RESULT_TTL = 3600  #: seconds a finished poll's summary is kept
POLL_FAILURE_TTL = 7 * 86400  #: seconds a crashed poll job is kept for inspection


def queue(connection: redis.Redis, keys: Keys, name: str) -> Queue:
    """The RQ queue ``name`` under the key prefix, JSON-serialized (as ``workers.jobs.queue``,
    without importing the article pipeline into poll workers)."""
    return Queue(keys.queue(name), connection=connection, serializer=JSONSerializer)


def load_feeds(settings: Settings) -> dict[str, FeedConfig]:
    """The feeds of ``feeds.yaml`` by id, read now (so an edited file is seen without restarts).

    Raises:
        ConfigError: the file is invalid (names the file, line and feed).
    """
    path = settings.config_dir / "feeds.yaml"
    feeds = load_yaml_model(path, FeedsFile).feeds if path.exists() else ()
    return {feed.id: feed for feed in feeds}


def enqueue_entry(
    connection: redis.Redis, keys: Keys, entry: dict[str, Any], job_timeout: int, turn: float | None = None
) -> str:
    """Enqueue ``workers.entries.process_entry(entry)`` on the ``entries`` queue; return the job id.

    ``entry`` is an :class:`~monitor.model.EntryInfo` as a dict. ``turn`` (epoch seconds): the
    page's reserved turn at its host; the job is scheduled for then (RQ's scheduler, which every
    ``monitor worker`` runs, moves it to the queue).
    """
    q = queue(connection, keys, "entries")
    options: dict[str, Any] = {
        "job_timeout": job_timeout, "result_ttl": 86400, "failure_ttl": 30 * 86400, "retry": ENTRY_RETRY,
        "description": f"entry {entry.get('link') or entry.get('key')} of feed {entry.get('feed_id')}",
    }
    if turn is None:
        job = q.enqueue("workers.entries.process_entry", entry, **options)
    else:
        job = q.enqueue_at(datetime.fromtimestamp(turn, UTC), "workers.entries.process_entry", entry, turn, **options)
    return str(job.id)


def enqueue_poll(
    connection: redis.Redis, keys: Keys, feed_id: str, slot: int, job_timeout: int,
    feed: dict[str, Any] | None = None,
) -> str:
    """Enqueue :func:`poll_feed` for ``feed_id`` and ``slot`` on the ``polls`` queue; return the job id.

    The caller has claimed the slot (``Keys.poll_slot``); the job id is RQ's own (case 24).
    ``feed`` is the feed's :class:`FeedConfig` as a JSON dict (the scheduler's view); without it
    the job reads ``feeds.yaml``.
    """
    job = queue(connection, keys, "polls").enqueue(
        poll_feed, feed_id, slot, feed,
        job_timeout=job_timeout, result_ttl=POLL_RESULT_TTL, failure_ttl=POLL_FAILURE_TTL, retry=POLL_RETRY,
        description=f"poll feed {feed_id} slot {slot}",
    )
    return str(job.id)


@dataclasses.dataclass
class _PollContext:
    """What every poll in this process uses: settings, Redis client, fetcher (built once)."""

    settings: Settings
    connection: redis.Redis
    fetcher: Any


_context: _PollContext | None = None


def _poll_context() -> _PollContext:
    """This process's poll resources for the current settings; built on first use, or by
    :func:`warm_up` before RQ forks,
    so that each work-horse inherits them instead of building an httpx client and TLS context
    (0.26 s) and a Redis client per job."""
    global _context
    settings = Settings.load()  # cheap; a changed environment (tests) gets a fresh context
    if _context is None or _context.settings != settings:
        from monitor.fetch import Fetcher, FetchPolicy
        from monitor.redisconn import connect

        _context = _PollContext(settings, connect(settings.redis_url, check=False),
                                Fetcher(FetchPolicy.from_settings(settings)))
    return _context


def warm_up(settings: Settings) -> None:
    """Load, in a worker before it forks, what every poll would otherwise load lazily in its own
    work-horse: the Public Suffix List (0.14 s), httpx's transport and TLS modules (0.1 s), the
    feed parser's first-use imports, and the process's poll context. Measured: a forked poll took
    0.42 s without this."""
    from monitor.feeds import parse_feed
    from monitor.politeness import host_of

    host_of("https://www.example.org/feed.xml")
    _poll_context()
    parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>i</title>'
               b"<link>https://www.example.org/1</link></item></channel></rss>",
               "application/rss+xml", "https://www.example.org/feed.xml")


def poll_feed(feed_id: str, slot: int, feed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Poll one feed for one slot (epoch seconds of the slot start) and return the poll summary.

    Args:
        feed: the feed's config as the scheduler saw it (a :class:`FeedConfig` dict); when None
            (jobs enqueued by older schedulers, or by hand) ``feeds.yaml`` is read.

    Returns:
        :meth:`monitor.polling.PollOutcome.to_json` plus ``slot``.

    Raises:
        ConfigError: the feed is no longer in ``feeds.yaml`` (the job fails, naming it).
    """
    ctx = _poll_context()
    settings = ctx.settings
    config = FeedConfig.model_validate(feed) if feed else load_feeds(settings).get(feed_id)
    if config is None:
        path = settings.config_dir / "feeds.yaml"
        raise ConfigError(f"{path}: feed {feed_id!r} is not configured any more")
    keys = Keys(settings.key_prefix)
    connection = ctx.connection
    with structlog.contextvars.bound_contextvars(feed_id=feed_id, slot=slot):
        poller = Poller(settings, connection, keys, ctx.fetcher)
        outcome = poller.poll(config, lambda e: enqueue_entry(connection, keys, e, settings.job_timeout),
                              slot=slot)
    return {**dataclasses.asdict(outcome), "slot": slot}
