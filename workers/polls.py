"""RQ job for one feed poll, and the enqueue helpers of the ``polls`` and ``entries`` queues.

Polls are RQ jobs on their own ``polls`` queue rather than calls in the scheduler's thread pool:
the work-horse RQ forks per job is killed at ``job_timeout`` (a second deadline behind the HTTP
one, case 20), poll capacity grows by starting ``monitor worker --queues polls`` processes on
any host, and a scheduler stays a small process that only claims slots and enqueues.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import redis
import structlog
from rq import Retry

from monitor.config import FeedConfig, FeedsFile, load_yaml_model
from monitor.errors import ConfigError
from monitor.keys import Keys
from monitor.settings import Settings
from workers.jobs import queue

log = structlog.get_logger(__name__)

ENTRY_RETRY = Retry(max=3, interval=[10, 60, 300])  #: entry jobs: transient page/Redis trouble
POLL_RETRY = Retry(max=1, interval=30)  #: a poll job that crashed (not one that failed to fetch: that is state)
POLL_RESULT_TTL = 3600  #: seconds a finished poll's summary is kept
POLL_FAILURE_TTL = 7 * 86400  #: seconds a crashed poll job is kept for inspection


def load_feeds(settings: Settings) -> dict[str, FeedConfig]:
    """The feeds of ``feeds.yaml`` by id, read now (so an edited file is seen without restarts).

    Raises:
        ConfigError: the file is invalid (names the file, line and feed).
    """
    path = settings.config_dir / "feeds.yaml"
    feeds = load_yaml_model(path, FeedsFile).feeds if path.exists() else ()
    return {feed.id: feed for feed in feeds}


def enqueue_entry(connection: redis.Redis, keys: Keys, entry: dict[str, Any], job_timeout: int) -> str:
    """Enqueue ``workers.entries.process_entry(entry)`` on the ``entries`` queue; return the job id.

    ``entry`` is an :class:`~monitor.model.EntryInfo` as a dict.
    """
    job = queue(connection, keys, "entries").enqueue(
        "workers.entries.process_entry", entry,
        job_timeout=job_timeout, result_ttl=86400, failure_ttl=30 * 86400, retry=ENTRY_RETRY,
        description=f"entry {entry.get('link') or entry.get('key')} of feed {entry.get('feed_id')}",
    )
    return str(job.id)


def enqueue_poll(connection: redis.Redis, keys: Keys, feed_id: str, slot: int, job_timeout: int) -> str:
    """Enqueue :func:`poll_feed` for ``feed_id`` and ``slot`` on the ``polls`` queue; return the job id.

    The caller has claimed the slot (``Keys.poll_slot``); the job id is RQ's own (case 24).
    """
    job = queue(connection, keys, "polls").enqueue(
        poll_feed, feed_id, slot,
        job_timeout=job_timeout, result_ttl=POLL_RESULT_TTL, failure_ttl=POLL_FAILURE_TTL, retry=POLL_RETRY,
        description=f"poll feed {feed_id} slot {slot}",
    )
    return str(job.id)


def make_poller(settings: Settings, connection: redis.Redis):  # type: ignore[no-untyped-def]
    """A :class:`monitor.polling.Poller` with the fetch layer built from ``settings``."""
    from monitor.fetch import Fetcher, FetchPolicy
    from monitor.polling import Poller

    policy = FetchPolicy.from_settings(settings) if hasattr(FetchPolicy, "from_settings") else FetchPolicy()
    return Poller(settings, connection, Keys(settings.key_prefix), Fetcher(policy))


def poll_feed(feed_id: str, slot: int) -> dict[str, Any]:
    """Poll one feed for one slot (epoch seconds of the slot start) and return the poll summary.

    Returns:
        :meth:`monitor.polling.PollOutcome.to_json` plus ``slot``.

    Raises:
        ConfigError: the feed is no longer in ``feeds.yaml`` (the job fails, naming it).
    """
    from monitor.redisconn import connect

    settings = Settings.load()
    feeds = load_feeds(settings)
    feed = feeds.get(feed_id)
    if feed is None:
        raise ConfigError(f"{settings.config_dir / 'feeds.yaml'}: feed {feed_id!r} is not configured any more")
    connection = connect(settings.redis_url)
    keys = Keys(settings.key_prefix)
    with structlog.contextvars.bound_contextvars(feed_id=feed_id, slot=slot):
        poller = make_poller(settings, connection)
        outcome = poller.poll(feed, lambda entry: _hand_on(connection, keys, entry, settings.job_timeout))
    return {**dataclasses.asdict(outcome), "slot": slot}


def _hand_on(connection: redis.Redis, keys: Keys, entry: dict[str, Any], job_timeout: int) -> None:
    enqueue_entry(connection, keys, entry, job_timeout)
