"""HTML extraction: page bytes -> :class:`~monitor.model.Article` (body, title, author, date, site, image).

Steps for one page:

1. decode with each charset candidate of :func:`monitor.charset.decode_alternatives` in turn;
   a page marked Arabic (``lang="ar"``, ``dir="rtl"``) whose *extracted* text is mostly
   Latin-range letters was decoded with the wrong charset, and the next candidate is tried
   (case 15, trafilatura#541);
2. parse with lxml, read the declared language (``<html lang>``, ``og:locale``,
   ``Content-Language``), cut teaser blocks from the tree (:mod:`monitor.boilerplate`);
3. trafilatura with the URL given, strategies in order: default, ``favor_precision``,
   ``favor_recall``; each body goes through :meth:`BoilerplateFilter.clean_text`. A body
   shorter than :data:`MIN_BODY_CHARS` or still mostly boilerplate (``SUSPECT_SHARE``) is
   *suspect* and the next strategy is tried;
4. failing all, the entry's own content, then its summary (``extraction_source`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import structlog
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from monitor.boilerplate import SUSPECT_SHARE, BoilerplateFilter
from monitor.charset import decode_alternatives, is_marked_arabic
from monitor.errors import DocumentError
from monitor.model import Article, Document, EntryInfo
from monitor.pagemeta import PageMeta, page_metadata
from monitor.textnorm import normalize, script_shares

log = structlog.get_logger(__name__)

#: A body shorter than this (characters) is not trusted: next strategy, or the entry's text.
MIN_BODY_CHARS = 200
#: trafilatura settings per strategy, in the order they are tried.
STRATEGIES: tuple[tuple[str, dict[str, bool]], ...] = (
    ("trafilatura", {}),
    ("trafilatura-precision", {"favor_precision": True}),
    ("trafilatura-recall", {"favor_recall": True}),
)


@dataclass(frozen=True)
class _Body:
    source: str
    text: str
    suspect: bool
    #: trafilatura returned a document (False: it gave up on the page, or the body is the entry's).
    found: bool = False


def declared_language(tree: lxml_html.HtmlElement) -> str | None:
    """The page's own language claim: ``<html lang>``, else ``og:locale``, else ``Content-Language``.

    Returns the primary subtag lower-cased (``fr_FR`` -> ``fr``, ``ar-EG`` -> ``ar``) or None.
    """
    root = tree.getroottree().getroot()
    values = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    values += root.xpath('//meta[@property="og:locale"]/@content')
    values += root.xpath('//meta[translate(@http-equiv,"CONTENT-LANGUAGE","content-language")'
                         '="content-language"]/@content')
    for value in values:
        if value and value.strip():
            return value.strip().replace("_", "-").split("-")[0].lower() or None
    return None


def same_site(a: str | None, b: str | None) -> bool:
    """True when both URLs have the same host once a leading ``www.`` is ignored."""
    if not a or not b:
        return False
    ha, hb = (urlsplit(u).hostname or "" for u in (a, b))
    return bool(ha) and ha.removeprefix("www.") == hb.removeprefix("www.")


class HtmlExtractor:
    """Extracts articles from HTML pages; the boilerplate phrase sets are built once in ``__init__``."""

    def __init__(self) -> None:
        self._filter = BoilerplateFilter()

    def extract(self, doc: Document) -> Article:
        """Decode, extract and clean one HTML document (see the module docstring).

        Raises:
            DocumentError: no charset gives parseable HTML and the entry has no text either.
        """
        arabic_page = is_marked_arabic(doc.content) or (doc.entry.language_hint or "").startswith("ar")
        rejected: Article | None = None
        decodings = decode_alternatives(doc.content, doc.content_type, language_hint=doc.entry.language_hint)
        for html, encoding, warnings in decodings:
            article = self.extract_html(html, doc.source, url=doc.url, entry=doc.entry)
            article = replace(article, encoding=encoding, warnings=tuple(warnings) + article.warnings)
            if arabic_page and not article.extraction_source.startswith("entry") and _mostly_latin(article):
                log.warning("charset_rejected", source=doc.source, encoding=encoding,
                            reason="page marked Arabic, extracted text mostly Latin-range letters")
                rejected = rejected or article
                continue
            return article
        if rejected is None:  # never: decode_alternatives always yields decode_bytes's choice
            raise DocumentError(doc.source, "no charset candidate")
        return replace(rejected, warnings=rejected.warnings + (
            "page marked Arabic but every charset gives mostly Latin-range text",))

    def extract_html(self, html: str, source: str, url: str | None = None,
                     entry: EntryInfo | None = None) -> Article:
        """Extract body and metadata from decoded HTML; ``url`` is the page URL after redirects.

        Raises:
            DocumentError: no usable text by any strategy, nor in the entry.
        """
        entry = entry or EntryInfo()
        tree = _parse(html, source)
        declared = declared_language(tree) if tree is not None else None
        if tree is not None:
            self._filter.prune_teaser_blocks(tree, source)
        bodies: list[_Body] = []
        for name, kwargs in STRATEGIES if tree is not None else ():
            bodies.append(self._run(tree, name, kwargs, source, url))
            if not bodies[-1].suspect:
                break
        # As with_metadata=True gave it: the page's metadata when trafilatura read the page at all.
        meta = page_metadata(tree, url) if tree is not None and any(b.found for b in bodies) else None
        body = next((b for b in bodies if not b.suspect), None)
        warnings: list[str] = []
        if body is None:
            body = self._entry_body(entry, source)
        if body is None:
            body = max(bodies, key=lambda b: len(b.text), default=None)
            if body is None or not body.text:
                if entry.content or entry.summary or entry.title:  # a binary or empty page: keep the entry
                    return self.entry_article(entry, source, url, why="no article text in the page")
                raise DocumentError(source, "no article text could be extracted from the HTML")
            warnings.append(f"suspect body ({body.source}): short or mostly boilerplate")
            log.warning("extraction_suspect", source=source, strategy=body.source, chars=len(body.text))
        return _article(source, url, entry, body, meta, declared, tuple(warnings))

    def _run(self, tree: lxml_html.HtmlElement, name: str, kwargs: dict[str, bool], source: str,
             url: str | None) -> _Body:
        # No copy here: bare_extraction copies a tree it is given (trafilatura.core, "if tree is
        # filecontent: tree = copy(tree)"), so ``tree`` stays intact for the next strategy.
        # Metadata: once per page, by monitor.pagemeta (same values, without the unused fields).
        doc: Any = trafilatura.bare_extraction(
            tree, url=url, with_metadata=False,
            favor_precision=kwargs.get("favor_precision", False),
            favor_recall=kwargs.get("favor_recall", False),
        )
        raw = (getattr(doc, "text", None) or "") if doc is not None else ""
        text, _cuts = self._filter.clean_text(raw, source)
        suspect = len(text) < MIN_BODY_CHARS or self._filter.boilerplate_share(text) >= SUSPECT_SHARE
        return _Body(name, text, suspect, doc is not None)

    def entry_article(
        self, entry: EntryInfo, source: str, url: str | None = None, why: str = "article page unavailable"
    ) -> Article:
        """An article from the feed entry alone (its content, else its summary, else its headline),
        for when the page could not be fetched or holds no text (``why`` says which, in the
        warning). ``extraction_source`` is ``entry-content``, ``entry-summary`` or ``entry-title``
        (then the text is the headline: the pipeline classifies the title alone, and a feed of
        title-and-link entries behind a paywall still gives its items).

        Raises:
            DocumentError: the entry has no content, summary or title.
        """
        for name, value in (("entry-content", entry.content), ("entry-summary", entry.summary)):
            text, _cuts = self._filter.clean_text((value or "").strip(), source)
            if text:
                body = _Body(name, text, len(text) < MIN_BODY_CHARS)
                warning = f"{why}; body from the feed entry"
                return _article(source, url or entry.link, entry, body, None, None, (warning,))
        title = " ".join((entry.title or "").split())
        if title:
            body = _Body("entry-title", title, True)
            warning = f"{why}; the entry has no text: its headline alone"
            return _article(source, url or entry.link, entry, body, None, None, (warning,))
        raise DocumentError(source, f"{why} and the entry has no title, content or summary")

    def _entry_body(self, entry: EntryInfo, source: str) -> _Body | None:
        for name, value in (("entry-content", entry.content), ("entry-summary", entry.summary)):
            text, _cuts = self._filter.clean_text((value or "").strip(), source)
            if len(text) >= MIN_BODY_CHARS:
                return _Body(name, text, False)
        return None


def warm_up() -> None:
    """Build, once in this process, the tables trafilatura and htmldate otherwise build lazily
    on the first pages, so that a forking worker's work-horses inherit them (``monitor worker``
    calls this before RQ forks per job).

    - dateparser (htmldate's fallback date parser) compiles each locale's regexes the first time
      a date string is tested against that locale: ~1.5 s of CPU and ~60 MB over all locales on
      the development machine, 1.2 s on each of the first pages that needs it. A string that no
      locale reads makes it test, and compile, all of them.
    - trafilatura's justext fallback loads every justext stop list on first use (~0.4 s).
    """
    import dateparser
    from trafilatura.external import jt_stoplist_init

    dateparser.parse("0 warm-up 2000")
    jt_stoplist_init()


def _parse(html: str, source: str) -> lxml_html.HtmlElement | None:
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        log.warning("html_unparseable", source=source, error=str(exc))
        return None


def _mostly_latin(article: Article) -> bool:
    """True when the article's letters are mostly Latin-range (U+0041-U+024F): mojibake of Arabic."""
    _arabic, latin, letters = script_shares(f"{article.title}\n{article.text}")
    return letters >= 20 and latin > 0.5


def _without_headline(text: str, title: str) -> str:
    """``text`` without a first line that repeats the headline (trafilatura often keeps the ``<h1>``)."""
    first, _, rest = text.partition("\n")
    if rest.strip() and normalize(first).strip() == normalize(title).strip():
        return rest.lstrip("\n")
    return text


def _article(source: str, url: str | None, entry: EntryInfo, body: _Body, meta: PageMeta | None,
             declared: str | None, warnings: tuple[str, ...]) -> Article:
    def field(name: str) -> str | None:
        value = getattr(meta, name, None) if meta is not None else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    title = field("title") or entry.title or " ".join(body.text.split()[:12])
    text = _without_headline(body.text, title)
    page_canonical = field("url")
    canonical = page_canonical if page_canonical and (url is None or same_site(page_canonical, url)) else url
    return Article(
        source=source, title=title.strip(), text=text, url=url, canonical_url=canonical,
        author=field("author"), date=field("date"), sitename=field("sitename"), image=field("image"),
        declared_language=declared, extraction_source=body.source, warnings=warnings,
    )
