"""One poll of one feed: fetch (conditional GET), parse, pick the unseen entries, hand them on,
update the feed's state. The orchestrator of the feed stages, as ``pipeline`` is of the item stages.

Knows nothing of RQ: new entries go to the ``hand_on`` callable (the RQ job passes an enqueue).
An entry is marked seen only after ``hand_on`` returned for it, so a failed enqueue is retried
at the next poll instead of being lost.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
import structlog

from monitor.adaptive import adaptive_interval, backoff_delay, cache_max_age, with_server_floor
from monitor.config import FeedConfig
from monitor.errors import FetchError, MonitorError, PermanentFetchError, TransientFetchError
from monitor.feeds import parse_feed
from monitor.feedstate import HISTORY_LEN, FeedState, FeedStateStore, SeenEntry, seen_aliases
from monitor.fetch import Fetcher, FetchResult, Validators
from monitor.keys import Keys
from monitor.politeness import HostLimiter, desynchronised_return, host_of
from monitor.settings import Settings

log = structlog.get_logger(__name__)

HandOn = Callable[[dict[str, Any]], object]  #: takes an EntryInfo dict; its return value is ignored


@dataclass
class PollOutcome:
    """What one poll did; ``skipped`` names why no request was made, ``error`` why it failed."""

    feed_id: str
    feed_url: str
    status: int | None = None
    entries: int = 0
    new: int = 0
    duration: float = 0.0
    error: str | None = None
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def poll_job_timeout(settings: Settings) -> int:
    """Hard limit of one poll (seconds): RQ ``job_timeout``, per-feed poll lock and host lease.

    ``MONITOR_POLL_JOB_TIMEOUT``, never less than the HTTP deadline plus the wait for the host's
    limits plus 30 s, so the fetch layer's own deadline always fires first and RQ's kill of the
    work-horse is only the second safety net (case 20).
    """
    floor = settings.fetch_total_timeout + settings.host_wait_max + 30
    return int(max(settings.poll_job_timeout, floor))


class Poller:
    """Polls feeds with the shared fetch layer, the feed parser and Redis-held state.

    Args:
        settings: for the limits (``poll_job_timeout``, ``host_*``, ``max_backoff``, retention).
        connection, keys: Redis client and key builder.
        fetcher: the fetch layer (``monitor.fetch.Fetcher``).
    """

    def __init__(self, settings: Settings, connection: redis.Redis, keys: Keys, fetcher: Fetcher) -> None:
        self.settings = settings
        self.r = connection
        self.keys = keys
        self.fetcher = fetcher
        self.store = FeedStateStore(connection, keys, settings.seen_retention_days * 86400.0)
        self.hosts = HostLimiter(connection, keys, settings.host_max_concurrent,
                                 settings.host_min_start_interval, lease=float(poll_job_timeout(settings)))

    def poll(self, feed: FeedConfig, hand_on: HandOn, *, force: bool = False,
             slot: int | None = None) -> PollOutcome:
        """Poll ``feed`` once and log one ``feed_polled`` line. ``force`` ignores back-off;
        ``slot`` (the scheduler's slot start, epoch seconds) is recorded as ``last_slot``.

        Fetch and parse failures are recorded in the feed's state, not raised.

        Raises:
            redis.RedisError: Redis failed (the job fails and RQ retries it).
            Exception: whatever ``hand_on`` raised (entries handed on before it stay seen).
        """
        lock = self.keys.feed_poll_lock(feed.id)
        if not self.r.set(lock, "1", nx=True, ex=poll_job_timeout(self.settings)):
            return self._skip(feed, feed.url, "another poll of this feed is running")
        try:
            return self._poll_locked(feed, hand_on, force, slot)
        finally:
            self.r.delete(lock)

    def _poll_locked(self, feed: FeedConfig, hand_on: HandOn, force: bool, slot: int | None) -> PollOutcome:
        state = self.store.load(feed.id)
        state.last_slot = slot if slot is not None else state.last_slot
        url = state.effective_url(feed.url)
        now = time.time()
        if state.disabled_reason:
            return self._skip(feed, url, f"disabled: {state.disabled_reason}")
        if not force and state.backoff_until and state.backoff_until > now:
            return self._skip(feed, url, "backing off")
        host = host_of(url)
        host_until = self.hosts.host_backoff_until(host)
        if host_until and not force:
            state.backoff_until = desynchronised_return(host_until, now)
            self.store.save(feed.id, state)
            return self._skip(feed, url, f"host {host} asked us to wait (429)")
        lease = self.hosts.acquire(host, self.settings.host_wait_max)
        if lease is None:
            return self._skip(feed, url, f"host {host} busy (politeness limits)")
        started = time.monotonic()
        try:
            result = self._fetch(feed, state, url)
        except FetchError as exc:
            return self._failed(feed, state, url, exc, host, time.monotonic() - started)
        finally:
            self.hosts.release(lease)
        return self._fetched(feed, state, url, result, hand_on, started)

    def _fetch(self, feed: FeedConfig, state: FeedState, url: str) -> FetchResult:
        validators = None if feed.ignore_validators else Validators(state.etag, state.last_modified)
        return self.fetcher.fetch(url, validators=validators, ignore_validators=feed.ignore_validators)

    def _fetched(self, feed: FeedConfig, state: FeedState, url: str, result: FetchResult,
                 hand_on: HandOn, started: float) -> PollOutcome:
        if result.permanent_redirect:
            state.url, state.config_url = result.permanent_redirect, feed.url
        if result.not_modified:  # a 304 often omits validators: keep the stored ones then
            state.etag = result.validators.etag or state.etag
            state.last_modified = result.validators.last_modified or state.last_modified
        else:
            state.etag, state.last_modified = result.validators.etag, result.validators.last_modified
        if result.not_modified:
            out = PollOutcome(feed.id, url, status=result.status, entries=0, new=0)
            return self._succeeded(feed, state, out, result, None, started)
        try:
            parsed = parse_feed(result.content, result.content_type, result.final_url,
                                language_hint=feed.language, timezone_hint=feed.timezone)
        except MonitorError as exc:
            err = exc if isinstance(exc, FetchError) else PermanentFetchError(url, str(exc), result.status)
            err.status = err.status or result.status
            # validators of a body that is no feed would turn the next poll into a 304 that looks
            # healthy (a bad-input trial): ask unconditionally until a feed is read
            state.etag = state.last_modified = None
            return self._failed(feed, state, url, err, host_of(url), time.monotonic() - started)
        new = self._hand_on_new(feed, parsed.entries, hand_on)
        state.title = parsed.title or state.title
        out = PollOutcome(feed.id, url, status=result.status, entries=len(parsed.entries), new=new,
                          warnings=[*result.warnings, *parsed.warnings])
        return self._succeeded(feed, state, out, result, parsed.ttl_seconds, started)

    def _hand_on_new(self, feed: FeedConfig, entries: list[Any], hand_on: HandOn) -> int:
        """Hand on each unseen entry (once per key), mark it seen after; refresh the seen ones."""
        unique: dict[str, Any] = {}
        for entry in entries:
            unique.setdefault(entry.key, entry)
        pairs: list[SeenEntry] = [(key, seen_aliases(e.link, e.title)) for key, e in unique.items()]
        fresh = self.store.unseen(feed.id, pairs)
        self.store.mark_seen(feed.id, [p for p, f in zip(pairs, fresh, strict=True) if not f])
        done: list[SeenEntry] = []
        try:
            for pair, is_new in zip(pairs, fresh, strict=True):
                if is_new:
                    hand_on(dataclasses.asdict(unique[pair[0]].to_entry_info(feed.id, feed.language)))
                    done.append(pair)
        finally:
            self.store.mark_seen(feed.id, done)
        return len(done)

    def _succeeded(self, feed: FeedConfig, state: FeedState, out: PollOutcome, result: FetchResult,
                   ttl: float | None, started: float) -> PollOutcome:
        now = time.time()
        state.history = (state.history + [[now, out.new]])[-HISTORY_LEN:]
        base = (adaptive_interval(state.history, now, feed.interval, feed.min_interval, feed.max_interval)
                if feed.adaptive else float(feed.interval))
        state.interval = with_server_floor(base, ttl, cache_max_age(result.headers))
        if out.status != 304:
            state.entries_found, state.warnings = out.entries, out.warnings
        state.new_entries = out.new
        state.total_new += out.new
        state.consecutive_errors, state.backoff_until, state.last_error = 0, None, None
        state.last_status, state.last_poll_at, state.last_success_at = out.status, now, now
        out.duration = round(time.monotonic() - started, 3)
        state.last_duration = out.duration
        self.store.save(feed.id, state)
        return self._log(out)

    def _failed(self, feed: FeedConfig, state: FeedState, url: str, exc: FetchError, host: str,
                duration: float) -> PollOutcome:
        now = time.time()
        state.last_poll_at, state.last_status, state.last_error = now, exc.status, exc.reason
        state.last_duration = round(duration, 3)
        state.new_entries = 0
        if exc.status == 410:
            state.disabled_reason = f"410 Gone: {exc.reason}"
        else:
            state.consecutive_errors += 1
            retry_after = exc.retry_after if isinstance(exc, TransientFetchError) else None
            interval = state.interval or float(feed.interval)
            cap = self.settings.max_backoff
            if retry_after:
                # Retry-After is a not-before (RFC 9110, 10.2.3): the first time it is the wait. A feed
                # refused again waits longer: past the host's other feeds, which the host marks for
                # Retry-After only and which come back within half of it after that (see
                # desynchronised_return), then as other failures do, so a feed answering 429 for good
                # does not keep its host closed to them
                again = 1.5 if state.consecutive_errors > 1 else 1.0
                delay = max(again * retry_after, backoff_delay(state.consecutive_errors - 1, interval, cap))
            else:
                delay = backoff_delay(state.consecutive_errors, interval, cap)
            state.backoff_until = now + delay
            if exc.status == 429:
                self.hosts.back_off_host(host, now + (retry_after or interval))
        self.store.save(feed.id, state)
        return self._log(PollOutcome(feed.id, url, status=exc.status, duration=round(duration, 3),
                                     error=exc.reason))

    def _skip(self, feed: FeedConfig, url: str, reason: str) -> PollOutcome:
        log.info("feed_poll_skipped", feed_id=feed.id, feed_url=url, reason=reason)
        return PollOutcome(feed.id, url, skipped=reason)

    @staticmethod
    def _log(out: PollOutcome) -> PollOutcome:
        fields_ = {"feed_id": out.feed_id, "feed_url": out.feed_url, "status": out.status,
                   "entries": out.entries, "new": out.new, "duration": out.duration}
        if out.error:
            log.warning("feed_polled", **fields_, error=out.error)
        else:
            log.info("feed_polled", **fields_, warnings=out.warnings)
        return out
