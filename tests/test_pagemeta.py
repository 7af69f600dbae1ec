"""monitor.pagemeta gives, field for field, what trafilatura's own metadata extraction gives
on every recorded corpus page (skipped without ../shared)."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import pytest
from lxml import html as lxml_html
from trafilatura.metadata import extract_metadata

from monitor.charset import decode_html
from monitor.pagemeta import PageMeta, page_metadata
from tests.conftest import shared_path

FIELDS = ("title", "url", "author", "date", "sitename", "image")


def _pages() -> list[Path]:
    folder = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pages"
    return sorted(folder.glob("*.html")) if folder.is_dir() else []


@pytest.mark.shared
@pytest.mark.parametrize("name", [p.stem for p in _pages()] or ["no-corpus"])
def test_page_metadata_equals_trafilatura_extract_metadata(name: str) -> None:
    """Title, canonical URL, author, date, site name and image are trafilatura's, on each corpus page."""
    path = shared_path("corpus", "pages", f"{name}.html")
    html, _encoding, _warnings = decode_html(path.read_bytes(), "text/html")
    tree = lxml_html.document_fromstring(html)
    url = f"https://news.example.org/corpus/{name}"
    expected = extract_metadata(deepcopy(tree), url)
    got = page_metadata(deepcopy(tree), url)
    assert {f: getattr(got, f) for f in FIELDS} == {f: getattr(expected, f) for f in FIELDS}
    assert got.title


def test_page_without_metadata_gives_the_url_and_its_host() -> None:
    """A bare page has no author, date or image; its URL is the canonical one and its host the site."""
    tree = lxml_html.document_fromstring("<html><body><p>Nothing to say about itself.</p></body></html>")
    meta = page_metadata(tree, "https://www.example.org/a/1")
    assert meta == PageMeta(
        title=None, url="https://www.example.org/a/1", author=None, date=None, sitename="example.org", image=None
    )
