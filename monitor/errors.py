"""The project's exception tree.

MonitorError
├── ConfigError            bad settings or config files (names the file/setting and place)
├── DocumentError          one input document cannot be processed (names the document)
│   └── DocumentTooLarge   more bytes than the configured cap
├── FetchError             an HTTP fetch failed (names the URL)
│   ├── TransientFetchError   worth retrying with back-off (timeouts, 5xx, 429)
│   └── PermanentFetchError   not worth retrying (404, 410, not a feed)
│       └── NotAFeedError     the body is not a feed (HTML page); names the feed it links, if any
└── DropItem               a stage decided the item goes no further (an explicit value, not None)

Library errors are re-raised as one of these with ``raise ... from exc``.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(MonitorError):
    """A setting or a config file is invalid; the message names the file or setting and the place."""


class DocumentError(MonitorError):
    """One document cannot be processed; the message starts with the document's source."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class DocumentTooLarge(DocumentError):
    """The document is larger than the byte cap (``MONITOR_MAX_DOCUMENT_BYTES``)."""


class FetchError(MonitorError):
    """An HTTP fetch failed; ``url`` names the resource."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class TransientFetchError(FetchError):
    """A fetch failure worth retrying with back-off (timeout, connection reset, 5xx, 429)."""

    def __init__(
        self, url: str, reason: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(url, reason, status)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """A fetch failure that retrying will not fix (404, 410, not a feed, refused address)."""


class DropItem(MonitorError):
    """Raised by a stage to stop an item explicitly; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAFeedError(PermanentFetchError):
    """The body is not RSS, Atom or RDF (an HTML page, a bot check, a parking page...).

    ``feed_link`` is the feed an HTML page advertises (``<link rel="alternate">``), if any.
    """

    def __init__(self, url: str, reason: str, feed_link: str | None = None) -> None:
        super().__init__(url, reason)
        self.feed_link = feed_link


class DeliveryError(MonitorError):
    """A channel did not accept an alert (non-2xx answer, timeout, refused connection, bad URL).

    Transient from the caller's view: delivery jobs are retried with back-off; the message
    names the channel and the reason.
    """


def not_utf8(exc: UnicodeDecodeError, data: bytes) -> str:
    """The message for bytes that are not UTF-8: where, which byte, and how to convert them.

    Legacy Arabic files are windows-1256 (a plain-text export, a CSV from a desktop tool), so
    the hint names that conversion; HTML declares its charset and is decoded by it instead.
    """
    bad = data[exc.start : exc.start + 1]
    return (
        f"not valid UTF-8 (byte {exc.start}: {bad!r}); if the whole file is legacy Arabic, convert it first "
        "(iconv -f windows-1256 -t utf-8), but not a file whose other lines are UTF-8: that would garble them"
    )
