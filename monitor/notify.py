"""Delivery of alerts to channels through Apprise (no hand-written senders).

One call sends to one channel, so a slow or dead channel only ever holds up its own
delivery job. Each attempt is bounded by connect and read timeouts (Apprise's ``cto``/``rto``,
set from ``MONITOR_ALERT_TIMEOUT`` unless the channel URL gives its own). Apprise answers
``False`` for a non-2xx HTTP status (its ``json://`` plugin checks ``200 <= status < 300``),
a timeout or a refused connection; all of these raise :class:`DeliveryError` here.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import apprise
import structlog

from monitor.alert_render import Templates, render, render_digest
from monitor.errors import DeliveryError
from monitor.model import Alert

log = structlog.get_logger(__name__)

#: Channel URL that only writes a structured log line (no external service).
LOG_CHANNEL = "log://"


def wants_markdown(plugin: apprise.plugins.NotifyBase) -> bool:
    """True when the service renders Markdown or HTML (Apprise converts Markdown to HTML for it).

    Uses the format Apprise resolves for the service, so ``?format=markdown`` on a URL
    selects the Markdown template for multi-format services such as ``json://``.
    """
    resolve = getattr(plugin, "resolve_format", None)
    fmt = resolve(None) if resolve else plugin.notify_format
    return str(getattr(fmt, "value", fmt)) in ("markdown", "html")


def _failure_reason(result: object) -> str:
    logs = getattr(result, "logs", None)  # Apprise >= 2: the call's warnings and errors
    if logs is not None:
        messages = [e.message for e in logs() if e.level in ("WARNING", "ERROR")]
        if messages:
            return messages[-1].strip()
    return "the service did not accept the alert"


class Notifier:
    """Sends alerts and digests to the channels of ``alerts.yaml``.

    Args:
        channels: channel name -> Apprise URL (or ``log://``).
        templates: message templates (:func:`monitor.alert_render.load_templates`).
        timeout: connect and read timeout per attempt (seconds).
    """

    def __init__(self, channels: dict[str, str], templates: Templates, timeout: float = 10.0) -> None:
        self._channels = channels
        self._templates = templates
        self._timeout = timeout

    def deliver(self, alert: Alert, channel: str) -> None:
        """Send ``alert`` to one channel.

        Raises:
            DeliveryError: unknown channel, invalid URL, or the service did not accept it.
        """
        if self._channels.get(channel) == LOG_CHANNEL:
            log.warning(
                "alert",
                channel=channel,
                alert_id=alert.id,
                rule=alert.rule,
                title=alert.title,
                reason=alert.reason,
                url=alert.url,
                outlets=alert.outlets,
                countries=list(alert.countries),
            )
            return
        self._send(channel, lambda md: render(alert, self._templates, md))

    def deliver_digest(self, rule: str, alerts: list[Alert], channel: str) -> None:
        """Send one message gathering ``alerts`` (all of rule ``rule``) to one channel.

        Raises:
            DeliveryError: as :meth:`deliver`.
        """
        if self._channels.get(channel) == LOG_CHANNEL:
            log.warning(
                "alert_digest",
                channel=channel,
                rule=rule,
                alert_ids=[a.id for a in alerts],
                titles=[a.title for a in alerts],
            )
            return
        self._send(channel, lambda md: render_digest(rule, alerts, self._templates, md))

    def _service(self, channel: str) -> apprise.plugins.NotifyBase:
        url = self._channels.get(channel)
        if url is None:
            raise DeliveryError(f"channel {channel!r} is not defined in alerts.yaml")
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            raise DeliveryError(f"channel {channel!r}: invalid Apprise URL")
        query = parse_qs(urlsplit(url).query)
        if "cto" not in query:
            plugin.socket_connect_timeout = self._timeout
        if "rto" not in query:
            plugin.socket_read_timeout = self._timeout
        return plugin

    def _send(self, channel: str, make: Callable[[bool], tuple[str, str]]) -> None:
        plugin = self._service(channel)
        markdown = wants_markdown(plugin)
        title, body = make(markdown)
        sender = apprise.Apprise()
        sender.add(plugin)
        result = sender.notify(
            title=title,
            body=body,
            notify_type=apprise.NotifyType.WARNING,
            body_format=apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.TEXT,
        )
        if not result:
            raise DeliveryError(f"channel {channel!r}: {_failure_reason(result)}")
        log.info("alert_sent", channel=channel, markdown=markdown)
