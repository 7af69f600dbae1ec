"""Per-feed polling state and the seen-set of entry keys, in Redis.

State is one hash per feed (``Keys.feed_state``): validators, stored URL, counters, back-off,
disabled reason, last status and error, and the recent poll history the adaptive interval
reads. The seen-set (``Keys.feed_seen``) is a sorted set whose members are hashed entry keys
(``k:…``) and aliases by link path plus title (``a:…``), scored by the last time the entry was
in the feed; members older than ``Settings.seen_retention_days`` are pruned, so an entry stays
"seen" for as long as it is in the feed and that long after.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal
from urllib.parse import urlsplit

import redis

from monitor.keys import Keys
from monitor.textnorm import normalize

Health = Literal["ok", "degraded", "failing", "disabled", "new"]
FAILING_AFTER = 3  #: consecutive errors from which a feed is "failing" rather than "degraded"
HISTORY_LEN = 50  #: poll records kept for the adaptive interval


@dataclass
class FeedState:
    """What we know about one feed between polls. Times are epoch seconds (float), None when never.

    ``url`` is the stored URL (after permanent redirects) and ``config_url`` the configured URL
    it was derived from: when the user edits the URL in ``feeds.yaml`` the stored one is dropped.
    ``history`` holds ``[poll_time, new_entries]`` pairs of successful polls (oldest first).
    ``last_slot`` is the start (epoch seconds) of the scheduler slot last polled.
    """

    url: str | None = None
    config_url: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_poll_at: float | None = None
    last_success_at: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    last_duration: float | None = None
    entries_found: int = 0
    new_entries: int = 0
    total_new: int = 0
    consecutive_errors: int = 0
    backoff_until: float | None = None
    disabled_reason: str | None = None
    interval: float | None = None
    last_slot: int | None = None
    warnings: list[str] = field(default_factory=list)
    history: list[list[float]] = field(default_factory=list)

    @property
    def health(self) -> Health:
        """``disabled`` (410 or similar), ``failing`` (>= 3 errors in a row), ``degraded`` (1-2),
        ``ok`` (last poll succeeded; warnings do not count, case 03), ``new`` (never polled)."""
        if self.disabled_reason:
            return "disabled"
        if self.consecutive_errors >= FAILING_AFTER:
            return "failing"
        if self.consecutive_errors:
            return "degraded"
        return "ok" if self.last_poll_at is not None else "new"

    def effective_url(self, config_url: str) -> str:
        """The URL to fetch: the stored one when it derives from the configured ``config_url``."""
        return self.url if self.url and self.config_url == config_url else config_url

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["health"] = self.health
        return data


_JSON_FIELDS = {"warnings", "history"}
_FIELD_TYPES = {f.name: f.type for f in fields(FeedState)}


def _decode(name: str, raw: bytes) -> Any:
    text = raw.decode("utf-8")
    if name in _JSON_FIELDS:
        return json.loads(text)
    kind = str(_FIELD_TYPES[name])
    if kind.startswith("int"):
        return int(text)
    if kind.startswith("float"):
        return float(text)
    return text


def _seen_member_key(key: str) -> str:
    return "k:" + hashlib.sha1(key.encode("utf-8")).hexdigest()


SeenEntry = tuple[str, tuple[str, ...]]  #: (entry key, aliases) as checked against a seen-set


def seen_aliases(link: str | None, title: str | None) -> tuple[str, ...]:
    """Second identities of an entry as seen-set members: :func:`seen_alias` (link path + title).

    The canonical link alone (``FeedEntry.link_key``) is deliberately not one: feeds whose
    items all point at one page (a home page, a daily briefing) would hide every later item.
    """
    alias = seen_alias(link, title)
    return (alias,) if alias else ()


def seen_alias(link: str | None, title: str | None) -> str | None:
    """Alias of an entry by link path (and query) plus normalized title, or None without both.

    Matches an entry already seen when a feed moves and rewrites its GUIDs and link hosts
    (case 13 step 5: ``https://old.example/a/1`` and ``https://new.example/a/1`` with one title).
    """
    if not link or not title:
        return None
    parts = urlsplit(link)
    path = parts.path.rstrip("/") + ("?" + parts.query if parts.query else "")
    if not path:
        return None
    text = path + "\x1f" + " ".join(normalize(title).split())
    return "a:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


class FeedStateStore:
    """Reads and writes :class:`FeedState` and the seen-set of each feed.

    Args:
        connection: Redis client. keys: key builder. seen_retention: seconds a seen entry is
            remembered after it was last in the feed.
    """

    def __init__(self, connection: redis.Redis, keys: Keys, seen_retention: float) -> None:
        self.r = connection
        self.keys = keys
        self.seen_retention = seen_retention

    def load(self, feed_id: str) -> FeedState:
        """The feed's state (defaults when it was never polled)."""
        raw: dict[bytes, bytes] = self.r.hgetall(self.keys.feed_state(feed_id))  # type: ignore[assignment]
        values = {}
        for k, v in raw.items():
            name = k.decode("utf-8")
            if name in _FIELD_TYPES:
                values[name] = _decode(name, v)
        return FeedState(**values)

    def save(self, feed_id: str, state: FeedState) -> None:
        """Write every field of ``state`` (None fields are removed from the hash)."""
        key = self.keys.feed_state(feed_id)
        mapping: dict[str | bytes, str] = {}
        empty: list[str] = []
        for name, value in asdict(state).items():
            if value is None:
                empty.append(name)
            elif name in _JSON_FIELDS:
                mapping[name] = json.dumps(value, ensure_ascii=False)
            else:
                mapping[name] = str(value)
        pipe = self.r.pipeline(transaction=True)
        if empty:
            pipe.hdel(key, *empty)
        pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
        pipe.execute()

    def reset(self, feed_id: str) -> None:
        """Forget the feed's state and seen-set (``feeds reset``, tests)."""
        self.r.delete(self.keys.feed_state(feed_id), self.keys.feed_seen(feed_id))

    # seen-set ------------------------------------------------------------------
    def unseen(self, feed_id: str, candidates: Iterable[SeenEntry]) -> list[bool]:
        """For each ``(entry key, aliases)``, True when neither the key nor any alias is seen."""
        entries = list(candidates)
        members = [[_seen_member_key(key), *aliases] for key, aliases in entries]
        flat = [m for ms in members for m in ms]
        if not flat:
            return []
        scores = self.r.zmscore(self.keys.feed_seen(feed_id), flat)
        out, at = [], 0
        for ms in members:  # each entry's own slice of the scores: never short-circuit across entries
            out.append(all(score is None for score in scores[at : at + len(ms)]))
            at += len(ms)
        return out

    def mark_seen(self, feed_id: str, entries: Iterable[SeenEntry], now: float | None = None) -> None:
        """Record entry keys and their aliases as seen at ``now``; prune members past the retention."""
        now = time.time() if now is None else now
        mapping: dict[str, float] = {}
        for key, aliases in entries:
            mapping[_seen_member_key(key)] = now
            mapping.update(dict.fromkeys(aliases, now))
        key = self.keys.feed_seen(feed_id)
        pipe = self.r.pipeline(transaction=True)
        if mapping:
            pipe.zadd(key, mapping)  # type: ignore[arg-type]
        pipe.zremrangebyscore(key, "-inf", now - self.seen_retention)
        pipe.expire(key, int(self.seen_retention) + 86400)
        pipe.execute()

    def seen_count(self, feed_id: str) -> int:
        """Members of the seen-set (entry keys plus aliases)."""
        return int(self.r.zcard(self.keys.feed_seen(feed_id)))
