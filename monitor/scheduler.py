"""The feed scheduler: one APScheduler 3.11 job per enabled feed, each poll claimed once per slot.

Time is cut, per feed, into slots of its interval starting at a phase derived from the feed id
(so feeds spread over the interval, and every scheduler process computes the same slots). A
job fires once per slot, a little after the slot start (random jitter up to 10 % of the
interval, at most 60 s) and:

1. when a leader lock is used, returns unless this process holds it (``SET NX PX``, renewed at
   a third of its lifetime; a standby says so in the log and takes over when the leader stops
   renewing, within ``MONITOR_SCHEDULER_LEADER_TTL``);
2. returns while the feed is disabled or backing off (state in Redis);
3. claims ``Keys.poll_slot(feed_id, slot_start)`` with ``SET NX EX`` and only then enqueues one
   ``workers.polls.poll_feed`` job: however many scheduler processes run, and whoever leads,
   a feed is polled at most once per slot (case 18).

``coalesce=True`` with ``misfire_grace_time=None``: a process paused or blocked for several
intervals runs each job ONCE when it resumes (never zero, never a burst). The jobs only claim
and enqueue (milliseconds): the poll itself runs in an RQ worker under a hard timeout, so a
hung feed never blocks other feeds or its own later slots (case 20).
"""

from __future__ import annotations

import hashlib
import math
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from monitor.config import FeedConfig
from monitor.feedstate import FeedStateStore
from monitor.keys import Keys
from monitor.settings import Settings

log = structlog.get_logger(__name__)

EnqueuePoll = Callable[[str, int], str]

# KEYS: leader key. ARGV: instance id, ttl (ms). 1 when this instance holds the lock afterwards.
_LEADER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def feed_phase(feed_id: str, interval: float) -> float:
    """Stable offset of ``feed_id``'s slots within ``interval`` (seconds), the same in every process."""
    digest = int(hashlib.sha1(feed_id.encode("utf-8")).hexdigest()[:12], 16)
    return (digest % max(1, int(interval * 1000))) / 1000.0


def slot_start(t: float, interval: float, phase: float) -> float:
    """Start (epoch seconds) of the slot holding time ``t``."""
    return phase + math.floor((t - phase) / interval) * interval


def jitter_for(interval: float) -> float:
    """Random delay bound after a slot start: 10 % of the interval, at most 60 s (seconds)."""
    return min(0.1 * interval, 60.0)


class SlotTrigger(BaseTrigger):
    """Fires once per slot (see :func:`slot_start`), plus a random jitter that never accumulates.

    APScheduler's own IntervalTrigger adds each jitter to the previous (jittered) fire time,
    so fire times drift away from the slots; this one recomputes from the slot grid.
    """

    def __init__(self, interval: float, phase: float, jitter: float) -> None:
        self.interval, self.phase, self.jitter = interval, phase, jitter

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        if previous_fire_time is None:
            start = slot_start(now.timestamp(), self.interval, self.phase)
            nxt = start if start >= now.timestamp() else start + self.interval
        else:
            nxt = slot_start(previous_fire_time.timestamp(), self.interval, self.phase) + self.interval
        return datetime.fromtimestamp(nxt + random.uniform(0, self.jitter), tz=UTC)

    def __str__(self) -> str:
        return f"slots[{self.interval:g}s+{self.phase:g}]"


class LeaderLock:
    """A Redis lock (``SET NX PX``, renewed by its holder) naming the scheduler that enqueues polls."""

    def __init__(self, connection: redis.Redis, key: str, ttl: float, instance_id: str,
                 on_takeover: Callable[[], None] | None = None) -> None:
        self.key, self.ttl_ms, self.instance_id = key, int(ttl * 1000), instance_id
        self.r = connection
        self._script = connection.register_script(_LEADER)
        self.held: bool | None = None
        self.on_takeover = on_takeover

    def ensure(self) -> bool:
        """Take or renew the lock; log ``scheduler_leader`` / ``scheduler_standby`` on each change."""
        held = bool(self._script(keys=[self.key], args=[self.instance_id, self.ttl_ms]))
        previous, self.held = self.held, held
        if held != previous:
            log.info("scheduler_leader" if held else "scheduler_standby", instance=self.instance_id,
                     leader=self.instance_id if held else _text(self.r.get(self.key)))
            if held and previous is False and self.on_takeover is not None:
                self.on_takeover()
        return held

    def release(self) -> None:
        """Drop the lock if this instance holds it, so a standby takes over at once."""
        if self.r.get(self.key) == self.instance_id.encode():
            self.r.delete(self.key)
        self.held = False


class FeedScheduler:
    """Runs one slot job per enabled feed in a :class:`BackgroundScheduler` (UTC).

    Args:
        settings: ``poll_job_timeout``, ``scheduler_leader_ttl``, retention.
        connection: this scheduler's own Redis client. keys: key builder.
        feeds: the configured feeds (disabled ones are not scheduled).
        enqueue_poll: ``(feed_id, slot) -> job id``; default enqueues ``workers.polls.poll_feed``.
        use_leader_lock: only the leader enqueues (slot claims protect either way).
    """

    def __init__(self, settings: Settings, connection: redis.Redis, keys: Keys, feeds: list[FeedConfig],
                 *, enqueue_poll: EnqueuePoll | None = None, use_leader_lock: bool = True,
                 instance_id: str | None = None) -> None:
        self.settings, self.r, self.keys = settings, connection, keys
        self.feeds = {f.id: f for f in feeds if f.enabled}
        self.warn_repeated_urls(feeds)
        self.instance_id = instance_id or uuid.uuid4().hex[:12]
        self.store = FeedStateStore(connection, keys, settings.seen_retention_days * 86400.0)
        if enqueue_poll is None:  # imported here, not at the first tick: it loads the poll code
            from monitor.polling import poll_job_timeout
            from workers.polls import enqueue_poll as rq_enqueue

            self._rq_enqueue, self._job_timeout = rq_enqueue, poll_job_timeout(settings)
        self.enqueue_poll = enqueue_poll or self._enqueue_rq
        self.leader = (LeaderLock(connection, keys.scheduler_leader(), settings.scheduler_leader_ttl,
                                  self.instance_id, self._catch_up) if use_leader_lock else None)
        self.intervals: dict[str, float] = {}
        self._redis_down = False  # logged once per outage, not once per feed and firing
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    @staticmethod
    def warn_repeated_urls(feeds: list[FeedConfig] | tuple[FeedConfig, ...]) -> list[list[str]]:
        """Log ``feed_url_repeated`` for each URL that two or more enabled feeds poll (scheme and
        host case-folded): each is polled, its entries fetched twice, though the story alerts
        once; usually a feed pasted twice under two ids. Returns the groups of ids."""
        by_url: dict[str, list[FeedConfig]] = {}
        for feed in feeds:
            if feed.enabled:
                parts = urlsplit(feed.url)
                folded = urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
                by_url.setdefault(folded, []).append(feed)
        groups = [same for same in by_url.values() if len(same) > 1]
        for same in groups:
            log.warning("feed_url_repeated", feed_ids=[f.id for f in same], feed_url=same[0].url,
                        hint="each feed is polled and its entries fetched; remove one id if it was pasted twice")
        return [[f.id for f in same] for same in groups]

    def _enqueue_rq(self, feed_id: str, slot: int) -> str:
        # The feed's config travels with the job: the poll need not re-read feeds.yaml (measured:
        # 2.7 s of CPU per poll with 5,000 feeds listed, bench/README.md).
        feed = self.feeds.get(feed_id)
        return self._rq_enqueue(self.r, self.keys, feed_id, slot, self._job_timeout,
                                feed.model_dump(mode="json") if feed else None)

    def interval_of(self, feed: FeedConfig) -> float:
        """The feed's interval now: the adaptive one stored by its last poll, else the configured one."""
        stored = self.store.load(feed.id).interval
        return float(stored) if stored else float(feed.interval)

    def reload(self, feeds: list[FeedConfig]) -> None:
        """Apply an edited feed list: new enabled feeds get a job (firing at once when due),
        removed or disabled ones lose theirs, changed ones take their new settings."""
        wanted = {f.id: f for f in feeds if f.enabled}
        self.warn_repeated_urls(feeds)
        for feed_id in set(self.feeds) - set(wanted):
            if self.scheduler.get_job(feed_id):
                self.scheduler.remove_job(feed_id)
            self.intervals.pop(feed_id, None)
            log.info("feed_unscheduled", feed_id=feed_id)
        for feed_id, feed in wanted.items():
            old = self.feeds.get(feed_id)
            self.feeds[feed_id] = feed
            if old is None:
                self._schedule(feed, self.interval_of(feed), first_now=self._due(feed))
                log.info("feed_scheduled", feed_id=feed_id, feed_url=feed.url)
            elif old != feed:
                self._schedule(feed, self.interval_of(feed))
        for feed_id in set(self.feeds) - set(wanted):
            del self.feeds[feed_id]

    def start(self) -> None:
        """Add the jobs (a feed due now fires at once) and start the scheduler thread."""
        if self.leader is not None:
            renew = max(0.2, self.settings.scheduler_leader_ttl / 3)
            self.scheduler.add_job(self._renew_leader, "interval", seconds=renew, id="leader",
                                   next_run_time=datetime.now(UTC))
        for feed in self.feeds.values():
            self._schedule(feed, self.interval_of(feed), first_now=self._due(feed))
        self.scheduler.start()
        log.info("scheduler_started", instance=self.instance_id, feeds=len(self.feeds),
                 leader_lock=self.leader is not None)

    def shutdown(self) -> None:
        """Stop firing jobs and release the leader lock (polls already enqueued still run)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.leader is not None:
            self.leader.release()
        log.info("scheduler_stopped", instance=self.instance_id)

    def _catch_up(self) -> None:
        """On taking over from a leader that stopped: fire every feed now, so the slot that began
        while the lock was still the old leader's is not lost (a slot it did poll stays claimed)."""
        now = datetime.now(UTC)
        for feed_id in self.feeds:
            if self.scheduler.get_job(feed_id):
                self.scheduler.modify_job(feed_id, next_run_time=now)

    def _due(self, feed: FeedConfig) -> bool:
        state = self.store.load(feed.id)
        interval = state.interval or feed.interval
        return state.last_poll_at is None or time.time() - state.last_poll_at >= interval

    def _schedule(self, feed: FeedConfig, interval: float, first_now: bool = False) -> None:
        trigger = SlotTrigger(interval, feed_phase(feed.id, interval), jitter_for(interval))
        self.intervals[feed.id] = interval
        if self.scheduler.get_job(feed.id):
            self.scheduler.reschedule_job(feed.id, trigger=trigger)
            return
        # due now: fire at once, unless the next slot starts within half an interval anyway
        now = time.time()
        soon = slot_start(now, interval, trigger.phase) + interval - now < interval / 2
        extra = {"next_run_time": datetime.now(UTC) + timedelta(seconds=random.uniform(0, 0.2))} \
            if first_now and not soon else {}
        self.scheduler.add_job(self.tick, trigger, args=[feed.id], id=feed.id, name=f"poll {feed.id}",
                               **extra)

    def tick(self, feed_id: str) -> str:
        """One firing for ``feed_id``: claim the current slot and enqueue its poll.

        Returns:
            what happened: ``standby``, ``removed``, ``disabled``, ``backing-off``, ``taken``,
            ``enqueued``, or ``redis-down`` (the firing is skipped; one ``redis_unavailable`` line is
            logged per outage, and ``redis_available`` when it answers again, instead of a
            traceback per feed and firing).
        """
        return self._while_redis_answers(self._tick, feed_id)

    def _renew_leader(self) -> object:
        """The leader lock's renewal job, under the same one-line-per-outage rule as :meth:`tick`."""
        assert self.leader is not None
        return self._while_redis_answers(self.leader.ensure)

    def _while_redis_answers(self, step: Callable[..., Any], *args: Any) -> Any:
        """``step(*args)``, or ``"redis-down"`` when Redis does not answer: logged once per outage
        (``redis_unavailable``, then ``redis_available``), not as a traceback per firing."""
        try:
            outcome = step(*args)
        except redis.RedisError as exc:
            if not self._redis_down:
                self._redis_down = True
                log.warning("redis_unavailable", error=str(exc), hint="polls are not enqueued until Redis answers")
            return "redis-down"
        if self._redis_down:
            self._redis_down = False
            log.info("redis_available")
        return outcome

    def _tick(self, feed_id: str) -> str:
        if self.leader is not None and not self.leader.ensure():
            return "standby"
        feed = self.feeds.get(feed_id)
        if feed is None:  # removed by a reload while this firing was under way
            return "removed"
        state = self.store.load(feed_id)
        interval = float(state.interval or feed.interval)
        if interval != self.intervals.get(feed_id):
            log.info("feed_interval_changed", feed_id=feed_id, interval=interval)
            self._schedule(feed, interval)
        now = time.time()
        if state.disabled_reason:
            return "disabled"
        if state.backoff_until and state.backoff_until > now:
            log.debug("feed_backing_off", feed_id=feed_id, until=state.backoff_until)
            return "backing-off"
        slot = int(slot_start(now, interval, feed_phase(feed_id, interval)))
        if state.last_slot is not None and state.last_slot >= slot:
            return "taken"  # polled in a slot of the old grid that began after this one did
        if not self.r.set(self.keys.poll_slot(feed_id, slot), self.instance_id, nx=True,
                          ex=int(2 * interval) + 60):
            log.debug("poll_slot_taken", feed_id=feed_id, slot=slot)
            return "taken"
        job_id = self.enqueue_poll(feed_id, slot)
        log.info("poll_enqueued", feed_id=feed_id, feed_url=feed.url, slot=slot, job_id=job_id)
        return "enqueued"
