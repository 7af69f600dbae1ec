"""Alert stage: alert rules -> alerts recorded in Redis -> delivery to channels.

Record first, deliver second: :meth:`AlertRecorder.record` writes the alert (a record, its
per-channel delivery state and an entry on the alerts stream) in one Lua script, and only
when it is the first alert for this rule and story. Delivery (:class:`Notifier`) happens
afterwards, in-process or as RQ jobs, and its outcome is written back per channel.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import apprise
import redis
import structlog

from monitor.config import AlertRule, AlertsFile
from monitor.errors import MonitorError
from monitor.keys import Keys
from monitor.model import Alert, Item

log = structlog.get_logger(__name__)

#: Channel URL that only writes a structured log line (no external service).
LOG_CHANNEL = "log://"

# KEYS[1] once-key (rule, story) ; KEYS[2] alert record ; KEYS[3] delivery hash ; KEYS[4] stream
# ARGV[1] alert id ; ARGV[2] alert json ; ARGV[3] ttl ; ARGV[4] stream maxlen ; ARGV[5..] channels
_RECORD = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then
  return redis.call('GET', KEYS[1])
end
redis.call('HSET', KEYS[2], 'json', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
for i = 5, #ARGV do redis.call('HSET', KEYS[3], ARGV[i], 'pending') end
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'id', ARGV[1])
return false
"""


class DeliveryError(MonitorError):
    """A channel did not accept the alert (transient: delivery is retried with back-off)."""


def rule_matches(rule: AlertRule, item: Item, feed_tags: Iterable[str] = ()) -> bool:
    """True when ``item`` satisfies every condition of ``rule``.

    Topics count when labelled (score at the topic threshold) and at or above ``min_score``.
    """
    hits = {t for t in item.labels if item.topics.get(t, 0.0) >= rule.min_score}
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


def reason_for(rule: AlertRule, item: Item) -> str:
    """One sentence saying why ``rule`` fired for ``item``: topics with scores and top terms."""
    parts = []
    for topic in item.labels:
        terms = ", ".join(f"{ev.term} ×{ev.count}" for ev in item.evidence.get(topic, [])[:5])
        parts.append(f"{topic} {item.topics[topic]:.1f} ({terms})")
    return f"rule {rule.name}: " + "; ".join(parts)


class AlertRecorder:
    """Turns matching rules into recorded alerts, once per rule and story.

    Args:
        config: validated ``alerts.yaml``. ttl_seconds: alert retention (seconds).
    """

    def __init__(
        self, connection: redis.Redis, keys: Keys, config: AlertsFile, ttl_seconds: int, stream_maxlen: int
    ) -> None:
        self._r = connection
        self._keys = keys
        self._rules = config.rules
        self._ttl = ttl_seconds
        self._maxlen = stream_maxlen
        self._record = connection.register_script(_RECORD)

    def record(self, item: Item, feed_tags: Iterable[str] = (), outlets: int = 1) -> list[Alert]:
        """Record an alert for every rule ``item`` matches whose story has none yet.

        Returns:
            the alerts recorded now (empty when the story was already alerted for each rule).

        Raises:
            redis.RedisError: Redis is unreachable (nothing half-written: each alert is one script).
        """
        recorded = []
        for rule in self._rules:
            if not rule_matches(rule, item, feed_tags):
                continue
            alert = Alert(
                id=uuid.uuid4().hex,
                rule=rule.name,
                story_id=item.story_id,
                item_id=item.id,
                title=item.title,
                url=item.url,
                language=item.language,
                topics={t: item.topics[t] for t in item.labels},
                evidence={t: item.evidence.get(t, []) for t in item.labels},
                countries=item.countries,
                channels=list(rule.channels),
                reason=reason_for(rule, item),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                outlets=outlets,
            )
            k = self._keys
            existing = self._record(
                keys=[k.alert_once(rule.name, item.story_id), k.alert(alert.id), k.alert_delivery(alert.id),
                      k.alerts_stream()],
                args=[alert.id, json.dumps(alert.to_dict(), ensure_ascii=False), self._ttl, self._maxlen,
                      *alert.channels],
            )
            if existing is None:
                log.info("alert_recorded", alert_id=alert.id, rule=rule.name, story_id=item.story_id,
                         item_id=item.id, reason=alert.reason)
                recorded.append(alert)
            else:
                log.info("alert_exists", rule=rule.name, story_id=item.story_id, item_id=item.id)
        return recorded

    def get(self, alert_id: str) -> Alert | None:
        """Load an alert by id; None when unknown or expired."""
        raw = self._r.hget(self._keys.alert(alert_id), "json")
        return Alert.from_dict(json.loads(raw)) if raw else None

    def set_delivery(self, alert_id: str, channel: str, state: str) -> None:
        """Record a channel's delivery state: ``pending``, ``delivered`` or ``failed: <reason>``."""
        self._r.hset(self._keys.alert_delivery(alert_id), channel, state)

    def deliveries(self, alert_id: str) -> dict[str, str]:
        """Channel -> delivery state of one alert."""
        raw = self._r.hgetall(self._keys.alert_delivery(alert_id))
        return {k.decode(): v.decode() for k, v in raw.items()}


def render_text(alert: Alert) -> tuple[str, str]:
    """Default plain-text message for ``alert``: (title, body). Arabic text is passed through intact."""
    topics = ", ".join(f"{t} {s:.1f}" for t, s in alert.topics.items())
    title = f"[{topics}] {alert.title}"
    terms = "; ".join(
        f"{topic}: " + ", ".join(f"{ev.term} ×{ev.count}" for ev in evs[:6]) for topic, evs in alert.evidence.items()
    )
    lines = [
        alert.title,
        f"Language: {alert.language} · Outlets: {alert.outlets} · {alert.created_at}",
        f"Topics: {topics}",
        f"Why: {terms}",
    ]
    if alert.countries:
        lines.append("Countries: " + ", ".join(alert.countries))
    if alert.url:
        lines.append(alert.url)
    return title, "\n".join(lines)


class Notifier:
    """Delivers alerts to the channels of ``alerts.yaml`` through Apprise.

    Args:
        channels: channel name -> Apprise URL (or ``log://``).
        timeout: seconds allowed per delivery attempt (Apprise's per-service ``rto``/``cto``).
    """

    def __init__(self, channels: dict[str, str], timeout: float = 10.0) -> None:
        self._channels = channels
        self._timeout = timeout

    def deliver(self, alert: Alert, channel: str) -> None:
        """Send ``alert`` to one channel.

        Raises:
            DeliveryError: unknown channel, invalid URL, or the service did not accept it
                (a non-2xx answer counts as a failure).
        """
        url = self._channels.get(channel)
        if url is None:
            raise DeliveryError(f"channel {channel!r} is not defined in alerts.yaml")
        title, body = render_text(alert)
        if url == LOG_CHANNEL:
            log.warning("alert", channel=channel, alert_id=alert.id, rule=alert.rule, title=alert.title,
                        reason=alert.reason, url=alert.url, countries=list(alert.countries))
            return
        sender = apprise.Apprise()
        if not sender.add(url):
            raise DeliveryError(f"channel {channel!r}: invalid Apprise URL")
        if not sender.notify(title=title, body=body):
            raise DeliveryError(f"channel {channel!r}: the service did not accept the alert")
