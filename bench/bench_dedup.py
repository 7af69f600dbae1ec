"""Dedup: time of the full dedup check per item with 10k, 100k and 1M items already indexed.

The index is grown in steps on the private Redis; at each step ``Deduplicator.check`` (the very
call the pipeline makes) runs on fresh, generated 3 KB articles with new URLs, so every check
walks every level (URL, exact text, near-duplicate when the module has it) and claims a new
item. Each check is timed alone (``perf_counter_ns``); median and p99 are reported, with the
Redis memory per indexed item (``INFO memory`` ``used_memory`` growth / items indexed).

Filling: items are indexed through the dedup module's own code, batched in Redis pipelines
(see :mod:`dedup_fill`), so the key layout is exactly what the module writes.
Goals: median < 1 ms; median at 1M at most 1.5x the median at 10k.
"""

from __future__ import annotations

import gc
import random
import time
from typing import Any

from benchkit import Ctx, median, pct, vocabulary


def article_texts(n: int, seed: int, words_per_text: int = 480) -> list[str]:
    """``n`` generated articles of about 3 KB each (Zipf-weighted invented words, 12-word sentences)."""
    rng = random.Random(seed)
    vocab = vocabulary()
    weights = [1.0 / (r + 10) for r in range(len(vocab))]
    out = []
    for _ in range(n):
        words = rng.choices(vocab, weights=weights, k=words_per_text)
        out.append(". ".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12)) + ".")
    return out


def _used_memory(client: Any) -> int:
    return int(client.info("memory")["used_memory"])


def _sample(dedup: Any, n: int, seed: int) -> list[float]:
    """Time ``n`` checks of new articles; returns milliseconds per check."""
    texts = article_texts(n, seed)
    urls = [f"https://news.example.org/probe/{seed}/{i}" for i in range(n)]
    times = []
    gc.disable()
    try:
        for text, url in zip(texts, urls, strict=True):
            t0 = time.perf_counter_ns()
            dedup.check(text, url)
            times.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        gc.enable()
    return times


def run(ctx: Ctx) -> dict[str, Any]:
    """Measure the figure; see the module docstring."""
    import dedup_fill

    from monitor.dedup import Deduplicator
    from monitor.keys import Keys

    levels = [1_000, 5_000] if ctx.quick else [10_000, 100_000, 1_000_000]
    samples = 200 if ctx.quick else 3_000
    ctx.flush()
    client = ctx.client()
    keys = Keys("bench")
    ttl = 30 * 86400
    dedup = Deduplicator(client, keys, ttl)
    _sample(dedup, 50, seed=1)  # warm the script cache and connection
    ctx.flush()
    base_mem = _used_memory(client)
    indexed = 0
    out: dict[str, Any] = {"layout": dedup_fill.describe(dedup)}
    per_level = {}
    fill_seconds = 0.0
    for level in levels:
        t0 = time.perf_counter()
        dedup_fill.fill(client, keys, dedup, ttl, start=indexed, count=level - indexed)
        fill_seconds += time.perf_counter() - t0
        indexed = level
        mem = _used_memory(client)
        times = _sample(dedup, samples, seed=level)
        indexed += samples  # the probes were claimed as new items
        per_level[f"{level:_}".replace("_000_000", "M").replace("_000", "k")] = {
            "median_ms": round(median(times), 4),
            "p99_ms": round(pct(times, 0.99), 4),
            "bytes_per_item": round((mem - base_mem) / level),
        }
    first, last = per_level[next(iter(per_level))], per_level[next(reversed(per_level))]
    growth = last["median_ms"] / first["median_ms"]
    out.update(
        levels=per_level,
        samples_per_level=samples,
        median_ms_at_largest=last["median_ms"],
        slowdown_largest_vs_smallest=round(growth, 3),
        redis_bytes_per_item=last["bytes_per_item"],
        goal="median < 1 ms; largest <= 1.5x smallest",
        met=last["median_ms"] < 1.0 and growth <= 1.5,
        fill_items_per_s=round((levels[-1]) / fill_seconds),
    )
    return out
