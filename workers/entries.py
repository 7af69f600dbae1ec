"""RQ job for one new feed entry: fetch the article page, then the same pipeline as replay.

This first version fetches with a plain httpx GET (timeouts, byte cap) and falls back to the
entry's own content or summary when the page cannot be fetched; the article-processing work
replaces the GET with the shared fetch layer (address checks, charset, limits).
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from monitor import USER_AGENT
from monitor.model import Document, EntryInfo
from workers import context

log = structlog.get_logger(__name__)


def _entry_document(entry: EntryInfo) -> Document:
    """A plain-text document from the entry's own text (title line, then content or summary)."""
    body = entry.content or entry.summary or ""
    text = f"{entry.title or ''}\n\n{body}"
    return Document(source=entry.link or entry.key or "entry", content=text.encode("utf-8"),
                    content_type="text/plain", url=entry.link, entry=entry)


def process_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Process one feed entry (an :class:`~monitor.model.EntryInfo` as a dict).

    Returns:
        the ``replay --json`` object for the entry (also the RQ job result).
    """
    info = EntryInfo(**entry)
    pipeline = context.get()
    settings = pipeline.settings
    doc = _entry_document(info)
    if info.link:
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=True,
                              headers={"User-Agent": USER_AGENT}) as client:
                resp = client.get(info.link)
                resp.raise_for_status()
                if len(resp.content) <= settings.max_document_bytes:
                    doc = Document(source=info.link, content=resp.content,
                                   content_type=resp.headers.get("content-type", "text/html"),
                                   url=str(resp.url), entry=info)
        except httpx.HTTPError as exc:
            log.warning("page_fetch_failed", entry_url=info.link, error=str(exc))
    with structlog.contextvars.bound_contextvars(feed_id=info.feed_id, entry_url=info.link):
        outcome = pipeline.process(doc)
    from workers.jobs import enqueue_deliveries

    enqueue_deliveries(pipeline, outcome.alerts)
    return outcome.to_json()
