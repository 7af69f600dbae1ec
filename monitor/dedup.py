"""Dedup stage: is this document new, the same item again, or a repeat of an earlier story?

Levels, cheapest first, each one Redis round trip:

1. **canonical URL** (tracking parameters and fragments removed by the caller): the same item again;
2. **exact text**: SHA-256 of the normalized body (:func:`monitor.textnorm.normalize`): the same
   article at another address, joined to the earlier item's story;

Both are checked and claimed in one Lua script, so two workers racing on the same
article cannot both see it as new.
"""

from __future__ import annotations

import hashlib
import uuid

import redis

from monitor.keys import Keys
from monitor.model import DedupResult
from monitor.textnorm import normalize

# KEYS[1] seen-url key or "" ; KEYS[2] seen-text key
# ARGV[1] new item id ; ARGV[2] ttl seconds
# Values are "item_id story_id". Returns {kind, item_id, story_id}.
_CLAIM = """
local url_key, text_key = KEYS[1], KEYS[2]
local new_value = ARGV[1] .. ' ' .. ARGV[1]
if url_key ~= '' then
  local by_url = redis.call('GET', url_key)
  if by_url then return {'url', by_url} end
end
local by_text = redis.call('GET', text_key)
if by_text then
  if url_key ~= '' then redis.call('SET', url_key, by_text, 'EX', ARGV[2]) end
  return {'text', by_text}
end
if url_key ~= '' then redis.call('SET', url_key, new_value, 'EX', ARGV[2]) end
redis.call('SET', text_key, new_value, 'EX', ARGV[2])
return {'new', new_value}
"""


def text_fingerprint(text: str) -> str:
    """SHA-256 hex digest of the normalized text (whitespace, case, Arabic forms folded)."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def url_fingerprint(url: str) -> str:
    """SHA-256 hex digest of a canonical URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class Deduplicator:
    """Exact dedup against Redis.

    Args:
        connection: Redis client. keys: key builder. ttl_seconds: how long an item's
            fingerprints are remembered (the item retention).
    """

    def __init__(self, connection: redis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._keys = keys
        self._ttl = ttl_seconds
        self._claim = connection.register_script(_CLAIM)

    def check(self, text: str, canonical_url: str | None) -> DedupResult:
        """Claim ``text``/``canonical_url`` for a new item, or report the earlier one.

        Returns:
            :class:`DedupResult`; for ``kind == "url"`` ``item_id`` is the existing item.

        Raises:
            redis.RedisError: Redis is unreachable (the job is retried).
        """
        new_id = uuid.uuid4().hex
        url_key = self._keys.seen_url(url_fingerprint(canonical_url)) if canonical_url else ""
        text_key = self._keys.seen_text(text_fingerprint(text))
        kind, value = self._claim(keys=[url_key, text_key], args=[new_id, self._ttl])
        kind = kind.decode() if isinstance(kind, bytes) else kind
        value = value.decode() if isinstance(value, bytes) else value
        earlier_id, story_id = value.split(" ", 1)
        if kind == "new":
            return DedupResult(new_id, story_id, None, "new")
        if kind == "url":
            return DedupResult(earlier_id, story_id, earlier_id, "url")
        return DedupResult(new_id, story_id, earlier_id, "text")
