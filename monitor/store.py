"""Item and story storage in Redis (the system of record).

* ``<prefix>:item:<id>``: a hash with one ``json`` field (the whole :class:`Item`), expiring
  after the retention period;
* ``<prefix>:items``: a stream of item ids that any consumer can follow (approximate cap);
* ``<prefix>:story:<id>``: a hash with the story's first item, title and creation time;
* ``<prefix>:story:<id>:items`` / ``:outlets``: the members of a story and the outlets that
  reported it (site name or host).

Every key expires after the retention period (``MONITOR_ITEM_RETENTION_DAYS``), refreshed
whenever the story gets a new item.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import redis

from monitor.keys import Keys
from monitor.model import Item


def outlet_of(item: Item) -> str:
    """The outlet that published ``item``: its site name, else its URL's host, else its source."""
    if item.sitename:
        return item.sitename
    if item.url:
        return urlsplit(item.url).hostname or item.url
    return item.source


class ItemStore:
    """Writes and reads items and stories.

    Args:
        ttl_seconds: item retention (seconds). stream_maxlen: approximate stream cap.
    """

    def __init__(self, connection: redis.Redis, keys: Keys, ttl_seconds: int, stream_maxlen: int) -> None:
        self._r = connection
        self._keys = keys
        self._ttl = ttl_seconds
        self._maxlen = stream_maxlen

    def save(self, item: Item) -> int:
        """Store ``item``, add it to its story and to the items stream, in one transaction.

        Returns:
            the number of distinct outlets of the item's story after this one.

        Raises:
            redis.RedisError: Redis is unreachable.
        """
        k = self._keys
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(k.item(item.id), mapping={"json": json.dumps(item.to_dict(), ensure_ascii=False)})
        pipe.expire(k.item(item.id), self._ttl)
        pipe.hsetnx(k.story(item.story_id), "first_item", item.id)
        pipe.hsetnx(k.story(item.story_id), "title", item.title)
        pipe.hsetnx(k.story(item.story_id), "created_at", item.created_at)
        pipe.expire(k.story(item.story_id), self._ttl)
        pipe.sadd(k.story_items(item.story_id), item.id)
        pipe.sadd(k.story_outlets(item.story_id), outlet_of(item))
        pipe.expire(k.story_items(item.story_id), self._ttl)
        pipe.expire(k.story_outlets(item.story_id), self._ttl)
        pipe.xadd(k.items_stream(), {"id": item.id}, maxlen=self._maxlen, approximate=True)
        pipe.scard(k.story_outlets(item.story_id))
        return int(pipe.execute()[-1])

    def get(self, item_id: str) -> Item | None:
        """Load an item by id; None when unknown or expired."""
        raw = self._r.hget(self._keys.item(item_id), "json")
        return Item.from_dict(json.loads(raw)) if raw else None

    def story(self, story_id: str) -> dict[str, object] | None:
        """A story: ``{"id", "first_item", "title", "created_at", "items": [ids], "outlets": [names]}``
        (lists sorted), or None when unknown or expired."""
        k = self._keys
        pipe = self._r.pipeline(transaction=False)
        pipe.hgetall(k.story(story_id))
        pipe.smembers(k.story_items(story_id))
        pipe.smembers(k.story_outlets(story_id))
        head, items, outlets = pipe.execute()
        if not head and not items:
            return None

        def s(v: bytes | str) -> str:
            return v.decode() if isinstance(v, bytes) else v

        story: dict[str, object] = {"id": story_id, **{s(a): s(b) for a, b in head.items()}}
        story["items"] = sorted(s(i) for i in items)
        story["outlets"] = sorted(s(o) for o in outlets)
        return story

    def story_outlets(self, story_id: str) -> int:
        """How many distinct outlets reported the story."""
        return int(self._r.scard(self._keys.story_outlets(story_id)))
