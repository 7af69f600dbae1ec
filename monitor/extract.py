"""Extraction stage: document bytes -> :class:`~monitor.model.Article` (clean title and body).

Two kinds of input:

* **plain text** scraped from a page (like the seed): UI lines around the article
  (tracking tokens, outlet name, button labels) are cut by :func:`extract_plain`;
* **HTML** pages: :mod:`monitor.extract_html` (trafilatura, boilerplate cuts, charset retry).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from monitor.errors import DocumentError, DocumentTooLarge, not_utf8
from monitor.model import Article, Document, EntryInfo
from monitor.textnorm import script_shares

if TYPE_CHECKING:
    from monitor.extract_html import HtmlExtractor

log = structlog.get_logger(__name__)

_SENTENCE_END = tuple(".!?؟。…:;»\"”'")
#: A line is prose when it has at least this many words, or at least
#: ``_MIN_SENTENCE_WORDS`` and ends like a sentence. UI labels ("show more",
#: "related articles", "back to top") and outlet names are shorter.
_MIN_PROSE_WORDS = 10
_MIN_SENTENCE_WORDS = 5
#: Longest first line taken as a headline when it does not end like a sentence (wire headlines
#: run 6-15 words; a lede that long without a full stop is rare).
_MAX_HEADLINE_WORDS = 20
_CONTENT_TYPES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}


def read_document(path: Path, max_bytes: int) -> Document:
    """Read a file into a :class:`Document`, refusing what cannot be an article.

    Args:
        path: the file; its suffix decides the content type (``.html``/``.htm`` HTML, else text).
        max_bytes: byte cap; larger files are refused without reading them whole.

    Raises:
        DocumentTooLarge: the file is larger than ``max_bytes``.
        DocumentError: unreadable, empty, binary (NUL bytes), or JSON items (a text file whose
            first line is a JSON object: an analyst's export for ``monitor classify``, whatever
            its suffix, which would otherwise be read as one plain-text article).
    """
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentTooLarge(source, f"{size} bytes is over the {max_bytes}-byte limit")
        content = path.read_bytes()
    except OSError as exc:
        raise DocumentError(source, f"cannot read: {exc.strerror or exc}") from exc
    content_type = _CONTENT_TYPES.get(path.suffix.lower(), "text/plain")
    if content_type == "text/plain" and _is_json_object_line(content):
        raise DocumentError(source, "JSON items, not an article: classify them with monitor classify < FILE")
    return check_document(Document(source=source, content=content, content_type=content_type))


def _is_json_object_line(content: bytes) -> bool:
    """True when the first line of ``content`` is a whole JSON object: an export of items
    (``.jsonl``, or the same under ``.txt`` or ``.json``), which would otherwise become one article
    whose title is raw JSON. An article starting with "{" is not valid JSON on its first line."""
    first = content[:65536].lstrip().split(b"\n", 1)[0].strip()
    if not first.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def check_document(doc: Document) -> Document:
    """Refuse empty and binary documents.

    Raises:
        DocumentError: empty or whitespace-only, or containing NUL bytes (binary).
    """
    if not doc.content.strip():
        raise DocumentError(doc.source, "empty document")
    if b"\x00" in doc.content[:65536] and not doc.content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(doc.source, "binary content (NUL bytes), not a text or HTML document")
    return doc


def decode_plain(doc: Document) -> str:
    """Decode a plain-text document: UTF-8 (BOM allowed) or UTF-16 with a BOM.

    Raises:
        DocumentError: the bytes are not valid UTF-8, naming the byte offset.
    """
    data = doc.content
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(doc.source, f"invalid UTF-16 at byte {exc.start}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(doc.source, not_utf8(exc, data)) from exc


def _words(line: str) -> int:
    return len(line.split())


def _is_headline(lines: list[str], prose: list[int]) -> bool:
    """Is the first prose line a headline: more prose follows, and it is at most
    :data:`_MAX_HEADLINE_WORDS` words that do not end like a sentence ("Omani foreign minister
    receives Kenyan envoy in Muscat for talks")?"""
    line = lines[prose[0]]
    return len(prose) > 1 and _words(line) <= _MAX_HEADLINE_WORDS and not line.rstrip().endswith(_SENTENCE_END)


def _is_prose(line: str) -> bool:
    n = _words(line)
    return n >= _MIN_PROSE_WORDS or (n >= _MIN_SENTENCE_WORDS and line.rstrip().endswith(_SENTENCE_END))


def _same_script(line: str, arabic_body: bool) -> bool:
    arabic, latin, letters = script_shares(line)
    if not letters:
        return False
    return arabic >= 0.5 if arabic_body else latin >= 0.5


def extract_plain(text: str, source: str, entry: EntryInfo | None = None) -> Article:
    """Cut page chrome from scraped plain text and find the headline.

    The article is the run of lines from the first to the last *prose* line (see
    ``_MIN_PROSE_WORDS``); short lines before and after it are UI chrome. The title is the
    last short line before the body written in the body's script with two words or more
    (a stray tracking token or a Latin-script label is never the headline); failing that,
    the entry's title, then the first words of the body.

    Raises:
        DocumentError: no prose line at all (nothing that reads like an article).
    """
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    prose = [i for i, ln in enumerate(lines) if _is_prose(ln)]
    if not prose:
        raise DocumentError(source, "no article text found (no line reads as prose)")
    first, last = prose[0], prose[-1]
    if _is_headline(lines, prose) and not any(_words(ln) >= 2 for ln in lines[:first]):
        first = prose[1]  # a long headline with nothing above it: it is the title, not the lede
    body_lines = lines[first : last + 1]
    body = "\n\n".join(body_lines)
    arabic_body = script_shares(body)[0] >= 0.5
    title = ""
    for ln in reversed(lines[:first]):
        if _words(ln) >= 2 and _same_script(ln, arabic_body):
            title = ln
            break
    if not title:
        title = (entry.title if entry and entry.title else " ".join(body.split()[:12]))
    cut = len(lines) - len(body_lines) - (1 if title in lines[:first] else 0)
    if cut:
        log.debug("chrome_cut", source=source, lines=cut)
    return Article(source=source, title=title, text=body, extraction_source="plain-text", encoding="utf-8")


def extract(doc: Document, html_extractor: HtmlExtractor | None = None) -> Article:
    """Extract an :class:`Article` from any supported document (plain text or HTML).

    A document with no content (the page could not be fetched) gives the entry's own text.

    Args:
        html_extractor: the process's :class:`~monitor.extract_html.HtmlExtractor`, built once
            (one is built for this call when None).

    Raises:
        DocumentError: undecodable, or no article text.
    """
    is_html = doc.content_type.startswith(("text/html", "application/xhtml"))
    if is_html or not doc.content:
        if html_extractor is None:
            from monitor.extract_html import HtmlExtractor  # local: trafilatura is slow to import

            html_extractor = HtmlExtractor()
        if not doc.content:
            article = html_extractor.entry_article(doc.entry, doc.source, doc.url)
        else:
            article = html_extractor.extract(doc)
        return replace(article, warnings=doc.warnings + article.warnings)
    article = extract_plain(decode_plain(doc), doc.source, entry=doc.entry)
    return replace(article, url=doc.url, canonical_url=doc.url)
