"""Page metadata for the extraction stage: title, canonical URL, author, date, site name, image.

The same values as ``trafilatura.bare_extraction(..., with_metadata=True)`` (trafilatura 2.x
``metadata.extract_metadata``), built from trafilatura's own steps, but:

* computed **once per page**, not once per extraction strategy, and only for the fields the
  pipeline keeps: categories, tags and the licence (``extract_catstags``, ``extract_license``,
  ~4-5 ms a page of XPath searches) are never read, so never computed;
* trafilatura's markup author search (``extract_author``: 4 XPath searches over the whole page,
  ~12 ms a page) runs only when ``<meta>`` and JSON-LD name no author, as in trafilatura, and
  last, on the caller's tree instead of a deep copy of it (the tree is not used after it).

``tests/test_pagemeta.py`` checks the values against ``extract_metadata`` on the corpus pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from htmldate import find_date
from lxml import html as lxml_html
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_metainfo,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, set_date_params
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself; each field None when the page does not say it."""

    title: str | None = None
    url: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    image: str | None = None


def page_metadata(tree: lxml_html.HtmlElement, url: str | None) -> PageMeta:
    """Title, canonical URL, author, date (``YYYY-MM-DD``, htmldate's extensive search), site
    name and image of a parsed page, as trafilatura's ``extract_metadata`` finds them.

    **Modifies** ``tree`` when the author has to be searched in the markup (page parts that
    never hold a byline are cut, as trafilatura does on its copy): call it last.

    Args:
        tree: the parsed page. url: the page URL after redirects (default canonical URL).
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # trafilatura: a one-word author is not trusted
        meta.author = None
    meta = extract_meta_json(tree, meta)
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    date_params = set_date_params(True)
    date_params["url"] = meta.url
    meta.date = find_date(tree, **date_params)
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (match := META_URL.match(meta.url)):
        meta.sitename = match[1]
    if not meta.author:
        meta.author = _markup_author(tree)
    return _trimmed(meta)


def _markup_author(tree: lxml_html.HtmlElement) -> str | None:
    """trafilatura's ``extract_author`` without its deep copy: cuts ``tree`` in place."""
    author = extract_metainfo(prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS), AUTHOR_XPATHS, len_limit=120)
    return normalize_authors(None, author) if author else None


def _trimmed(meta: Document) -> PageMeta:
    """The fields, after trafilatura's ``Document.clean_and_trim`` (length cap, entities, spaces)."""
    doc = Document(
        title=meta.title, url=meta.url, author=meta.author, date=meta.date, sitename=meta.sitename, image=meta.image
    )
    doc.clean_and_trim()
    return PageMeta(
        title=doc.title, url=doc.url, author=doc.author, date=doc.date, sitename=doc.sitename, image=doc.image
    )
