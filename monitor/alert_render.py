"""Alert messages: plain-text and Markdown templates, default or the user's own.

A template is a :class:`string.Template` file: its **first line is the message title**, the
rest (after one blank line) is the body. Placeholders (``$name`` or ``${name}``):

``headline``, ``outlet``, ``language``, ``time``, ``topics``, ``terms``, ``countries``,
``outlets``, ``escalation``, ``rule``, ``reason``, ``link``, ``id``.

A line whose placeholders are all empty is left out (no "Countries:" line without countries).
Text is passed through intact: Arabic headlines are neither reshaped nor reversed and no
directional marks are inserted (clients apply the Unicode bidi algorithm to a line that starts
with Arabic; an invisible mark would break copy-and-search). Only formats that carry direction
explicitly get it: the Atom feed's HTML content uses ``dir="rtl"`` (:mod:`monitor.alert_feed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from monitor.config import AlertsFile
from monitor.errors import ConfigError
from monitor.model import Alert, Evidence

PLACEHOLDERS = frozenset(
    {
        "headline",
        "outlet",
        "language",
        "time",
        "topics",
        "terms",
        "countries",
        "outlets",
        "escalation",
        "rule",
        "reason",
        "link",
        "id",
    }
)

DEFAULT_TEXT = """$escalation$headline

$headline
$outlet · $language · $time
Topics: $topics
Why: $terms
Countries: $countries
Outlets: $outlets
Rule: $rule
$link
"""

DEFAULT_MARKDOWN = """$escalation$headline

**$headline**

- Outlet: $outlet
- Language: $language
- Time: $time
- Topics: $topics
- Why: $terms
- Countries: $countries
- Outlets: $outlets
- Rule: $rule

$link
"""

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
MAX_TERMS = 6  #: evidence terms shown per topic


@dataclass(frozen=True)
class Templates:
    """The plain-text and Markdown templates in use (default or from files)."""

    text: Template
    markdown: Template


def _check(source: str, text: str) -> Template:
    template = Template(text)
    if not template.is_valid():
        raise ConfigError(
            f"{source}: invalid template ($ must start a placeholder; write $$ for a dollar sign)"
        )
    unknown = set(template.get_identifiers()) - PLACEHOLDERS
    if unknown:
        raise ConfigError(
            f"{source}: unknown placeholder(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(PLACEHOLDERS))}"
        )
    return template


def load_templates(alerts: AlertsFile, directory: Path, alerts_path: Path | None = None) -> Templates:
    """Build :class:`Templates` from ``alerts.yaml``'s ``template``/``markdown_template`` (or defaults).

    Args:
        directory: folder relative paths are resolved against (the config folder).

    Raises:
        ConfigError: naming alerts.yaml's field and the file that is missing, unreadable or invalid.
    """
    where = alerts_path or directory / "alerts.yaml"
    loaded = {}
    for field, default in (("template", DEFAULT_TEXT), ("markdown_template", DEFAULT_MARKDOWN)):
        name = getattr(alerts, field)
        if name is None:
            loaded[field] = _check(f"default {field}", default)
            continue
        path = directory / name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: {field}: cannot read {path}: {exc}") from exc
        loaded[field] = _check(f"{where}: {field} ({path})", text)
    return Templates(text=loaded["template"], markdown=loaded["markdown_template"])


def _md(value: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", value)


def term_counts(evidence: list[Evidence], limit: int = MAX_TERMS) -> str:
    """``"term ×count, ..."`` with title and body matches of one term added up, strongest first;
    negated matches (they scored nothing) are left out."""
    counts: dict[str, int] = {}
    weights: dict[str, float] = {}
    for ev in evidence:
        if ev.negated:
            continue
        counts[ev.term] = counts.get(ev.term, 0) + ev.count
        weights[ev.term] = weights.get(ev.term, 0.0) + ev.weight * ev.count
    ranked = sorted(counts, key=lambda t: -weights[t])[:limit]
    return ", ".join(f"{term} ×{counts[term]}" for term in ranked)


def values(alert: Alert, markdown: bool = False) -> dict[str, str]:
    """Placeholder values of ``alert`` (Markdown-escaped when ``markdown``)."""
    esc = _md if markdown else (lambda v: v)
    terms = "; ".join(f"{topic}: {term_counts(evs)}" for topic, evs in alert.evidence.items() if evs)
    escalation = f"Now {alert.outlets} outlets: " if alert.escalated_at else ""
    link = alert.url or ""
    return {
        "headline": esc(alert.title),
        "outlet": esc(alert.outlet or ""),
        "language": alert.language,
        "time": alert.published or alert.created_at,
        "topics": esc(", ".join(f"{t} {s:.1f}" for t, s in alert.topics.items())),
        "terms": esc(terms),
        "countries": ", ".join(f"{c} ×{n}" for c, n in alert.countries.items()),
        "outlets": str(alert.outlets),
        "escalation": escalation,
        "rule": esc(alert.rule),
        "reason": esc(alert.reason),
        "link": (f"<{link}>" if markdown else link) if link else "",
        "id": alert.id,
    }


def _fill(template: Template, data: dict[str, str]) -> str:
    """Substitute line by line, dropping lines whose placeholders are all empty."""
    out = []
    for line in template.template.splitlines():
        names = Template(line).get_identifiers()
        if names and not any(data.get(n) for n in names):
            continue
        out.append(Template(line).safe_substitute(data))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def render(alert: Alert, templates: Templates, markdown: bool = False) -> tuple[str, str]:
    """(title, body) of the message for ``alert``; Markdown when ``markdown`` else plain text."""
    text = _fill(templates.markdown if markdown else templates.text, values(alert, markdown))
    title, _, body = text.partition("\n")
    return title.strip(), body.strip("\n")


def render_digest(
    rule: str, alerts: list[Alert], templates: Templates, markdown: bool = False
) -> tuple[str, str]:
    """(title, body) of one digest message: every alert's body, in order, separated by rules."""
    title = f"{rule}: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    separator = "\n\n---\n\n" if markdown else "\n\n— — —\n\n"
    return title, separator.join(render(a, templates, markdown)[1] for a in alerts)
