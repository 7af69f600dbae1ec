"""Alert stage: alert rules -> alerts recorded in Redis, once per rule and story.

Record first, deliver second: :meth:`AlertRecorder.record` writes the alert (a record, its
per-channel delivery state, an entry on the alerts stream and, for digest rules, an entry on
the rule's digest lists) in one Lua script, only for the first item of a story. A later item
of the same story updates the record (outlet count, newest link, item ids) in another Lua
script and is notified again only when the count reaches the rule's ``escalate_at_outlets``.
Delivery (:mod:`monitor.notify`) happens afterwards, in-process or as RQ jobs, and its
outcome is written back per channel.

Alert record ``<prefix>:alert:<id>`` (hash): ``json`` (the alert as first recorded) plus the
fields that change: ``outlets``, ``url``, ``item_ids`` (space-separated), ``updated_at``,
``escalated_at``. Delivery state ``<prefix>:alert:<id>:delivery`` (hash): channel ->
``pending`` | ``digest`` (waiting for the digest) | ``delivered`` | ``retrying: <reason>`` |
``failed: <reason>`` (for good; ``monitor alerts retry`` sends it again) | ``queued`` (handed
to an RQ delivery job, whose id is in ``<prefix>:alert:<id>:jobs``).

An alert with a channel ``pending``, ``queued`` or ``retrying`` is *unsettled*: it sits in the
deliveries-due sorted set (``Keys.deliveries_due``) from the moment it is recorded, so that
the delivery reconciler (:mod:`monitor.outbox`) finds it if its delivery job is never enqueued
(the worker died in between) or is lost; :meth:`AlertRecorder.set_delivery` takes it out when
its last channel settles (``delivered``, ``failed: ...`` or ``digest``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import redis
import structlog

from monitor.alert_render import term_counts
from monitor.config import AlertRule, AlertsFile
from monitor.errors import DeliveryError
from monitor.keys import Keys
from monitor.model import Alert, Item
from monitor.notify import LOG_CHANNEL, Notifier

__all__ = [
    "LOG_CHANNEL", "AlertRecorder", "DeliveryError", "Notifier", "reason_for", "rule_matches", "unsettled"
]

log = structlog.get_logger(__name__)

# KEYS[1] once-key (rule, story) ; KEYS[2] alert record ; KEYS[3] delivery hash ; KEYS[4] stream ;
# KEYS[5] deliveries-due set ; KEYS[6..] digest lists (digest rules only)
# ARGV[1] alert id ; ARGV[2] alert json ; ARGV[3] ttl ; ARGV[4] stream maxlen ; ARGV[5] outlets ;
# ARGV[6] url ; ARGV[7] item id ; ARGV[8] now ISO ; ARGV[9] now epoch ; ARGV[10] first state ;
# ARGV[11..] channels
# Returns the existing alert id when the story already has an alert for this rule, else nil.
_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('HSET', KEYS[2], 'json', ARGV[2], 'outlets', ARGV[5], 'url', ARGV[6], 'item_ids', ARGV[7],
           'updated_at', ARGV[8])
redis.call('EXPIRE', KEYS[2], ARGV[3])
for i = 11, #ARGV do redis.call('HSET', KEYS[3], ARGV[i], ARGV[10]) end
redis.call('EXPIRE', KEYS[3], ARGV[3])
if ARGV[10] == 'pending' then redis.call('ZADD', KEYS[5], ARGV[9], ARGV[1]) end
for i = 6, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[9] .. ' ' .. ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'id', ARGV[1], 'event', 'new')
return false
"""

# KEYS as _CREATE for the existing alert.
# ARGV[1] alert id ; ARGV[2] outlets ; ARGV[3] url ; ARGV[4] item id ; ARGV[5] now ISO ; ARGV[6] now epoch ;
# ARGV[7] escalate at N outlets (0: never) ; ARGV[8] stream maxlen ; ARGV[9] state ; ARGV[10..] channels
# Returns 'gone' | 'same' (item already counted) | 'updated' | 'escalated' (notify again, exactly once).
_UPDATE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 0 then return 'gone' end
local ids = redis.call('HGET', KEYS[2], 'item_ids') or ''
if string.find(' ' .. ids .. ' ', ' ' .. ARGV[4] .. ' ', 1, true) then return 'same' end
local old = tonumber(redis.call('HGET', KEYS[2], 'outlets') or '1')
local new = math.max(old, tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], 'outlets', new, 'item_ids', ids .. ' ' .. ARGV[4], 'updated_at', ARGV[5])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'url', ARGV[3]) end
local at = tonumber(ARGV[7])
if at > 0 and old < at and new >= at and not redis.call('HGET', KEYS[2], 'escalated_at') then
  redis.call('HSET', KEYS[2], 'escalated_at', ARGV[5])
  for i = 10, #ARGV do redis.call('HSET', KEYS[3], ARGV[i], ARGV[9]) end
  if ARGV[9] == 'pending' then redis.call('ZADD', KEYS[5], ARGV[6], ARGV[1]) end
  for i = 6, #KEYS do redis.call('RPUSH', KEYS[i], ARGV[6] .. ' ' .. ARGV[1]) end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'id', ARGV[1], 'event', 'escalated')
  return 'escalated'
end
return 'updated'
"""

# KEYS[1] delivery hash ; KEYS[2] deliveries-due set ; ARGV[1] channel ; ARGV[2] state ; ARGV[3] alert id
# Sets the state; when no channel is left unsettled, the alert leaves the due set. Returns 1 then, else 0.
_SET_DELIVERY = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  if v == 'pending' or v == 'queued' or string.sub(v, 1, 8) == 'retrying' then return 0 end
end
redis.call('ZREM', KEYS[2], ARGV[3])
return 1
"""


def unsettled(state: str) -> bool:
    """True for a channel state still on its way (``pending``, ``queued``, ``retrying: ...``)."""
    return state in ("pending", "queued") or state.startswith("retrying")


def rule_matches(rule: AlertRule, item: Item, feed_tags: Iterable[str] = ()) -> bool:
    """True when ``item`` satisfies every condition of ``rule``.

    Topics count when labelled (score at the topic threshold) and at or above ``min_score``.
    """
    hits = set(fired_topics(rule, item, watched_only=False))
    if rule.topics:
        wanted = set(rule.topics)
        if rule.match == "all" and not wanted <= hits:
            return False
        if rule.match == "any" and not wanted & hits:
            return False
    elif not hits:
        return False
    if set(rule.exclude_topics) & set(item.labels):
        return False
    if rule.languages and item.language not in rule.languages:
        return False
    if rule.countries and not set(rule.countries) & set(item.countries):
        return False
    if rule.feeds and item.feed_id not in rule.feeds:
        return False
    return not (rule.tags and not set(rule.tags) & set(feed_tags))


def fired_topics(rule: AlertRule, item: Item, watched_only: bool = True) -> list[str]:
    """The item's labels at or above the rule's ``min_score``, in label order; with
    ``watched_only``, only those the rule names in ``topics`` (all of them for a rule with none)."""
    return [
        t for t in item.labels
        if item.topics.get(t, 0.0) >= rule.min_score and not (watched_only and rule.topics and t not in rule.topics)
    ]


def reason_for(rule: AlertRule, item: Item) -> str:
    """One sentence saying why ``rule`` fired for ``item``: topics with scores and top terms.

    The topics are :func:`fired_topics`: the labels the rule watches, at its ``min_score`` (a
    maritime desk's alert does not list counter-terrorism evidence). A term matched
    in both title and body is listed once with its counts added up
    (:func:`monitor.alert_render.term_counts`, shared with the alert renderer).
    """
    parts = []
    for topic in fired_topics(rule, item):
        terms = term_counts(item.evidence.get(topic, []), limit=5)
        parts.append(f"{topic} {item.topics[topic]:.1f} ({terms})")
    return f"rule {rule.name}: " + "; ".join(parts)


def _now() -> tuple[str, int]:
    return datetime.now(UTC).isoformat(timespec="seconds"), int(time.time())


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class AlertRecorder:
    """Turns matching rules into recorded alerts, once per rule and story.

    Args:
        config: validated ``alerts.yaml``. ttl_seconds: alert retention (seconds).
        stream_maxlen: approximate cap of the alerts stream.
    """

    def __init__(
        self, connection: redis.Redis, keys: Keys, config: AlertsFile, ttl_seconds: int, stream_maxlen: int
    ) -> None:
        self._r = connection
        self._keys = keys
        self._rules = config.rules
        self._ttl = ttl_seconds
        self._maxlen = stream_maxlen
        self._create = connection.register_script(_CREATE)
        self._update = connection.register_script(_UPDATE)
        self._set_delivery = connection.register_script(_SET_DELIVERY)

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        """The alert rules, in config order."""
        return self._rules

    def record(
        self, item: Item, feed_tags: Iterable[str] = (), outlets: int = 1, outlet: str | None = None
    ) -> list[Alert]:
        """Record or update the alert of every rule ``item`` matches.

        Args:
            outlets: distinct outlets of the item's story after storing the item.
            outlet: the item's outlet (shown in the message).

        Returns:
            the alerts to notify now: new alerts, and alerts whose story just reached the rule's
            ``escalate_at_outlets`` (``escalated_at`` set). Updates without escalation are not returned.

        Raises:
            redis.RedisError: Redis is unreachable (nothing half-written: each step is one script).
        """
        notify = []
        above: list[AlertRule] = []  # rules above this one that ``item`` matches
        for i, rule in enumerate(self._rules):
            if not rule_matches(rule, item, feed_tags):
                continue
            if rule.fallback and (above or self._alerted(self._rules[:i], item.story_id)):
                continue
            above.append(rule)
            alert = self._new_alert(rule, item, outlets, outlet)
            existing = self._create(
                keys=self._script_keys(rule, alert.id, item.story_id), args=self._create_args(alert, item)
            )
            if existing is None:
                log.info(
                    "alert_recorded",
                    alert_id=alert.id,
                    rule=rule.name,
                    story_id=item.story_id,
                    item_id=item.id,
                    reason=alert.reason,
                    mode=rule.mode,
                )
                notify.append(alert)
                continue
            escalated = self._update_existing(rule, _text(existing) or "", item, outlets)
            if escalated is not None:
                notify.append(escalated)
        return notify

    def _alerted(self, rules: Sequence[AlertRule], story_id: str) -> bool:
        """Has any of ``rules`` an alert for the story (from an earlier item of it)?"""
        return bool(rules) and bool(self._r.exists(*(self._keys.alert_once(r.name, story_id) for r in rules)))

    def _new_alert(self, rule: AlertRule, item: Item, outlets: int, outlet: str | None) -> Alert:
        now, _ = _now()
        return Alert(
            id=uuid.uuid4().hex,
            rule=rule.name,
            story_id=item.story_id,
            item_id=item.id,
            title=item.title,
            url=item.url,
            language=item.language,
            topics={t: item.topics[t] for t in item.labels},
            evidence={t: [e for e in item.evidence.get(t, []) if not e.negated] for t in item.labels},
            countries=item.countries,
            channels=list(rule.channels),
            reason=reason_for(rule, item),
            created_at=now,
            outlets=outlets,
            item_ids=[item.id],
            outlet=outlet,
            published=item.published,
            mode=rule.mode,
            updated_at=now,
        )

    def _script_keys(self, rule: AlertRule, alert_id: str, story_id: str) -> list[str]:
        k = self._keys
        digests = [k.digest(rule.name, ch) for ch in rule.channels] if rule.mode == "digest" else []
        return [
            k.alert_once(rule.name, story_id),
            k.alert(alert_id),
            k.alert_delivery(alert_id),
            k.alerts_stream(),
            k.deliveries_due(),
            *digests,
        ]

    def _create_args(self, alert: Alert, item: Item) -> list[str | int]:
        now, epoch = _now()
        state = "digest" if alert.mode == "digest" else "pending"
        return [
            alert.id,
            json.dumps(alert.to_dict(), ensure_ascii=False),
            self._ttl,
            self._maxlen,
            alert.outlets,
            alert.url or "",
            item.id,
            now,
            epoch,
            state,
            *alert.channels,
        ]

    def _update_existing(self, rule: AlertRule, alert_id: str, item: Item, outlets: int) -> Alert | None:
        now, epoch = _now()
        state = "digest" if rule.mode == "digest" else "pending"
        keys = self._script_keys(rule, alert_id, item.story_id)
        result = _text(
            self._update(
                keys=keys,
                args=[
                    alert_id,
                    outlets,
                    item.url or "",
                    item.id,
                    now,
                    epoch,
                    rule.escalate_at_outlets or 0,
                    self._maxlen,
                    state,
                    *rule.channels,
                ],
            )
        )
        log.info(
            "alert_updated",
            alert_id=alert_id,
            rule=rule.name,
            story_id=item.story_id,
            item_id=item.id,
            outlets=outlets,
            result=result,
        )
        return self.get(alert_id) if result == "escalated" else None

    def get(self, alert_id: str) -> Alert | None:
        """Load an alert by id with its current outlets, newest link and item ids; None when unknown."""
        raw = {_text(k): _text(v) for k, v in self._r.hgetall(self._keys.alert(alert_id)).items()}
        stored = raw.get("json")
        if not stored:
            return None
        alert = Alert.from_dict(json.loads(stored))
        return replace(
            alert,
            outlets=int(raw.get("outlets") or alert.outlets),
            url=raw.get("url") or alert.url,
            item_ids=(raw.get("item_ids") or "").split() or alert.item_ids,
            updated_at=raw.get("updated_at") or alert.updated_at,
            escalated_at=raw.get("escalated_at") or None,
        )

    def set_delivery(self, alert_id: str, channel: str, state: str) -> None:
        """Record a channel's delivery state (see the module docstring for the values).

        When this settles the alert's last unsettled channel, the alert leaves the deliveries-due set.
        """
        self._set_delivery(
            keys=[self._keys.alert_delivery(alert_id), self._keys.deliveries_due()],
            args=[channel, state, alert_id],
        )

    def deliveries(self, alert_id: str) -> dict[str, str]:
        """Channel -> delivery state of one alert."""
        raw = self._r.hgetall(self._keys.alert_delivery(alert_id))
        return {str(_text(k)): str(_text(v)) for k, v in raw.items()}

    def recent(self, limit: int) -> list[Alert]:
        """The ``limit`` most recently recorded or escalated alerts, newest first (from the stream)."""
        seen: list[str] = []
        last = "+"
        while len(seen) < limit:
            batch: list[Any] = self._r.xrevrange(self._keys.alerts_stream(), max=last, count=limit * 2)  # type: ignore[assignment]
            for _entry_id, fields in batch:
                alert_id = _text(fields.get(b"id"))
                if alert_id and alert_id not in seen:
                    seen.append(alert_id)
            if len(batch) < limit * 2:
                break
            last = f"({_text(batch[-1][0])}"
        alerts = (self.get(a) for a in seen[:limit])
        return [a for a in alerts if a is not None]
