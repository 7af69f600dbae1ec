"""Dedup stage on real Redis with articles written for the tests (fresh-clone versions)."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest
import redis
from datasketch import MinHash

from monitor.dedup import (
    BANDS,
    GENERATIONS,
    MAX_IDS_PER_FIELD,
    NUM_PERM,
    Deduplicator,
    canonical_url,
    shingle_hashes,
    shingles,
    url_key,
)
from monitor.extract_html import HtmlExtractor
from monitor.keys import Keys
from monitor.model import Document
from tests.own_articles import (
    AR,
    AR_OTHER,
    CHROME_B,
    EN,
    EN_OTHER,
    FR,
    FR_OTHER,
    OWN_ARTICLES,
    OwnArticle,
    page,
)


@pytest.fixture
def dedup(redis_client: redis.Redis) -> Deduplicator:
    return Deduplicator(redis_client, Keys(f"t{uuid.uuid4().hex[:8]}"), ttl_seconds=3600)


@pytest.fixture(scope="module")
def extractor() -> HtmlExtractor:
    return HtmlExtractor()


def _extracted(extractor: HtmlExtractor, content: bytes, url: str) -> str:
    return extractor.extract(Document(source=url, content=content, content_type="text/html", url=url)).text


def _variants(article: OwnArticle) -> dict[str, bytes]:
    paras = article.paragraphs
    return {
        "headline edited": page(article, title=article.title + " (updated)"),
        "paragraphs reordered": page(article, paragraphs=paras[3:] + paras[:3]),
        "chrome changed": page(article, CHROME_B),
        "one paragraph cut": page(article, paragraphs=paras[:2] + paras[3:]),
    }


def test_tracking_parameters_fragment_and_trivial_variants_share_one_url_key() -> None:
    """utm_*, fbclid, gclid, mc_cid, the fragment, www., http/https, a trailing slash: one URL key."""
    base = url_key("https://news.example.com/world/2026/harbour-terminal")
    assert base == "news.example.com/world/2026/harbour-terminal"
    for variant in (
        "https://news.example.com/world/2026/harbour-terminal?utm_source=rss&utm_medium=feed",
        "http://www.news.example.com/world/2026/harbour-terminal/#comments",
        "https://NEWS.example.com:443/world/2026/harbour-terminal?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2",
    ):
        assert url_key(variant) == base, variant
    assert url_key("https://news.example.com/world/2026/other-story") != base
    assert url_key("https://news.example.com/article?id=41") != url_key("https://news.example.com/article?id=42")


def test_canonical_url_keeps_real_parameters_and_drops_the_fragment() -> None:
    """Only trackers go: id=7 stays, the query is sorted, the fragment is removed."""
    assert canonical_url("https://example.org/a?utm_campaign=x&id=7&b=2#top") == "https://example.org/a?b=2&id=7"


def test_a_front_page_link_is_no_url_key() -> None:
    """Feeds that link every entry to the home page must not make all entries one item."""
    assert url_key("https://example.org/") is None
    assert url_key("https://example.org/?utm_source=rss") is None


def test_shingles_stay_inside_paragraphs() -> None:
    """Reordering paragraphs leaves the shingle set unchanged; lines under five words give none."""
    a = "one two three four five six\nseven eight nine ten eleven"
    b = "seven eight nine ten eleven\none two three four five six\nShare this"
    assert shingles(a) == shingles(b)
    assert len(shingles(a)) == 3


def test_same_canonical_url_is_the_same_item(dedup: Deduplicator) -> None:
    """A repeat under the URL with tracking parameters is the same item, not a new one."""
    first = dedup.check("\n".join(EN.paragraphs), "https://news.example.com/harbour")
    again = dedup.check("\n".join(EN.paragraphs), "https://news.example.com/harbour?utm_source=x#c")
    assert (first.kind, again.kind) == ("new", "url")
    assert again.item_id == first.item_id and again.story_id == first.story_id


def test_same_text_elsewhere_is_a_new_item_in_the_same_story(dedup: Deduplicator) -> None:
    """The exact body at another address joins the story with kind 'text'."""
    first = dedup.check("\n".join(FR.paragraphs), "https://a.example.fr/bus")
    other = dedup.check("\n".join(FR.paragraphs), "https://b.example.fr/transport/bus-ruraux")
    assert other.kind == "text"
    assert other.story_id == first.story_id and other.duplicate_of == first.item_id
    assert other.item_id != first.item_id


@pytest.mark.parametrize("article", OWN_ARTICLES, ids=lambda a: a.lang)
def test_republished_variants_join_the_earlier_story(
    dedup: Deduplicator, extractor: HtmlExtractor, article: OwnArticle
) -> None:
    """Edited headline, reordered paragraphs, other chrome, one paragraph cut: all in the first story."""
    original = dedup.check(_extracted(extractor, page(article), "https://one.example.com/a"),
                           "https://one.example.com/a")
    assert original.kind == "new"
    for n, (name, content) in enumerate(_variants(article).items()):
        url = f"https://outlet{n}.example.net/{article.lang}/story-{n}"
        result = dedup.check(_extracted(extractor, content, url), url)
        assert result.kind in ("text", "near"), name
        assert result.story_id == original.story_id, name
        assert result.duplicate_of is not None, name


def test_paragraph_reorder_and_cut_are_near_duplicates(dedup: Deduplicator) -> None:
    """Without an exact match, the MinHash level finds the story (kind 'near')."""
    first = dedup.check("\n".join(EN.paragraphs), "https://one.example.com/x")
    paras = EN.paragraphs
    moved = dedup.check("\n".join(paras[3:] + paras[:3]), "https://two.example.com/x")
    cut = dedup.check("\n".join(paras[:4] + paras[5:]), "https://three.example.com/x")
    assert (moved.kind, cut.kind) == ("near", "near")
    assert moved.story_id == cut.story_id == first.story_id


@pytest.mark.parametrize(("article", "other"), [(EN, EN_OTHER), (FR, FR_OTHER), (AR, AR_OTHER)],
                         ids=["en", "fr", "ar"])
def test_similar_headlines_different_articles_stay_apart(
    dedup: Deduplicator, article: OwnArticle, other: OwnArticle
) -> None:
    """Two articles whose headlines differ by one word but whose bodies differ are two stories."""
    first = dedup.check("\n".join(article.paragraphs), f"https://one.example.com/{article.lang}")
    second = dedup.check("\n".join(other.paragraphs), f"https://one.example.com/{article.lang}-other")
    assert (first.kind, second.kind) == ("new", "new")
    assert first.story_id != second.story_id


def test_arabic_spelling_variants_are_the_same_text(dedup: Deduplicator) -> None:
    """Diacritics, tatweel and hamza forms are folded before hashing and shingling."""
    body = "\n".join(AR.paragraphs)
    variant = body.replace("افتتحت", "إفتتحت").replace("المياه", "المـياه").replace("يومياً", "يومياً")
    first = dedup.check(body, "https://ar.example.com/1")
    second = dedup.check(variant, "https://ar2.example.com/1")
    assert second.kind == "text" and second.story_id == first.story_id


def test_known_url_finds_an_item_before_any_fetch(dedup: Deduplicator) -> None:
    """known_url answers for a tracking-parameter variant of a stored URL, and None for a new one."""
    first = dedup.check("\n".join(EN.paragraphs), "https://news.example.com/harbour")
    found = dedup.known_url(["https://news.example.com/harbour?utm_medium=rss"])
    assert found == (first.item_id, first.story_id)
    assert dedup.known_url(["https://news.example.com/other"]) is None


def _lsh_keys(client: redis.Redis, keys: Keys) -> list[bytes]:
    return sorted(client.scan_iter(match=f"{keys.prefix}:lsh:*"))


def test_an_item_indexes_its_bands_in_bucket_hashes_that_expire_after_the_retention(
    redis_client: redis.Redis,
) -> None:
    """One new item: one field in each of 32 band bucket HASHes (after their "" marker field),
    expiring within retention + ttl / GENERATIONS."""
    keys = Keys(f"t{uuid.uuid4().hex[:8]}")
    dedup = Deduplicator(redis_client, keys, ttl_seconds=4000)
    result = dedup.check("\n".join(EN.paragraphs), "https://one.example.com/layout")
    found = _lsh_keys(redis_client, keys)
    assert len(found) == BANDS
    assert {redis_client.type(k) for k in found} == {b"hash"}
    assert [redis_client.hkeys(k)[0] for k in found] == [b""] * BANDS
    assert [redis_client.hlen(k) for k in found] == [2] * BANDS
    assert {v for k in found for v in redis_client.hvals(k)} == {b"", bytes.fromhex(result.item_id)}
    assert all(4000 <= redis_client.ttl(k) <= 4000 + 4000 // GENERATIONS for k in found)
    assert 0 < redis_client.ttl(keys.minhash(result.item_id)) <= 4000


def test_a_bucket_gets_its_expiry_when_made_and_keeps_it(redis_client: redis.Redis) -> None:
    """A later item in existing bucket hashes adds its id there without setting their expiry again."""
    keys = Keys(f"t{uuid.uuid4().hex[:8]}")
    dedup = Deduplicator(redis_client, keys, ttl_seconds=4000)
    first = dedup.check("\n".join(EN.paragraphs), "https://one.example.com/expiry")
    found = _lsh_keys(redis_client, keys)
    for key in found:
        redis_client.expire(key, 100_000)  # stands for the expiry set when the bucket was made
    paras = EN.paragraphs  # reordered: the same shingles, so the same 32 band hashes and buckets
    second = dedup.check("\n".join(paras[3:] + paras[:3]), "https://two.example.com/expiry")
    assert second.kind == "near"
    assert _lsh_keys(redis_client, keys) == found
    ids = bytes.fromhex(second.item_id) + bytes.fromhex(first.item_id)
    assert {v for k in found for v in redis_client.hvals(k)} == {b"", ids}
    assert all(redis_client.ttl(k) > 4000 + 4000 // GENERATIONS for k in found)


def test_a_near_duplicate_is_found_in_an_earlier_generation(redis_client: redis.Redis) -> None:
    """An item indexed GENERATIONS periods ago (bucket keys renamed to that generation) is still found."""
    keys = Keys(f"t{uuid.uuid4().hex[:8]}")
    dedup = Deduplicator(redis_client, keys, ttl_seconds=4000)
    first = dedup.check("\n".join(EN.paragraphs), "https://one.example.com/gen")
    period = 4000 // GENERATIONS
    now = time.time()
    gen = int(now) // period
    for key in _lsh_keys(redis_client, keys):
        parts = key.decode().split(":")
        assert int(parts[2]) == gen
        parts[2] = str(gen - GENERATIONS)
        redis_client.rename(key, ":".join(parts))
    paras = EN.paragraphs
    moved = dedup.check("\n".join(paras[3:] + paras[:3]), "https://two.example.com/gen")
    assert (moved.kind, moved.story_id, moved.duplicate_of) == ("near", first.story_id, first.item_id)


def test_a_bucket_field_keeps_the_newest_ids_only(redis_client: redis.Redis) -> None:
    """Six near-identical items sharing every band: each bucket field holds the newest MAX_IDS_PER_FIELD ids."""
    keys = Keys(f"t{uuid.uuid4().hex[:8]}")
    dedup = Deduplicator(redis_client, keys, ttl_seconds=4000)
    text = "\n".join(EN.paragraphs)
    ids = [dedup.check(text + "\n" + "x" * (n + 1), f"https://s{n}.example.com/a").item_id for n in range(6)]
    values = {v for k in _lsh_keys(redis_client, keys) for v in redis_client.hvals(k) if v}
    assert values == {b"".join(bytes.fromhex(i) for i in reversed(ids[-MAX_IDS_PER_FIELD:]))}


def test_shingle_hashes_hash_the_same_shingles_one_value_each() -> None:
    """One distinct 32-bit hash per distinct shingle of shingles(), none for short paragraphs."""
    text = "\n".join([*EN.paragraphs, "Too short here", EN.paragraphs[0]])
    hashes = shingle_hashes(text)
    assert hashes.dtype == np.uint32
    assert len(set(hashes.tolist())) == len(shingles(text)) > 100
    assert shingle_hashes("Too short here").size == 0


def test_signature_equals_datasketch_affine32_minhash_of_the_shingle_hashes(dedup: Deduplicator) -> None:
    """The vectorised signature is datasketch's MinHash (affine32, seed 1, 128 permutations) value for value."""
    text = "\n".join(FR.paragraphs)
    reference = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=int)
    reference.update_batch(shingle_hashes(text).tolist())
    assert dedup.signature(text).values == reference.hashvalues.astype(">u4").tobytes()
    assert len(dedup.signature(text).bands) == BANDS
