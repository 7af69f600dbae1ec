"""Typed values passed between pipeline stages.

Stages take and return these; none of them knows about queues. Everything here
converts to and from JSON-safe dicts (``to_dict`` / ``from_dict``) so it can be
stored in Redis hashes and printed as JSON Lines.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal


def _asdict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


@dataclass(frozen=True)
class EntryInfo:
    """What a feed said about an entry (all optional: plain files have none of it).

    ``key`` is the entry's identity within its feed (GUID, canonical link or content hash);
    ``summary``/``content`` are plain text; ``published`` is UTC ISO 8601 or None.
    """

    feed_id: str | None = None
    key: str | None = None
    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    published: str | None = None
    language_hint: str | None = None


@dataclass(frozen=True)
class Document:
    """One input document: raw bytes plus where they came from.

    Attributes:
        source: path or URL, used in every message about this document.
        content: the raw bytes (at most ``Settings.max_document_bytes``).
        content_type: HTTP ``Content-Type`` or a guess from the file name, e.g. ``text/plain``.
        url: the document's URL when it has one (page URL after redirects).
        entry: the feed entry that led to it, if any.
        warnings: what went wrong getting it (e.g. why the page could not be fetched), as sentences.
    """

    source: str
    content: bytes
    content_type: str = "text/plain"
    url: str | None = None
    entry: EntryInfo = field(default_factory=EntryInfo)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """Clean text and metadata extracted from a document.

    ``extraction_source`` says where the body came from: ``plain-text``,
    ``trafilatura``, ``trafilatura-recall``, ``entry-content`` or ``entry-summary``.
    """

    source: str
    title: str
    text: str
    url: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    image: str | None = None
    encoding: str | None = None
    declared_language: str | None = None
    extraction_source: str = "plain-text"
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageResult:
    """Detected language (ISO 639-1, dialects folded, e.g. ``arz`` -> ``ar``) and its probability 0..1."""

    code: str
    confidence: float


@dataclass(frozen=True)
class Evidence:
    """One rule term that matched: the term as written in topics.yaml, how often, where. For a
    relation event the term is the relation term and the codes of its sides ("urge* + CN, JP").

    ``negated`` marks matches under a negation cue of the topic ("police ruled out terrorism"):
    listed so an analyst sees why a text was not labelled, but they add nothing to the score.
    """

    term: str
    count: int
    where: Literal["title", "body"]
    weight: float
    negated: bool = False


@dataclass(frozen=True)
class Classification:
    """Topic scores for one text.

    Attributes:
        topics: topic name -> score (sum of weights, title matches multiplied by the title weight).
        labels: topics whose score reached their threshold, in config order.
        evidence: topic name -> matched terms.
        countries: ISO 3166-1 alpha-2 code (or ``EU``) -> mentions.
        held: topic name -> why it is not a label although its score reached the threshold
            (only context terms, a single term outside the title and lede, a domestic item).
    """

    topics: dict[str, float]
    labels: list[str]
    evidence: dict[str, list[Evidence]]
    countries: dict[str, int] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _asdict(self)


DedupKind = Literal["new", "url", "text", "near"]


@dataclass(frozen=True)
class DedupResult:
    """Outcome of the dedup stage.

    Attributes:
        item_id: id of the item this document becomes (new) or already is (``kind == "url"``).
        story_id: the story the item belongs to.
        duplicate_of: id of the earlier item it repeats, or None when new.
        kind: ``new``; ``url`` (same canonical URL and text: the same item again);
            ``text`` (same normalized text elsewhere); ``near`` (near-duplicate, MinHash).
    """

    item_id: str
    story_id: str
    duplicate_of: str | None
    kind: DedupKind

    @property
    def is_new_item(self) -> bool:
        """True when this document should be stored as an item of its own."""
        return self.kind != "url"


@dataclass(frozen=True)
class Item:
    """A processed article as stored in Redis and printed by ``monitor replay --json``.

    ``language`` is the detected language (``language_confidence`` 0..1); ``declared_language``
    is what the page says (``<html lang>``, ``og:locale``), ``language_hint`` what the feed says.
    ``published`` is the entry's date, else the page's; ``page_date`` the page's own (trafilatura).
    ``url`` is the page after redirects, ``entry_link`` the feed's link, ``canonical_url`` the
    cleaned canonical address. ``dedup`` and ``duplicate_of`` say how it joined its story.
    """

    id: str
    story_id: str
    source: str
    title: str
    text: str
    language: str
    language_confidence: float
    topics: dict[str, float]
    labels: list[str]
    evidence: dict[str, list[Evidence]]
    countries: dict[str, int]
    duplicate_of: str | None
    dedup: DedupKind
    url: str | None = None
    canonical_url: str | None = None
    feed_id: str | None = None
    author: str | None = None
    published: str | None = None
    sitename: str | None = None
    extraction_source: str = "plain-text"
    encoding: str | None = None
    warnings: tuple[str, ...] = ()
    created_at: str = ""
    guid: str | None = None
    entry_key: str | None = None
    entry_link: str | None = None
    page_date: str | None = None
    image: str | None = None
    declared_language: str | None = None
    language_hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        data = dict(data)
        data["evidence"] = {
            topic: [Evidence(**ev) for ev in evs] for topic, evs in data.get("evidence", {}).items()
        }
        data["warnings"] = tuple(data.get("warnings", ()))
        return cls(**data)


@dataclass(frozen=True)
class Alert:
    """An alert: one rule matched one story. Recorded before any delivery is tried.

    The first item of the story fixes the headline, topics and evidence; later items of the
    same story update ``outlets``, ``url`` (the newest link), ``item_ids`` and ``updated_at``.

    Attributes:
        id: alert id. rule: the alert rule's name. channels: channel names to deliver to.
        reason: one human sentence saying why it fired (topics, scores, terms).
        outlets: distinct outlets carrying the story. item_ids: items of the story seen by this rule.
        outlet: outlet of the first item. published: its publication time (UTC ISO 8601) if known.
        mode: ``immediate`` or ``digest`` (from the rule). created_at/updated_at: UTC ISO 8601.
        escalated_at: when the outlet count reached the rule's ``escalate_at_outlets`` (None: not yet).
    """

    id: str
    rule: str
    story_id: str
    item_id: str
    title: str
    url: str | None
    language: str
    topics: dict[str, float]
    evidence: dict[str, list[Evidence]]
    countries: dict[str, int]
    channels: list[str]
    reason: str
    created_at: str
    outlets: int = 1
    item_ids: list[str] = field(default_factory=list)
    outlet: str | None = None
    published: str | None = None
    mode: str = "immediate"
    updated_at: str = ""
    escalated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        data = dict(data)
        data["evidence"] = {
            topic: [Evidence(**ev) for ev in evs] for topic, evs in data.get("evidence", {}).items()
        }
        return cls(**data)
