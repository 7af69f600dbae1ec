"""Recent alerts as data: JSON objects with delivery state, and an Atom 1.0 feed (RFC 4287).

The Atom feed is written with :mod:`xml.etree.ElementTree`: feed ``id``/``title``/``updated``/
``author``/``link rel=self``; per alert an entry with ``id`` (``urn:uuid:`` of the alert id),
``title`` (the headline, ``xml:lang`` set), ``updated``, ``published``, ``link`` (the newest
article link, else the alert's JSON), ``category`` per topic, ``summary`` (why it fired) and
HTML ``content`` with the evidence. Right-to-left languages get ``dir="rtl"`` in the HTML
content, the one place in our output where direction can be stated explicitly.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from monitor.model import Alert

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi"})


def delivery_summary(deliveries: dict[str, str]) -> str:
    """One word for an alert's channels: ``failed`` if any failed for good, ``pending`` if any is
    still waiting (pending, retrying, digest), ``delivered`` when all were delivered."""
    states = list(deliveries.values())
    if any(s.startswith("failed") for s in states):
        return "failed"
    if any(not s.startswith("delivered") for s in states):
        return "pending"
    return "delivered"


def alert_view(alert: Alert, deliveries: dict[str, str]) -> dict[str, Any]:
    """JSON-safe view of one alert: every field, ``deliveries`` per channel and their ``delivery`` summary."""
    data = alert.to_dict()
    data["deliveries"] = deliveries
    data["delivery"] = delivery_summary(deliveries)
    return data


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _rfc3339(value: str | None) -> str:
    """``value`` (ISO 8601) as an RFC 3339 timestamp with offset; now when missing or unparsable."""
    try:
        moment = datetime.fromisoformat(value) if value else datetime.now(UTC)
    except ValueError:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _content_html(alert: Alert) -> str:
    esc = html.escape
    direction = ' dir="rtl"' if alert.language in RTL_LANGUAGES else ""
    rows = [f'<p{direction} lang="{esc(alert.language)}"><strong>{esc(alert.title)}</strong></p>', "<ul>"]
    for topic, score in alert.topics.items():
        terms = ", ".join(f"{ev.term} ×{ev.count}" for ev in alert.evidence.get(topic, []))
        rows.append(f"<li>{esc(topic)} {score:.1f}: <span{direction}>{esc(terms)}</span></li>")
    if alert.countries:
        rows.append(
            "<li>Countries: " + esc(", ".join(f"{c} ×{n}" for c, n in alert.countries.items())) + "</li>"
        )
    rows.append(f"<li>Outlets: {alert.outlets}{' (' + esc(alert.outlet) + ')' if alert.outlet else ''}</li>")
    rows.append(f"<li>Rule: {esc(alert.rule)}</li></ul>")
    return "".join(rows)


def atom_feed(alerts: Iterable[Alert], feed_id: str, self_url: str, base_url: str, title: str) -> bytes:
    """An Atom 1.0 document of ``alerts`` (newest first), UTF-8 bytes.

    Args:
        feed_id: the feed's permanent IRI. self_url: where this document is served.
        base_url: the server root, for links of alerts without an article link.
    """
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    alerts = list(alerts)
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(
        feed, "updated", max((_rfc3339(a.updated_at or a.created_at) for a in alerts), default=_rfc3339(None))
    )
    _sub(_sub(feed, "author"), "name", "news-monitor")
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "generator", "news-monitor")
    for alert in alerts:
        entry = _sub(feed, "entry")
        _sub(entry, "id", uuid.UUID(hex=alert.id).urn)
        _sub(entry, "title", alert.title, type="text").set(XML_LANG, alert.language)
        _sub(entry, "updated", _rfc3339(alert.updated_at or alert.created_at))
        _sub(entry, "published", _rfc3339(alert.created_at))
        link = alert.url or f"{base_url}/alerts.json?id={alert.id}"
        _sub(entry, "link", rel="alternate", href=link)
        for topic in alert.topics:
            _sub(entry, "category", term=topic)
        _sub(entry, "summary", alert.reason, type="text")
        _sub(entry, "content", _content_html(alert), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
