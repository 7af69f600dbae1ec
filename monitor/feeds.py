"""Feed parsing: fetched bytes -> :class:`ParsedFeed` with normalized :class:`FeedEntry` values.

Steps, each one a fault seen in the field (``../shared/cases``):

1. charset chosen by :func:`monitor.charset.decode_bytes` (cases 01, 03), and feedparser given
   that text re-encoded as UTF-8 with a prolog and header that say so, never raw bytes under
   a wrong header;
2. feedparser run with the feed's final URL as base, so relative links and GUIDs resolve,
   entry-level ``xml:base`` included (case 12);
3. ``bozo`` is a warning when a version or entries were recovered (cases 03, 05); a result with
   neither is :class:`~monitor.errors.NotAFeedError` (an HTML page, case 04b; a parking page,
   case 13);
4. titles and summaries to plain text, entities decoded exactly once (case 07,
   :mod:`monitor.feedtext`); dates to UTC (case 09, :mod:`monitor.feeddates`);
5. entry identity (case 10): the GUID when present and unique within the feed; else the
   canonical link (courlan); else a hash of title and content.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from courlan import normalize_url

from monitor import USER_AGENT
from monitor.charset import decode_bytes
from monitor.errors import NotAFeedError, PermanentFetchError
from monitor.feeddates import parse_entry_date
from monitor.feedtext import text_construct
from monitor.fetch import is_web_url
from monitor.model import EntryInfo

_XML_TYPES = re.compile(r"^\s*(application/([\w.+-]*\+)?xml|text/xml|application/(rss|atom|rdf)\b)", re.I)
_PROLOG_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", re.I)
_HTML_PAGE = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
_ALTERNATE = re.compile(r"<link\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, normalized.

    Attributes:
        key: identity within the feed: ``guid:<GUID>``, ``link:<canonical link>`` or
            ``hash:<sha256 hex of link/title/content>`` (see module docstring).
        guid: the GUID / Atom id as written (relative ones resolved), or None.
        link: absolute URL of the article, or None.
        title: plain text, one line. summary, content: plain text or None.
        published: UTC ISO 8601 (``2024-05-12T07:00:00Z``) or None.
        timezone_assumed: the zone used because the date had none (hint or ``UTC``).
        date_unparsed: True when the entry had no usable date (use ``first_seen`` instead).
        first_seen: set by the caller (UTC ISO 8601); None here.
        image: absolute URL of the entry's first image (media, enclosure or ``<img>``), or None.
    """

    key: str
    guid: str | None
    link: str | None
    title: str
    summary: str | None
    content: str | None
    published: str | None
    timezone_assumed: str | None = None
    date_unparsed: bool = False
    first_seen: str | None = None
    image: str | None = None

    @property
    def link_key(self) -> str | None:
        """``link:<canonical link>`` whatever ``key`` is: a second identity for a seen-set, so that
        entries whose GUIDs were rewritten when the feed moved (case 13) are still recognised."""
        return "link:" + canonical_link(self.link) if self.link else None

    def to_entry_info(self, feed_id: str | None, language_hint: str | None = None) -> EntryInfo:
        """The :class:`~monitor.model.EntryInfo` handed to the entry job."""
        return EntryInfo(
            feed_id=feed_id, key=self.key, guid=self.guid, link=self.link, title=self.title,
            summary=self.summary, content=self.content, published=self.published,
            language_hint=language_hint,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed.

    Attributes:
        title, link, language: from the channel/feed element (None when absent).
        version: feedparser's version (``rss20``, ``atom10``, ``rss10``...).
        encoding: the charset that decoded the bytes (IANA spelling, e.g. ``windows-1256``).
        warnings: recovered problems as sentences (charset mismatch, served as text/html,
            malformed XML recovered, ``non_unique_guid``...). Not errors.
        entries: in feed order.
        ttl_seconds: the RSS ``<ttl>`` in seconds, or None.
    """

    title: str | None
    link: str | None
    language: str | None
    version: str
    encoding: str
    warnings: list[str] = field(default_factory=list)
    entries: list[FeedEntry] = field(default_factory=list)
    ttl_seconds: int | None = None


def parse_feed(
    content: bytes, content_type: str | None, base_url: str, *,
    language_hint: str | None = None, timezone_hint: str | None = None,
) -> ParsedFeed:
    """Parse a feed body fetched from ``base_url`` (the final URL, after redirects).

    Args:
        content: the body, decompressed. content_type: the HTTP ``Content-Type``, if any.
        base_url: final URL of the feed; relative links and GUIDs resolve against it.
        language_hint: the feed's configured language (``ar`` helps reject mojibake).
        timezone_hint: zoneinfo name for dates without a zone or with an ambiguous one.

    Raises:
        NotAFeedError: the body is empty, an HTML page or other non-feed (message names the
            URL and, for an HTML page that links a feed, that feed's URL).
        PermanentFetchError: feedparser itself failed on this body.
    """
    if not content.strip():
        raise NotAFeedError(base_url, "not a feed: empty body")
    text, encoding, warnings = decode_bytes(content, content_type, xml=True, language_hint=language_hint)
    if content_type and not _XML_TYPES.match(content_type):
        warnings.append(f"served as {content_type.split(';')[0].strip()} (not an XML media type)")
    result = _run_feedparser(text, base_url)
    version = result.get("version") or ""
    if not version and not result.entries:
        raise _not_a_feed(text, content_type, base_url, result)
    if result.get("bozo"):
        warnings.append(f"malformed XML: {_bozo_message(result)} (recovered){_bozo_position(result)}")
    feed = result.feed
    entries = _entries(result.entries, base_url, timezone_hint, warnings)
    return ParsedFeed(
        title=_one_line(text_construct(feed.get("title"), _type(feed, "title"), allow_second_decode=True)[0]),
        link=urljoin(base_url, feed["link"]) if feed.get("link") else None,
        language=feed.get("language") or None,
        version=version,
        encoding=encoding,
        warnings=warnings,
        entries=entries,
        ttl_seconds=_ttl(feed.get("ttl")),
    )


def _run_feedparser(text: str, base_url: str) -> Any:
    data = _PROLOG_ENCODING.sub(r'\1"utf-8"', text, count=1).encode("utf-8")
    try:
        return feedparser.parse(
            io.BytesIO(data),
            agent=USER_AGENT,
            response_headers={"content-location": base_url, "content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except Exception as exc:  # feedparser has no exception tree of its own: any failure is this feed's
        raise PermanentFetchError(base_url, f"feed parser failed: {type(exc).__name__}: {exc}") from exc


def _bozo_message(result: Any) -> str:
    exc = result.get("bozo_exception")
    if exc is None:
        return "unknown problem"
    message = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)
    return str(message).split(": ")[-1] or type(exc).__name__


def _bozo_position(result: Any) -> str:
    """`` at line L, column C`` of the XML parser's complaint (so the publisher can be told where), or ""."""
    exc = result.get("bozo_exception")
    if exc is None or not hasattr(exc, "getLineNumber"):
        return ""
    return f" at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"


def _not_a_feed(text: str, content_type: str | None, base_url: str, result: Any) -> NotAFeedError:
    is_html = bool(_HTML_PAGE.search(text[:4096])) or (content_type or "").lower().startswith("text/html")
    if not is_html:
        return NotAFeedError(base_url, f"not a feed: no RSS, Atom or RDF document ({_bozo_message(result)})")
    link = advertised_feed(text, base_url)
    reason = "not a feed: HTML page" + (f" (it links the feed {link})" if link else "")
    return NotAFeedError(base_url, reason, feed_link=link)


def advertised_feed(page: str, base_url: str) -> str | None:
    """The absolute URL of the first ``<link rel="alternate" type="application/rss+xml|atom+xml">``
    of an HTML page, or None."""
    for tag in _ALTERNATE.finditer(page):
        attrs = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                 for m in _ATTR.finditer(tag.group(0))}
        rels = attrs.get("rel", "").lower().split()
        if "alternate" in rels and attrs.get("type", "").lower() in _FEED_TYPES and attrs.get("href"):
            return urljoin(base_url, attrs["href"].strip())
    return None


def _type(detail_owner: Any, name: str) -> str | None:
    detail = detail_owner.get(f"{name}_detail") or {}
    return detail.get("type")


def _one_line(text: str | None) -> str | None:
    return " ".join(text.split("\n")) if text else text


def _ttl(value: Any) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def _entries(
    raw_entries: list[Any], base_url: str, timezone_hint: str | None, warnings: list[str]
) -> list[FeedEntry]:
    twice = 0
    drafts: list[dict[str, Any]] = []
    for raw in raw_entries:
        draft, decoded_twice = _draft(raw, base_url, timezone_hint)
        twice += decoded_twice
        drafts.append(draft)
    if twice:
        warnings.append(f"double-escaped entities decoded twice in {twice} entry field(s)")
    # javascript:, data:, file: ... would reach alert messages and the Atom feed as links
    refused = [d for d in drafts if d["link"] and not is_web_url(d["link"])]
    kinds = ", ".join(sorted({_link_kind(d["link"]) for d in refused}))
    _drop_links(refused, f"that are no web address ({kinds})", warnings)
    # "#" or "http://" resolved against the feed: the feed is no article page, and one shared link
    # made every later entry a URL duplicate of the first (a bad-input trial lost them)
    feed_page = base_url.split("#")[0]
    _drop_links([d for d in drafts if d["link"] and d["link"].split("#")[0] == feed_page],
                "pointing at the feed itself", warnings)
    for d in drafts:
        if d["image"] and not is_web_url(d["image"]):
            d["image"] = None
    empty = [d for d in drafts if not (d["title"] or d["link"] or d["summary"] or d["content"] or d["guid"])]
    if empty:
        warnings.append(f"empty_entry: {len(empty)} entry(ies) without title, link, GUID or text skipped")
        drafts = [d for d in drafts if d not in empty]
    keys = _identity_keys(drafts, warnings)
    return [FeedEntry(key=key, **draft) for key, draft in zip(keys, drafts, strict=True)]


def _drop_links(drafts: list[dict[str, Any]], what: str, warnings: list[str]) -> None:
    """Set the link of each of ``drafts`` to None, with one ``entry_link_refused`` warning saying ``what``."""
    if drafts:
        warnings.append(f"entry_link_refused: {len(drafts)} entry link(s) {what} dropped; "
                        "the entries are kept with their own text")
    for d in drafts:
        d["link"] = None


def _link_kind(link: str) -> str:
    """What is wrong with a refused entry link, in a word or two: its scheme, or "no host"."""
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return "unparsable"
    return "no host" if scheme in ("http", "https") else (scheme or "no scheme")


def _draft(raw: Any, base_url: str, timezone_hint: str | None) -> tuple[dict[str, Any], int]:
    title, t2 = text_construct(raw.get("title"), _type(raw, "title"), allow_second_decode=True)
    contents = raw.get("content") or []
    content_html = contents[0].get("value") if contents else None
    content_type = contents[0].get("type") if contents else None
    summary_type = _type(raw, "summary") or (content_type if raw.get("summary") == content_html else None)
    summary, s2 = text_construct(raw.get("summary"), summary_type, allow_second_decode=True)
    content, _ = text_construct(content_html, content_type, allow_second_decode=False)
    date = parse_entry_date(raw.get("published") or raw.get("updated") or raw.get("created"), timezone_hint)
    guid = (raw.get("id") or "").strip() or None
    if guid and guid.startswith("/"):
        guid = urljoin(base_url, guid)
    link = (raw.get("link") or "").strip() or None
    draft = {
        "guid": guid,
        "link": urljoin(base_url, link) if link else None,
        "title": _one_line(title) or "",
        "summary": summary,
        "content": content,
        "published": date.published,
        "timezone_assumed": date.timezone_assumed,
        "date_unparsed": date.date_unparsed,
        "image": _image(raw, content_html or raw.get("summary") or "", base_url),
    }
    return draft, int(t2) + int(s2)


def _image(raw: Any, markup: str, base_url: str) -> str | None:
    for media in (raw.get("media_thumbnail") or []) + (raw.get("media_content") or []):
        if media.get("url") and media.get("medium", "image") == "image":
            return urljoin(base_url, media["url"])
    for enclosure in raw.get("enclosures") or []:
        if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
            return urljoin(base_url, enclosure["href"])
    m = _IMG_SRC.search(markup)
    return urljoin(base_url, m.group(1)) if m else None


def canonical_link(link: str) -> str:
    """The canonical form of an entry link used in identity keys (courlan ``normalize_url``:
    lower-case host, no fragment, tracking parameters removed); the link itself when courlan
    cannot read it."""
    try:
        return normalize_url(link, strict=True)
    except (ValueError, TypeError):
        return link


def _identity_keys(drafts: list[dict[str, Any]], warnings: list[str]) -> list[str]:
    guid_counts = Counter(d["guid"] for d in drafts if d["guid"])
    shared = {g for g, n in guid_counts.items() if n > 1}
    if shared:
        affected = sum(guid_counts[g] for g in shared)
        warnings.append(
            f"non_unique_guid: {affected} entries share {len(shared)} GUID(s); "
            "their identity falls back to the link"
        )
    links = [canonical_link(d["link"]) if d["link"] else None for d in drafts]
    fallback_links = Counter(link for d, link in zip(drafts, links, strict=True)
                             if link and (not d["guid"] or d["guid"] in shared))
    keys = []
    for draft, link in zip(drafts, links, strict=True):
        if draft["guid"] and draft["guid"] not in shared:
            keys.append("guid:" + draft["guid"])
        elif link and fallback_links[link] == 1:
            keys.append("link:" + link)
        else:
            keys.append("hash:" + _content_hash(link, draft))
    return keys


def _content_hash(link: str | None, draft: dict[str, Any]) -> str:
    body = draft["content"] or draft["summary"] or ""
    return hashlib.sha256("\n".join([link or "", draft["title"], body]).encode("utf-8")).hexdigest()
