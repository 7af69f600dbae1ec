"""Digest lists: alerts of a digest rule wait here until one message per channel sends them.

``<prefix>:digest:<rule>:<channel>`` is a list of ``"<epoch seconds> <alert id>"`` filled by
the alert recorder's Lua script. A digest window opens with the first entry of an empty list
and closes ``digest_minutes`` later; :meth:`DigestStore.take` then empties the list atomically.
A marker key (``Keys.digest_scheduled``) says a flush is already scheduled for the open window,
so one flush job is scheduled per window however many alerts arrive.

The same atomic take files what it took as a **batch** (``Keys.digest_batch``: rule, channel,
alert ids and the id of the RQ job that will send it, created but not yet enqueued) in the
digests-due set (``Keys.digests_due``). The batch is settled (deleted) when its message is
delivered or has failed for good. So whatever dies between the take and the send (the worker
before enqueueing, the job itself, Redis data), the batch is still there, and the delivery
reconciler (:mod:`monitor.outbox`) hands it to a new job once its job is gone: the alerts of a
closed window are sent once, in one message, never left in state ``digest``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from monitor.keys import Keys

# KEYS[1] digest list ; KEYS[2] scheduled marker ; KEYS[3] batch hash ; KEYS[4] digests-due set
# ARGV[1] now epoch ; ARGV[2] period seconds ; ARGV[3] force 0/1 ; ARGV[4] batch id ; ARGV[5] job id ('' none) ;
# ARGV[6] rule ; ARGV[7] channel ; ARGV[8] due score (epoch) ; ARGV[9] batch ttl seconds
# Returns {} when empty (marker cleared), {'wait', seconds} when the window is still open, else
# {'ids', id...}: the alert ids in order without repeats, filed as the batch in the same step.
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
local ids, seen = {}, {}
for _, entry in ipairs(entries) do
  local id = string.match(entry, '^%d+ (.+)$')
  if id and not seen[id] then
    seen[id] = true
    ids[#ids + 1] = id
  end
end
redis.call('HSET', KEYS[3], 'rule', ARGV[6], 'channel', ARGV[7], 'alert_ids', table.concat(ids, ' '),
           'job', ARGV[5], 'requeues', 0, 'taken_at', ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[9])
redis.call('ZADD', KEYS[4], ARGV[8], ARGV[4])
table.insert(ids, 1, 'ids')
return ids
"""

# KEYS[1] batch hash ; KEYS[2] digests-due set ; ARGV[1] expected job id ; ARGV[2] new job id ; ARGV[3] now ;
# ARGV[4] batch id. Hands the batch to the new job when nobody changed it since it was read.
# Returns the batch's requeue count after the claim, or -1 when the claim lost (settled, or another job).
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if (redis.call('HGET', KEYS[1], 'job') or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'job', ARGV[2])
local n = redis.call('HINCRBY', KEYS[1], 'requeues', 1)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return n
"""


@dataclass(frozen=True)
class Taken:
    """What :meth:`DigestStore.take` found: the alert ids to send now (in order, no repeats) and the
    batch filed for them, or the seconds to wait until the open window closes."""

    alert_ids: list[str]
    wait_seconds: int = 0
    batch_id: str = ""


@dataclass(frozen=True)
class Batch:
    """One taken digest waiting for its message: ``job`` is the RQ job id sending it ('' for none)."""

    batch_id: str
    rule: str
    channel: str
    alert_ids: list[str]
    job: str
    requeues: int


def new_batch_id() -> str:
    """A fresh batch id (random hex; never derived from a job id)."""
    return uuid.uuid4().hex


class DigestStore:
    """Reads and empties digest lists and keeps taken batches until they are sent.

    Args:
        connection: Redis client. keys: the key builder. ttl_seconds: how long a batch record
        may live unsettled (the alert retention; a batch outliving its alerts has nothing to send).
    """

    def __init__(self, connection: redis.Redis, keys: Keys, ttl_seconds: int = 180 * 86400) -> None:
        self._r = connection
        self._keys = keys
        self._ttl = ttl_seconds
        self._take = connection.register_script(_TAKE)
        self._claim = connection.register_script(_CLAIM)

    def take(
        self,
        rule: str,
        channel: str,
        period_seconds: int,
        force: bool = False,
        *,
        batch_id: str | None = None,
        job_id: str = "",
        due_at: float | None = None,
    ) -> Taken:
        """Empty the digest list of ``rule``/``channel`` if its window has closed (or ``force``),
        filing what it held as batch ``batch_id`` for job ``job_id``, in one atomic step.

        Args:
            batch_id: the batch's id (default: a new one); the job sending it carries this id.
            job_id: id of the RQ job that will send the batch (created, not yet enqueued), or ''
                when this process sends it itself.
            due_at: epoch seconds from which the reconciler's grace period counts (default: now;
                an in-process sender passes now plus its own time budget).

        Returns:
            :class:`Taken`: ids to send and their batch id (no ids when nothing waits or the
            window is open), and the seconds until the open window closes.
        """
        now = time.time()
        batch_id = batch_id or new_batch_id()
        raw = self._take(
            keys=[
                self._keys.digest(rule, channel),
                self._keys.digest_scheduled(rule, channel),
                self._keys.digest_batch(batch_id),
                self._keys.digests_due(),
            ],
            args=[
                int(now),
                period_seconds,
                1 if force else 0,
                batch_id,
                job_id,
                rule,
                channel,
                now if due_at is None else due_at,
                self._ttl,
            ],
        )
        entries = [e.decode() if isinstance(e, bytes) else e for e in raw]
        if entries and entries[0] == "wait":
            return Taken([], max(1, int(entries[1])))
        return Taken(entries[1:], batch_id=batch_id) if entries else Taken([])

    def batch(self, batch_id: str) -> Batch | None:
        """The unsettled batch ``batch_id``, or None once it is settled (or expired)."""
        raw: Any = self._r.hgetall(self._keys.digest_batch(batch_id))
        if not raw:
            return None
        data = {k.decode(): v.decode() for k, v in raw.items()}
        return Batch(
            batch_id,
            data.get("rule", ""),
            data.get("channel", ""),
            data.get("alert_ids", "").split(),
            data.get("job", ""),
            int(data.get("requeues", 0)),
        )

    def settle(self, batch_id: str) -> None:
        """Forget batch ``batch_id``: its message was delivered or failed for good."""
        with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.digest_batch(batch_id))
            pipe.zrem(self._keys.digests_due(), batch_id)
            pipe.execute()

    def claim_requeue(self, batch_id: str, expected_job: str, new_job: str) -> int | None:
        """Atomically hand batch ``batch_id`` from ``expected_job`` ('' for none) to ``new_job``.

        Returns:
            the batch's requeue count including this one, or None when it was settled or handed
            to another job since it was read (do not enqueue).
        """
        n = int(
            self._claim(
                keys=[self._keys.digest_batch(batch_id), self._keys.digests_due()],
                args=[expected_job, new_job, time.time(), batch_id],
            )
        )
        return None if n < 0 else n

    def due(self, before: float, limit: int = 500) -> list[str]:
        """Ids of unsettled batches handed to their job at or before ``before`` (epoch seconds), oldest first."""
        raw: Any = self._r.zrangebyscore(self._keys.digests_due(), "-inf", before, start=0, num=limit)
        return [m.decode() if isinstance(m, bytes) else m for m in raw]

    def count_due(self) -> int:
        """How many taken digests are not yet settled."""
        return int(self._r.zcard(self._keys.digests_due()))

    def claim_schedule(self, rule: str, channel: str, period_seconds: int) -> bool:
        """True for the first caller of an open window (who then schedules the flush)."""
        key = self._keys.digest_scheduled(rule, channel)
        return bool(self._r.set(key, "1", nx=True, ex=period_seconds * 2 + 60))

    def pending(self, rule: str, channel: str) -> int:
        """How many entries wait in the digest list."""
        return int(self._r.llen(self._keys.digest(rule, channel)))
