"""Story assignment under concurrency: near-duplicates checked at the same instant form one story.

All three dedup levels (URL, exact text, MinHash near-duplicate) are looked up *and* claimed in
one Lua script (``monitor/dedup.py``), which Redis runs without interleaving another client's
command: whichever check runs second sees the first one's signature and bands. This test makes
several workers (threads, each on its own connection) call ``check`` at the same instant, round
after round, and asserts one story per round; a lookup and an insert in two round trips would
let two of them see nothing and both open a story.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import redis

from monitor.dedup import Deduplicator
from monitor.keys import Keys
from monitor.model import DedupResult
from tests.own_articles import AR, EN, FR, OwnArticle, text

pytestmark = pytest.mark.integration

ROUNDS = 30


def _variants(article: OwnArticle) -> list[str]:
    """Four different bodies of one article: whole, reordered, first paragraph cut, last paragraph cut."""
    paras = article.paragraphs
    return [text(article), text(article, paras[3:] + paras[:3]), text(article, paras[1:]), text(article, paras[:-1])]


def _race(redis_url: str, prefix: str, bodies: list[str]) -> list[DedupResult]:
    """Check ``bodies`` from one thread each, released together by a barrier; results in body order."""
    results: list[DedupResult | None] = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))
    clients = [redis.Redis.from_url(redis_url) for _ in bodies]
    dedups = [Deduplicator(c, Keys(prefix), ttl_seconds=3600) for c in clients]
    for c in clients:
        c.ping()  # connect before the barrier, so the checks start together

    def work(i: int) -> None:
        barrier.wait(5)
        results[i] = dedups[i].check(bodies[i], f"https://outlet{i}.example.com/news/{prefix}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for c in clients:
        c.close()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@pytest.mark.parametrize("article", [EN, FR, AR], ids=lambda a: a.lang)
def test_near_duplicates_checked_at_the_same_instant_form_one_story(
    redis_client: redis.Redis, redis_url: str, article: OwnArticle
) -> None:
    """Four outlets' versions of one article, checked at once by four workers, 30 times: each time one
    `new` item opens the story and the three others join it as `near`."""
    bodies = _variants(article)
    for _ in range(ROUNDS):
        prefix = f"t{uuid.uuid4().hex[:8]}"
        results = _race(redis_url, prefix, bodies)
        assert sorted(r.kind for r in results) == ["near", "near", "near", "new"]
        [opener] = [r for r in results if r.kind == "new"]
        assert {r.story_id for r in results} == {opener.item_id}
