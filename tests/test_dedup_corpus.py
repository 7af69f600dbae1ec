"""Near-duplicate dedup on real corpus pages: variants built at test time from ../shared (skipped
without it) land in the earlier item's story; unrelated pages each form their own story."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable

import pytest
import redis
from lxml import html as lxml_html

from monitor.dedup import Deduplicator
from monitor.extract_html import HtmlExtractor
from monitor.keys import Keys
from monitor.model import Document
from tests.conftest import shared_path

PAGES = [
    "en-guardian-valencia-fire",
    "en-npr-dylann-roof-convicted",
    "fr-lemonde-loi-renseignement",
    "fr-euronews-merlu-environnement",
    "ar-sputnik-egypt-covid-cases",
    "ar-cnnarabic-syria-rebels-missile-depots",
]


def _paragraphs(tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The body paragraphs: the <p> children (10+ words) of the element that has most of them."""
    best: list[lxml_html.HtmlElement] = []
    for parent in tree.iter():
        ps = [c for c in parent if c.tag == "p" and len(c.text_content().split()) >= 10]
        if len(ps) > len(best):
            best = ps
    return best


def edit_headline(tree: lxml_html.HtmlElement) -> None:
    for el in tree.xpath("//title|//h1"):
        el.text = "UPDATED: " + el.text_content()
        for child in list(el):
            el.remove(child)
    for meta in tree.xpath('//meta[@property="og:title"]'):
        meta.set("content", "UPDATED: " + meta.get("content", ""))


def reorder_paragraphs(tree: lxml_html.HtmlElement) -> None:
    ps = _paragraphs(tree)
    parent = ps[0].getparent()
    slots = [parent.index(p) for p in ps]
    copies = [copy.deepcopy(p) for p in ps]
    for slot, moved in zip(slots, copies[len(copies) // 2:] + copies[: len(copies) // 2], strict=True):
        parent[slot] = moved


def change_chrome(tree: lxml_html.HtmlElement) -> None:
    for el in tree.xpath("//header|//nav|//footer|//aside|//*[contains(@class,'footer')]"):
        if el.getparent() is not None:
            el.drop_tree()
    body = tree.find("body")
    nav = lxml_html.fragment_fromstring(
        "<div class='topbar'><a href='/'>Example Wire</a> <a href='/x'>Sections</a></div>")
    body.insert(0, nav)
    body.append(lxml_html.fragment_fromstring("<div class='legal'>Example Wire, all rights reserved</div>"))


def cut_one_paragraph(tree: lxml_html.HtmlElement) -> None:
    ps = _paragraphs(tree)
    by_length = sorted(ps, key=lambda p: len(p.text_content()))
    by_length[len(by_length) // 2].drop_tree()


VARIANTS: dict[str, Callable[[lxml_html.HtmlElement], None]] = {
    "headline edited": edit_headline,
    "paragraphs reordered": reorder_paragraphs,
    "chrome changed": change_chrome,
    "one paragraph cut": cut_one_paragraph,
}


@pytest.fixture(scope="module")
def extractor() -> HtmlExtractor:
    return HtmlExtractor()


@pytest.fixture
def dedup(redis_client: redis.Redis) -> Deduplicator:
    return Deduplicator(redis_client, Keys(f"t{uuid.uuid4().hex[:8]}"), ttl_seconds=3600)


def _text(extractor: HtmlExtractor, content: bytes, url: str) -> str:
    return extractor.extract(Document(source=url, content=content, content_type="text/html", url=url)).text


@pytest.mark.shared
@pytest.mark.parametrize("name", PAGES)
def test_corpus_page_variants_join_the_earlier_story(
    dedup: Deduplicator, extractor: HtmlExtractor, name: str
) -> None:
    """Headline edited, paragraphs reordered, chrome changed, one paragraph cut: the original's story."""
    content = shared_path("corpus", "pages", f"{name}.html").read_bytes()
    original = dedup.check(_text(extractor, content, "https://a.example.com/1"), "https://a.example.com/1")
    assert original.kind == "new"
    for n, (variant, change) in enumerate(VARIANTS.items()):
        tree = lxml_html.document_fromstring(content)
        change(tree)
        url = f"https://mirror{n}.example.net/{name}"
        text = _text(extractor, lxml_html.tostring(tree, encoding="utf-8"), url)
        result = dedup.check(text, url)
        assert result.kind in ("text", "near"), variant
        assert result.story_id == original.story_id, variant


@pytest.mark.shared
def test_unrelated_corpus_pages_each_form_their_own_story(
    dedup: Deduplicator, extractor: HtmlExtractor
) -> None:
    """All 44 recorded pages are different articles: 44 new items in 44 stories."""
    pages = sorted(shared_path("corpus", "pages").glob("*.html"))
    results = [dedup.check(_text(extractor, p.read_bytes(), f"https://x.example.com/{p.stem}"),
                           f"https://x.example.com/{p.stem}") for p in pages]
    assert len(pages) == 44
    assert [r.kind for r in results] == ["new"] * 44
    assert len({r.story_id for r in results}) == 44
