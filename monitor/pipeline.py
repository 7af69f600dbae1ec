"""The one orchestrator: calls the stages in order for one document.

extract -> language -> dedup -> classify -> store -> alert rules (record).
Delivery is the caller's step (in-process for ``replay --inline``, RQ jobs otherwise),
so that an alert is always recorded before any delivery is tried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import redis
import structlog

from monitor.alert_render import load_templates
from monitor.alerts import AlertRecorder
from monitor.classify import Classifier, load_countries
from monitor.config import Config
from monitor.dedup import Deduplicator, canonical_url
from monitor.digest import DigestStore
from monitor.errors import DeliveryError
from monitor.extract import extract
from monitor.extract_html import HtmlExtractor
from monitor.fetch import Fetcher, FetchPolicy, is_web_url
from monitor.keys import Keys
from monitor.language import LanguageDetector
from monitor.model import Alert, Document, Item
from monitor.notify import Notifier
from monitor.outbox import DeliveryOutbox
from monitor.politeness import HostLimiter
from monitor.settings import Settings
from monitor.store import ItemStore, outlet_of

log = structlog.get_logger(__name__)

#: Longest title kept (characters): a feed's 100 KB "headline" is cut, not sent whole to every channel.
MAX_TITLE_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    """What processing one document produced: the item (new or the earlier one) and new alerts."""

    item: Item
    alerts: list[Alert]

    def to_json(self) -> dict[str, Any]:
        """The output contract of ``monitor replay --json``: one object per document."""
        data = self.item.to_dict()
        data["alerts"] = [a.rule for a in self.alerts]
        data["alert_ids"] = [a.id for a in self.alerts]
        return data


class Pipeline:
    """All stages, built once per process (rules compiled, language model loaded).

    Args:
        settings: process settings. config: validated config files. connection: Redis client.
    """

    def __init__(self, settings: Settings, config: Config, connection: redis.Redis) -> None:
        keys = Keys(settings.key_prefix)
        item_ttl = settings.item_retention_days * 86400
        self.settings = settings
        self.config = config
        self.keys = keys
        self.connection = connection
        self.classifier = Classifier(config.topics, load_countries())
        self.language = LanguageDetector()
        self.dedup = Deduplicator(connection, keys, item_ttl)
        self.html_extractor = HtmlExtractor()
        self.items = ItemStore(connection, keys, item_ttl, settings.stream_maxlen)
        self.alerts = AlertRecorder(
            connection, keys, config.alerts, settings.alert_retention_days * 86400, settings.stream_maxlen
        )
        self.notifier = Notifier(
            config.alerts.channels, load_templates(config.alerts, config.directory), settings.alert_timeout
        )
        self.digests = DigestStore(connection, keys, settings.alert_retention_days * 86400)
        self.outbox = DeliveryOutbox(connection, keys, settings.alert_retention_days * 86400)
        self._feed_tags = {f.id: f.tags for f in config.feeds.feeds}

    @cached_property
    def fetcher(self) -> Fetcher:
        """The process's page fetcher (one HTTP client, built on first use) under the settings'
        limits; article links to private/loopback/link-local addresses are refused unless
        ``MONITOR_ALLOW_PRIVATE_ADDRESSES`` is true."""
        return Fetcher(FetchPolicy.from_settings(self.settings))

    @cached_property
    def hosts(self) -> HostLimiter:
        """Per-host request limits shared with the feed polls (``MONITOR_HOST_*``), for article
        pages: a feed of many new entries must not fetch its site's pages all at once."""
        s = self.settings
        lease = s.fetch_total_timeout + 30.0  # longer than any page fetch; a killed worker's lease expires
        return HostLimiter(self.connection, self.keys, s.host_max_concurrent, s.host_min_start_interval, lease)

    def process(self, doc: Document) -> Outcome:
        """Run every stage on ``doc`` and store the result.

        Returns:
            :class:`Outcome`; for an exact repeat (same URL) the earlier item and no alerts.

        Raises:
            DocumentError: the document cannot be decoded or has no article text.
            redis.RedisError: Redis is unreachable (the caller retries).
        """
        article = extract(doc, self.html_extractor)
        if len(article.title) > MAX_TITLE_CHARS:  # a 100 KB "headline" went whole into webhook messages
            article = replace(article, title=article.title[: MAX_TITLE_CHARS - 1].rstrip() + "…",
                              warnings=(*article.warnings, f"title cut to {MAX_TITLE_CHARS} characters"))
        lang = self.language.detect(article.title, article.text)
        entry = doc.entry
        dedup = self.dedup.check(article.text, article.canonical_url, (doc.url, entry.link))
        if not dedup.is_new_item:
            earlier = self.items.get(dedup.item_id)
            if earlier is not None:
                log.info("item_duplicate", source=doc.source, item_id=earlier.id, kind=dedup.kind)
                return self.repeat(earlier, doc.source)
        # a headline-only item (its text is the headline again) is classified on the title alone
        body = "" if article.extraction_source == "entry-title" else article.text
        classification = self.classifier.classify(article.title, body, lang.code)
        item = Item(
            id=dedup.item_id,
            story_id=dedup.story_id,
            source=doc.source,
            title=article.title,
            text=article.text,
            language=lang.code,
            language_confidence=lang.confidence,
            topics=classification.topics,
            labels=classification.labels,
            evidence=classification.evidence,
            countries=classification.countries,
            duplicate_of=dedup.duplicate_of,
            dedup=dedup.kind,
            url=_first_web_url(article.url, entry.link),
            canonical_url=canonical_url(_first_web_url(article.canonical_url, article.url, entry.link)),
            feed_id=entry.feed_id,
            author=article.author,
            published=entry.published or article.date,
            sitename=article.sitename,
            extraction_source=article.extraction_source,
            encoding=article.encoding,
            warnings=article.warnings,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            guid=entry.guid,
            entry_key=entry.key,
            entry_link=entry.link,
            page_date=article.date,
            image=article.image,
            declared_language=article.declared_language,
            language_hint=entry.language_hint,
        )
        outlets = self.items.save(item)
        tags = self._feed_tags.get(entry.feed_id or "", ())
        alerts = self.alerts.record(item, tags, outlets, outlet_of(item))
        log.info("item_processed", source=doc.source, item_id=item.id, story_id=item.story_id,
                 language=item.language, labels=item.labels, dedup=item.dedup, alerts=[a.rule for a in alerts])
        return Outcome(item, alerts)

    def repeat(self, earlier: Item, source: str) -> Outcome:
        """The outcome for a document that is an item already stored: that item, no alerts."""
        return Outcome(replace(earlier, source=source, duplicate_of=earlier.id, dedup="url"), [])

    def deliver(self, alert: Alert, channels: list[str] | None = None) -> dict[str, str]:
        """Deliver ``alert`` to each of its channels (or ``channels``) in-process; record each outcome.

        Alerts of a digest rule are not sent here: they wait for :meth:`flush_digests`.

        Returns:
            channel -> ``delivered``, ``digest`` or ``failed: <reason>``. Never raises for a channel failure.
        """
        if alert.mode == "digest" and channels is None:
            return {channel: "digest" for channel in alert.channels}
        states = {}
        for channel in channels or alert.channels:
            try:
                self.deliver_one(alert, channel)
                state = "delivered"
            except Exception as exc:  # one channel's failure must not stop the others
                state = f"failed: {exc}"
                self.alerts.set_delivery(alert.id, channel, state)
                log.error("alert_delivery_failed", alert_id=alert.id, channel=channel, error=str(exc))
            states[channel] = state
        return states

    def deliver_one(self, alert: Alert, channel: str) -> None:
        """Send ``alert`` to ``channel`` and record ``delivered``.

        Raises:
            DeliveryError: the channel did not take it (the caller records the failure or retries).
        """
        self.notifier.deliver(alert, channel)
        self.alerts.set_delivery(alert.id, channel, "delivered")
        log.info("alert_delivered", alert_id=alert.id, channel=channel, rule=alert.rule)

    def send_digest(self, rule: str, channel: str, alert_ids: list[str]) -> int:
        """Send the alerts ``alert_ids`` of ``rule`` as one digest message to ``channel``.

        Returns:
            how many alerts the message held (expired alerts are skipped).

        Raises:
            DeliveryError: the channel did not take it.
        """
        alerts = [a for a in (self.alerts.get(i) for i in alert_ids) if a is not None]
        if not alerts:
            return 0
        self.notifier.deliver_digest(rule, alerts, channel)
        for alert in alerts:
            self.alerts.set_delivery(alert.id, channel, "delivered")
        log.info("alert_digest_delivered", rule=rule, channel=channel, alerts=len(alerts))
        return len(alerts)

    def flush_digests(self, force: bool = False) -> list[dict[str, Any]]:
        """Send every digest whose window has closed (all of them with ``force``), in-process.

        A channel that fails marks its alerts ``failed: <reason>`` (``monitor alerts retry`` resends).
        Each digest is taken as a batch (:mod:`monitor.digest`) that this process settles after the
        send; should it die first, the delivery reconciler hands the batch to a job once this
        process's time budget (the delivery job timeout) and the grace period have passed.

        Returns:
            one ``{"rule", "channel", "alerts", "state"}`` per digest message tried.
        """
        results = []
        budget = self.settings.alert_timeout * 3 + 30  # what a delivery job may take
        for rule in self.alerts.rules:
            if rule.mode != "digest":
                continue
            for channel in rule.channels:
                taken = self.digests.take(
                    rule.name, channel, rule.digest_seconds, force, due_at=time.time() + budget
                )
                if not taken.alert_ids:
                    continue
                results.append(self._send_batch(rule.name, channel, taken.alert_ids, taken.batch_id))
        return results

    def _send_batch(self, rule: str, channel: str, alert_ids: list[str], batch_id: str) -> dict[str, Any]:
        try:
            self.send_digest(rule, channel, alert_ids)
            state = "delivered"
        except DeliveryError as exc:
            state = f"failed: {exc}"
            for alert_id in alert_ids:
                self.alerts.set_delivery(alert_id, channel, state)
            log.error("alert_digest_failed", rule=rule, channel=channel, error=str(exc))
        self.digests.settle(batch_id)
        return {"rule": rule, "channel": channel, "alerts": len(alert_ids), "state": state}


def _first_web_url(*urls: str | None) -> str | None:
    """The first http(s) URL of ``urls``: a page's ``javascript:`` canonical link is no link to store."""
    return next((u for u in urls if is_web_url(u)), None)
