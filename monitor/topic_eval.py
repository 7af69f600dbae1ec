"""Evaluation of topic rules against hand-labelled items (``monitor topics eval``).

Two kinds of labelled JSON Lines files are read (see ``tests/data/GUIDELINE.md``):

* items with their text: ``{"id", "language", "labels", "title", "text", ...}``;
* labels for items of the shared corpus, whose text is read at evaluation time:
  ``{"id", "source": "page"|"feed", "file", "entry"?, "language", "labels"}``. Pages go
  through the extraction stage; feed entries give ``title`` + ``summary`` (markup removed).

Metrics per topic, overall and per language: precision = TP/(TP+FP), recall = TP/(TP+FN),
F1 = their harmonic mean (van Rijsbergen, *Information Retrieval*, 1979); 0.0 when undefined.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config import iso_language
from monitor.errors import ConfigError
from monitor.model import Classification

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class LabelledItem:
    """One item with its hand labels and the text to classify."""

    id: str
    language: str
    labels: frozenset[str]
    title: str
    text: str
    split: str = "dev"
    kind: str = ""


@dataclass
class Counts:
    """True positives, false positives, false negatives for one topic in one slice."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float | int]:
        """``precision``, ``recall``, ``f1`` (0..1, 3 decimals), ``support`` (TP + FN) and raw counts."""
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(f1, 3),
            "support": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Report:
    """Evaluation result: per topic (``"all"`` and per language) counts, and the errors with evidence."""

    items: int = 0
    counts: dict[str, dict[str, Counts]] = field(default_factory=dict)  # topic -> slice -> counts
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form: ``{"items", "topics": {topic: {slice: scores}}, "errors": [...]}``."""
        return {
            "items": self.items,
            "topics": {t: {s: c.scores() for s, c in slices.items()} for t, slices in self.counts.items()},
            "errors": self.errors,
        }


def evaluate(
    items: Iterable[LabelledItem], classify: Callable[[str, str, str], Classification], topics: Iterable[str]
) -> Report:
    """Classify every item and compare its labels with the hand labels, per topic and language.

    Args:
        classify: ``(title, text, language) -> Classification``, e.g. ``Classifier.classify``.
        topics: the topics to score (the configured ones).
    """
    report = Report()
    topics = list(topics)
    for item in items:
        report.items += 1
        result = classify(item.title, item.text, item.language)
        predicted = set(result.labels)
        for topic in topics:
            slices = report.counts.setdefault(topic, {})
            truth, guess = topic in item.labels, topic in predicted
            for name in ("all", item.language):
                c = slices.setdefault(name, Counts())
                c.tp += truth and guess
                c.fp += guess and not truth
                c.fn += truth and not guess
            if truth != guess:
                report.errors.append(
                    _error(item, topic, "false_positive" if guess else "false_negative", result)
                )
    return report


def _error(item: LabelledItem, topic: str, kind: str, result: Classification) -> dict[str, Any]:
    evidence = [
        f"{e.term} ×{e.count} ({e.where}{', negated' if e.negated else ''})" for e in result.evidence.get(topic, [])
    ]
    return {
        "id": item.id,
        "language": item.language,
        "topic": topic,
        "kind": kind,
        "score": result.topics.get(topic, 0.0),
        "title": item.title[:120],
        "evidence": evidence,
        "held": result.held.get(topic),
    }


def load_items(
    path: Path, corpus: Path | None = None, split: str | None = None, topics: Iterable[str] | None = None
) -> list[LabelledItem]:
    """Read a labelled JSON Lines file; corpus references are resolved under ``corpus``.

    Args:
        corpus: the shared corpus folder (with ``pages/`` and ``feeds/``); needed only when
            the file references corpus items.
        split: keep only items of this split (``dev`` or ``heldout``); None keeps all. An item
            without a ``split`` field is ``dev``.
        topics: the configured topic names; a label outside them is an error (a typo such as
            "diplomcy" would otherwise make a positive count as a negative). None: not checked.

    Raises:
        ConfigError: unreadable file, lines that are not labelled items (each bad line named by
            file and line, up to :data:`MAX_LINE_ERRORS` of them, so that one run shows them all:
            ``labels`` not a list of topic names, an unknown label, a ``split`` other than
            ``dev``/``heldout``, an id already used on an earlier line, a language that is no
            ISO 639-1 code), or a corpus reference that cannot be resolved (with no corpus
            folder at all, one error at the first such line).
    """
    try:
        # utf-8-sig: a BOM is no error; split on newlines only (splitlines would also cut a text at
        # U+2028 or U+0085 inside a JSON string, which JSON allows raw)
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    resolver = _CorpusResolver(corpus) if corpus else None
    known = None if topics is None else frozenset(topics)
    seen: dict[str, int] = {}
    items = []
    errors = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = _parse_item(line, resolver, known)
            if item.id in seen:
                raise ConfigError(f"id {item.id!r} is already used on line {seen[item.id]}")
            seen[item.id] = n
        except _NoCorpus as exc:
            raise ConfigError(f"{path}:{n}: {exc}") from None  # every such line would say the same
        except KeyError as exc:
            errors.append(f"{path}:{n}: not a labelled item: the field {exc} is missing")
            continue
        except (ValueError, TypeError, ConfigError) as exc:
            errors.append(f"{path}:{n}: not a labelled item: {exc}")
            continue
        if split is None or item.split == split:
            items.append(item)
    if errors:
        more = len(errors) - MAX_LINE_ERRORS
        raise ConfigError("\n".join(errors[:MAX_LINE_ERRORS] + ([f"... and {more} more"] if more > 0 else [])))
    return items


class _NoCorpus(ConfigError):
    """A line references the shared corpus and no corpus folder was given: the file's problem."""


MAX_LINE_ERRORS = 20
"""Bad lines listed in one :func:`load_items` error; the rest are counted."""


def _parse_item(line: str, resolver: _CorpusResolver | None, known: frozenset[str] | None) -> LabelledItem:
    """One JSON line as a :class:`LabelledItem`.

    Raises:
        KeyError: a required field is missing.
        ConfigError, ValueError, TypeError: not JSON, or a field has the wrong type or value.
    """
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(row, dict):
        raise ConfigError(f"a JSON object is needed, not {type(row).__name__}")
    if "source" in row:
        if resolver is None:
            raise _NoCorpus(
                "references an item of the shared corpus, but no corpus folder is here "
                "(monitor topics eval --corpus FOLDER; ../shared/corpus by default)"
            )
        title, text = resolver.text(row)
    else:
        title, text = row.get("title", ""), row["text"]
    if not isinstance(title, str) or not isinstance(text, str):
        raise ConfigError("'title' and 'text' must be strings")
    if not isinstance(row["language"], str):
        raise ConfigError(f"language must be an ISO 639-1 code such as ar, en, fr, not {row['language']!r}")
    item = LabelledItem(
        str(row["id"]),
        iso_language(row["language"]),
        _labels(row["labels"], known),
        title,
        text,
        row.get("split", "dev"),
        row.get("kind", ""),
    )
    if item.split not in SPLITS:
        raise ConfigError(f"split {item.split!r} is not one of {', '.join(SPLITS)}")
    return item


SPLITS = ("dev", "heldout")


def _labels(value: Any, known: frozenset[str] | None) -> frozenset[str]:
    """``labels`` as a set of topic names; a string or an unknown name is an error."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"labels must be a list of topic names, not {value!r}")
    unknown = sorted(set(value) - known) if known is not None else []
    if unknown:
        raise ConfigError(f"label {unknown[0]!r} is not a configured topic ({', '.join(sorted(known or ()))})")
    return frozenset(value)


class _CorpusResolver:
    """Reads page and feed-entry texts from the shared corpus, parsing each feed once."""

    def __init__(self, root: Path) -> None:
        if not (root / "pages").is_dir() or not (root / "feeds").is_dir():
            raise ConfigError(f"{root}: not a corpus folder (expected pages/ and feeds/)")
        self._root = root
        self._feeds: dict[str, dict[str, tuple[str, str]]] = {}

    def text(self, row: dict[str, Any]) -> tuple[str, str]:
        if row["source"] == "page":
            return self._page(self._root / "pages" / row["file"])
        entries = self._feeds.get(row["file"])
        if entries is None:
            entries = self._feeds[row["file"]] = self._feed(self._root / "feeds" / row["file"])
        if row["entry"] not in entries:
            raise ConfigError(f"feed {row['file']}: no entry {row['entry']!r}")
        return entries[row["entry"]]

    @staticmethod
    def _page(path: Path) -> tuple[str, str]:
        from monitor.errors import DocumentError
        from monitor.extract import extract, read_document

        try:
            article = extract(read_document(path, 20_000_000))
        except DocumentError as exc:
            raise ConfigError(f"page {path.name}: {exc}") from exc
        return article.title, article.text

    @staticmethod
    def _feed(path: Path) -> dict[str, tuple[str, str]]:
        import feedparser

        if not path.exists():
            raise ConfigError(f"feed {path.name}: missing")
        parsed = feedparser.parse(path.read_bytes())
        out: dict[str, tuple[str, str]] = {}
        for entry in parsed.entries:
            key = entry.get("id") or entry.get("link")
            summary = html.unescape(_TAG.sub(" ", entry.get("summary", "")))
            title = html.unescape(_TAG.sub(" ", entry.get("title", "")))
            if key and key not in out:
                out[key] = (" ".join(title.split()), " ".join(summary.split()))
        return out
