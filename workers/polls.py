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


def poll_job_timeout(settings: Settings) -> int:
    """RQ ``job_timeout`` of a poll (seconds): ``MONITOR_POLL_JOB_TIMEOUT``, and never less than
    the HTTP deadline plus the wait for the host's limits plus 30 s, so the fetch layer's own
    deadline always fires first and RQ's kill is only the second safety net (case 20)."""
    floor = settings.fetch_total_timeout + settings.host_wait_max + 30
    return int(max(settings.poll_job_timeout, floor))


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
        path = settings.config_dir / "feeds.yaml"
        raise ConfigError(f"{path}: feed {feed_id!r} is not configured any more")
    from monitor.fetch import Fetcher, FetchPolicy

    connection = connect(settings.redis_url)
    keys = Keys(settings.key_prefix)
    with (structlog.contextvars.bound_contextvars(feed_id=feed_id, slot=slot),
          Fetcher(FetchPolicy.from_settings(settings)) as fetcher):
        poller = Poller(settings, connection, keys, fetcher)
        outcome = poller.poll(feed, lambda e: enqueue_entry(connection, keys, e, settings.job_timeout))
    return {**dataclasses.asdict(outcome), "slot": slot}
