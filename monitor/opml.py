"""OPML 2.0 import and export of the feed list (http://opml.org/spec2.opml).

Import: every ``<outline>`` with an ``xmlUrl`` is a feed; the titles of the outlines it sits
in (folders) and its ``category`` attribute (comma-separated, ``/``-separated paths, as the
spec says) become tags. Export: one ``<outline type="rss">`` per feed, tags in ``category``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from monitor.config import FeedConfig, FeedsFile, load_yaml_model
from monitor.errors import ConfigError

HEADER = "# Feeds to poll. interval/min_interval/max_interval are seconds.\n"


@dataclass
class OpmlFeed:
    """One feed read from an OPML file."""

    url: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None


def _tags_of(outline: ET.Element) -> list[str]:
    tags: list[str] = []
    for part in (outline.get("category") or "").split(","):
        tags.extend(t.strip() for t in part.split("/") if t.strip())
    return tags


def read_opml(path: Path) -> list[OpmlFeed]:
    """The feeds of the OPML file at ``path``, in document order.

    Raises:
        ConfigError: the file is unreadable or not OPML (names the file).
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ConfigError(f"{path}: cannot read OPML: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(f"{path}: not an OPML file (no <opml><body>)")
    feeds: list[OpmlFeed] = []

    def walk(node: ET.Element, folders: list[str]) -> None:
        for outline in node.findall("outline"):
            url = outline.get("xmlUrl") or outline.get("xmlurl")
            title = outline.get("title") or outline.get("text")
            if url:
                tags = list(dict.fromkeys([*folders, *_tags_of(outline)]))
                feeds.append(OpmlFeed(url.strip(), title, tags, outline.get("language")))
            else:
                walk(outline, [*folders, *( [title] if title else [] ), *_tags_of(outline)])

    walk(body, [])
    return feeds


def feed_id_for(title: str | None, url: str, taken: set[str]) -> str:
    """An id for a new feed: its title as a slug (else its host), unique against ``taken``."""
    slug = re.sub(r"[^a-z0-9]+", "-", (title or "").lower()).strip("-")[:48].strip("-")
    if len(slug) < 3:
        slug = (urlsplit(url).hostname or "feed").lower()
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def merge_into(feeds_path: Path, opml_feeds: list[OpmlFeed]) -> tuple[list[FeedConfig], list[str]]:
    """Add the OPML feeds whose URL is not yet in ``feeds_path``; existing entries stay as written.

    New entries are appended to the file's text (its comments and layout are kept), then the
    whole file is validated. An outline that cannot be a feed (a ``javascript:`` or ``file:``
    URL...) is skipped, not fatal: one bad outline must not stop an import of hundreds.

    Returns:
        (the feeds added, one line per outline skipped naming its title, URL and reason).

    Raises:
        ConfigError: the existing file or the result is invalid (names the file and line).
    """
    current = load_yaml_model(feeds_path, FeedsFile).feeds if feeds_path.exists() else ()
    urls = {f.url for f in current}
    taken = {f.id for f in current}
    added: list[FeedConfig] = []
    skipped: list[str] = []
    for item in opml_feeds:
        if item.url in urls:
            continue
        try:
            feed = FeedConfig.model_validate({
                "id": feed_id_for(item.title, item.url, taken), "url": item.url, "title": item.title,
                "tags": tuple(item.tags), "language": item.language or None})
        except ValidationError as exc:
            reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            skipped.append(f"{item.title or '(untitled)'} <{item.url}>: {reasons}")
            continue
        urls.add(feed.url)
        taken.add(feed.id)
        added.append(feed)
    if added:
        _write(feeds_path, current, added)
        load_yaml_model(feeds_path, FeedsFile)
    return added, skipped


def _entry(feed: FeedConfig) -> dict[str, object]:
    data: dict[str, object] = {"id": feed.id, "url": feed.url}
    if feed.title:
        data["title"] = feed.title
    if feed.tags:
        data["tags"] = list(feed.tags)
    if feed.language:
        data["language"] = feed.language
    return data


def _write(path: Path, current: tuple[FeedConfig, ...], added: list[FeedConfig]) -> None:
    dumped = yaml.safe_dump([_entry(f) for f in added], allow_unicode=True, sort_keys=False)
    if current:
        indent = " " * _item_indent(path.read_text(encoding="utf-8"))
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
        text += "".join(indent + line + "\n" for line in dumped.splitlines())
    else:
        text = HEADER + "feeds:\n" + "".join("  " + line + "\n" for line in dumped.splitlines())
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _item_indent(text: str) -> int:
    node = yaml.compose(text)
    for key, value in node.value if node is not None else ():
        if key.value == "feeds" and isinstance(value, yaml.SequenceNode) and value.value:
            return int(value.value[0].start_mark.column) - 2
    return 2


def write_opml(feeds: list[FeedConfig], title: str = "news-monitor feeds") -> str:
    """OPML 2.0 text of ``feeds`` (tags as the ``category`` attribute)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.id
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        if feed.tags:
            attrs["category"] = ",".join(feed.tags)
        if feed.language:
            attrs["language"] = feed.language
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
