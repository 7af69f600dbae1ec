"""RQ job for one new feed entry: fetch the article page, then the same pipeline as replay.

The page is fetched through the shared fetch layer (:class:`monitor.fetch.Fetcher`, built once
per process by the pipeline): timeouts, byte cap, redirects, and refusal of private, loopback
and link-local addresses for links found in feeds (``MONITOR_ALLOW_PRIVATE_ADDRESSES``).

* an entry whose link is already an item (same canonical URL, e.g. replayed under a new GUID or
  with tracking parameters) is not fetched again: the earlier item is returned, no alert;
* a **transient** fetch failure (timeout, 5xx, 429) is raised so RQ retries the job with
  back-off; on the last attempt the entry's own text is used instead;
* a **permanent** failure (404, refused address, over the byte cap), a body that is not HTML, or
  an HTML page with no text (a binary file served as HTML) falls back to the entry's content,
  summary or, failing those, its headline (``extraction_source`` says which);
* an entry with nothing at all fails at once, without RQ's retries.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import structlog
from rq import get_current_job

from monitor.errors import DocumentError, PermanentFetchError, TransientFetchError
from monitor.model import Document, EntryInfo
from monitor.pipeline import Pipeline
from monitor.politeness import host_of
from workers import context

log = structlog.get_logger(__name__)

_PAGE_TYPES = ("text/html", "application/xhtml", "text/plain")


def _entry_document(entry: EntryInfo, reason: str | None = None) -> Document:
    """A document with no page content: the extraction stage uses the entry's own text."""
    return Document(source=entry.link or entry.key or "entry", content=b"", content_type="text/html",
                    url=entry.link, entry=entry, warnings=(f"page not used: {reason}",) if reason else ())


def _put_back(pipeline: Pipeline, entry: dict[str, Any], turn: float) -> dict[str, Any]:
    """Schedule the entry's job again for its page's ``turn`` (epoch seconds) at its host."""
    from workers.polls import enqueue_entry

    job_id = enqueue_entry(pipeline.connection, pipeline.keys, entry, pipeline.settings.job_timeout, turn=turn)
    until = datetime.fromtimestamp(turn, UTC).isoformat(timespec="seconds")
    log.info("page_deferred", until=until, job_id=job_id, reason="its host has earlier pages to fetch first")
    return {"deferred_until": until, "job_id": job_id}


def _no_retries() -> None:
    """Make the running job's failure final (RQ retries only while ``retries_left`` > 0)."""
    job = get_current_job()
    if job is not None:
        job.retries_left = 0


def _last_attempt() -> bool:
    job = get_current_job()
    return job is not None and not job.retries_left


def _transient(entry: EntryInfo, exc: TransientFetchError) -> Document:
    """Raise ``exc`` for RQ to retry the job, or on its last attempt use the entry's own text."""
    if not _last_attempt():
        log.warning("page_fetch_retry", error=str(exc), retry_after=exc.retry_after)
        raise exc
    log.warning("page_fetch_failed", error=str(exc), fallback="entry", final_attempt=True)
    return _entry_document(entry, str(exc))


def fetch_page(pipeline: Pipeline, entry: EntryInfo) -> Document:
    """The entry's article page as a :class:`Document`, or the entry-only document on a permanent failure.

    The fetch keeps the per-host limits the feed polls keep (``MONITOR_HOST_MAX_CONCURRENT``,
    ``MONITOR_HOST_MIN_START_INTERVAL``, a host's 429 back-off), waiting at most
    ``MONITOR_HOST_WAIT_MAX`` seconds for a slot: a feed of 5,000 new entries fetched its site's
    pages at 25 a second in a bad-input trial.

    Raises:
        TransientFetchError: the page may be reachable later (or its host is busy, or asked us to
            wait) and RQ has retries left.
    """
    if not entry.link:
        return _entry_document(entry)
    host = host_of(entry.link)
    now = time.time()
    until = pipeline.hosts.host_backoff_until(host)
    if until and until > now:
        return _transient(entry, TransientFetchError(entry.link, f"host {host} asked us to wait (429)",
                                                     retry_after=until - now))
    lease = pipeline.hosts.acquire(host, pipeline.settings.host_wait_max)
    if lease is None:
        return _transient(entry, TransientFetchError(entry.link, f"host {host} busy (politeness limits)"))
    try:
        result = pipeline.fetcher.fetch(entry.link)
    except TransientFetchError as exc:
        if exc.status == 429:
            pipeline.hosts.back_off_host(host, time.time() + (exc.retry_after or 60.0))
        return _transient(entry, exc)
    except PermanentFetchError as exc:
        log.warning("page_fetch_failed", error=str(exc), fallback="entry")
        return _entry_document(entry, str(exc))
    finally:
        pipeline.hosts.release(lease)
    content_type = result.content_type or "text/html"
    if not result.content.strip():
        log.warning("page_empty", status=result.status, fallback="entry")
        return _entry_document(entry, f"{entry.link}: the page is empty (HTTP {result.status}, no text at all)")
    if not content_type.lower().startswith(_PAGE_TYPES):
        log.warning("page_not_html", content_type=content_type, fallback="entry")
        return _entry_document(entry, f"{entry.link}: not an HTML page ({content_type})")
    if b"\x00" in result.content[:8192]:  # no text page holds a NUL byte (git's and file(1)'s binary test)
        log.warning("page_binary", content_type=content_type, fallback="entry")
        return _entry_document(entry, f"{entry.link}: a binary file served as {content_type}")
    return Document(source=entry.link, content=result.content, content_type=content_type,
                    url=result.final_url, entry=entry)


#: Longest wait (seconds) for an article page's turn at its host inside the job; a later turn puts
#: the job back on the queue for then, so the worker serves other hosts' entries meanwhile.
PAGE_TURN_WAIT_MAX = 5.0


def process_entry(entry: dict[str, Any], turn: float | None = None) -> dict[str, Any]:
    """Process one feed entry (an :class:`~monitor.model.EntryInfo` as a dict).

    Its page waits for its turn at the host (:meth:`monitor.politeness.HostLimiter.reserve_page`,
    one page per ``MONITOR_HOST_MIN_START_INTERVAL``): up to :data:`PAGE_TURN_WAIT_MAX` seconds in
    the job, else the job is scheduled again for its turn (``turn``: the epoch second reserved).

    Returns:
        the ``replay --json`` object for the entry (also the RQ job result), or for a job put back
        ``{"deferred_until": ISO 8601, "job_id": ...}``.

    Raises:
        TransientFetchError: the page fetch failed in a way worth retrying (RQ retries).
        DocumentError: neither the page nor the entry has any text, not even a title (no retry).
    """
    info = EntryInfo(**entry)
    pipeline = context.get()
    with structlog.contextvars.bound_contextvars(feed_id=info.feed_id, entry_url=info.link):
        known = pipeline.dedup.known_url([info.link])
        earlier = pipeline.items.get(known[0]) if known else None
        if earlier is not None:
            log.info("item_duplicate", item_id=earlier.id, kind="url", fetched=False)
            return pipeline.repeat(earlier, info.link or earlier.source).to_json()
        if info.link and turn is None:
            turn = pipeline.hosts.reserve_page(host_of(info.link))
        if turn is not None and turn - time.time() > PAGE_TURN_WAIT_MAX:
            return _put_back(pipeline, entry, turn)
        if turn is not None:
            time.sleep(max(0.0, turn - time.time()))
        try:
            outcome = pipeline.process(fetch_page(pipeline, info))
        except DocumentError:
            _no_retries()  # the same bytes give the same error: fail now, listed in the failed jobs
            raise
    from workers.jobs import enqueue_deliveries

    enqueue_deliveries(pipeline, outcome.alerts)
    return outcome.to_json()
