"""Digest lists: alerts of a digest rule wait here until one message per channel sends them.

``<prefix>:digest:<rule>:<channel>`` is a list of ``"<epoch seconds> <alert id>"`` filled by
the alert recorder's Lua script. A digest window opens with the first entry of an empty list
and closes ``digest_minutes`` later; :func:`take` then empties the list atomically. A marker
key (``Keys.digest_scheduled``) says a flush is already scheduled for the open window, so one
flush job is scheduled per window however many alerts arrive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from monitor.keys import Keys

# KEYS[1] digest list ; KEYS[2] scheduled marker
# ARGV[1] now epoch ; ARGV[2] period seconds ; ARGV[3] force 0/1
# Returns {} when empty (marker cleared), {'wait', seconds} when the window is still open, else the entries.
_TAKE = """
local first = redis.call('LINDEX', KEYS[1], 0)
if not first then
  redis.call('DEL', KEYS[2])
  return {}
end
local opened = tonumber(string.match(first, '^(%d+) '))
local wait = opened + tonumber(ARGV[2]) - tonumber(ARGV[1])
if ARGV[3] ~= '1' and wait > 0 then return {'wait', tostring(wait)} end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
return entries
"""


@dataclass(frozen=True)
class Taken:
    """What :func:`take` found: the alert ids to send now (in order, no repeats) or seconds to wait."""

    alert_ids: list[str]
    wait_seconds: int = 0


class DigestStore:
    """Reads and empties digest lists. Args: connection, keys (the key builder)."""

    def __init__(self, connection: redis.Redis, keys: Keys) -> None:
        self._r = connection
        self._keys = keys
        self._take = connection.register_script(_TAKE)

    def take(self, rule: str, channel: str, period_seconds: int, force: bool = False) -> Taken:
        """Empty the digest list of ``rule``/``channel`` if its window has closed (or ``force``).

        Returns:
            :class:`Taken`: ids to send (empty when nothing waits or the window is open), and
            the seconds until the open window closes.
        """
        raw = self._take(
            keys=[self._keys.digest(rule, channel), self._keys.digest_scheduled(rule, channel)],
            args=[int(time.time()), period_seconds, 1 if force else 0],
        )
        entries = [e.decode() if isinstance(e, bytes) else e for e in raw]
        if entries and entries[0] == "wait":
            return Taken([], max(1, int(entries[1])))
        ids: list[str] = []
        for entry in entries:
            alert_id = entry.split(" ", 1)[1]
            if alert_id not in ids:
                ids.append(alert_id)
        return Taken(ids)

    def claim_schedule(self, rule: str, channel: str, period_seconds: int) -> bool:
        """True for the first caller of an open window (who then schedules the flush)."""
        key = self._keys.digest_scheduled(rule, channel)
        return bool(self._r.set(key, "1", nx=True, ex=period_seconds * 2 + 60))

    def pending(self, rule: str, channel: str) -> int:
        """How many entries wait in the digest list."""
        return int(self._r.llen(self._keys.digest(rule, channel)))
