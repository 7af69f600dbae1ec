"""Item and story storage in Redis (the system of record).

* ``<prefix>:item:<id>``: a hash with one ``json`` field (the whole :class:`Item`), expiring
  after the retention period;
* ``<prefix>:items``: a stream of item ids that any consumer can follow (approximate cap);
* ``<prefix>:story:<id>:items`` / ``:outlets``: the members of a story and the outlets that
  reported it (site name or host).
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

    def story_outlets(self, story_id: str) -> int:
        """How many distinct outlets reported the story."""
        return int(self._r.scard(self._keys.story_outlets(story_id)))
