"""Dedup: time of the full dedup check per item with 10k, 100k and 1M items already indexed.

The index is grown in steps on the private Redis; at each step ``Deduplicator.check`` (the very
call the pipeline makes) runs on fresh, generated 3 KB articles with new URLs, so every check
walks every level (URL, exact text, near-duplicate when the module has it) and claims a new
item. Each check is timed alone (``perf_counter_ns``); median and p99 are reported, with the
Redis memory per indexed item (``INFO memory`` ``used_memory`` growth / items indexed).

Filling: raw pipelined writes in the module's exact key layout, checked against the module's own
claim script first (see :mod:`dedup_fill`). A level whose projected Redis memory exceeds a cap
(``BENCH_DEDUP_MAX_REDIS_GB``, default 60% of MemAvailable) is skipped and says so.
A level whose projected fill time exceeds ``BENCH_DEDUP_MAX_FILL_S`` (default 150 s, so that
the whole run stays under 10 minutes) is skipped the same way, with both projections.
Goals: median < 1 ms; median at 1M at most 1.5x the median at 10k.
"""

from __future__ import annotations

import gc
import os
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


def _mem_cap() -> int:
    """Bytes of Redis memory the fill may use: ``BENCH_DEDUP_MAX_REDIS_GB``, else 60% of MemAvailable."""
    if os.environ.get("BENCH_DEDUP_MAX_REDIS_GB"):
        return int(float(os.environ["BENCH_DEDUP_MAX_REDIS_GB"]) * 2**30)
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(int(line.split()[1]) * 1024 * 0.6)
    return 4 * 2**30


def _label(level: int) -> str:
    return f"{level // 1_000_000}M" if level >= 1_000_000 else f"{level // 1000}k"


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
    dedup_fill.verify_layout(client, ctx.redis_url, keys, dedup, ttl)
    _sample(dedup, 50, seed=1)  # warm the script cache, the connection and the MinHash code
    ctx.flush()
    base_mem = _used_memory(client)
    max_fill_s = float(os.environ.get("BENCH_DEDUP_MAX_FILL_S", "150"))
    indexed, per_item, fill_s, filled = 0, 0.0, 0.0, 0
    per_level: dict[str, Any] = {}
    for level in levels:
        projected = _used_memory(client) + (level - indexed) * per_item * 1.1
        projected_s = (level - indexed) / (filled / fill_s) if filled else 0.0
        if projected > _mem_cap() or projected_s > max_fill_s:
            per_level[_label(level)] = {
                "status": f"skipped: filling to {level:,} items would take about {projected_s:.0f} s "
                          f"(cap {max_fill_s:.0f} s, BENCH_DEDUP_MAX_FILL_S) and about "
                          f"{projected / 2**30:.1f} GB of Redis memory (cap {_mem_cap() / 2**30:.1f} GB, "
                          "BENCH_DEDUP_MAX_REDIS_GB)"}
            continue
        t0 = time.perf_counter()
        dedup_fill.fill(ctx.redis_url, keys, ttl, range(indexed, level))
        fill_s += time.perf_counter() - t0
        filled += level - indexed
        mem = _used_memory(client)
        per_item = (mem - base_mem) / level
        times = _sample(dedup, samples, seed=level)
        indexed = level + samples  # the probes were claimed as new items
        per_level[_label(level)] = {
            "median_ms": round(median(times), 4),
            "p99_ms": round(pct(times, 0.99), 4),
            "redis_bytes_per_item": round(per_item),
            "redis_used_memory_mb": round(mem / 2**20),
        }
    measured = {k: v for k, v in per_level.items() if "median_ms" in v}
    first, last = measured[next(iter(measured))], measured[next(reversed(measured))]
    growth = last["median_ms"] / first["median_ms"]
    return {
        "layout": dedup_fill.describe(),
        "levels": per_level,
        "samples_per_level": samples,
        "largest_measured": next(reversed(measured)),
        "median_ms_at_largest": last["median_ms"],
        "slowdown_largest_vs_smallest": round(growth, 3),
        "redis_bytes_per_item": last["redis_bytes_per_item"],
        "goal": "median < 1 ms; 1M at most 1.5x 10k",
        "met": last["median_ms"] < 1.0 and growth <= 1.5 and len(measured) == len(levels),
        "fill_items_per_s": round(filled / fill_s),
        "check_split_ms": _split(dedup),
    }


def _split(dedup: Any) -> dict[str, float]:
    """Where one check's time goes: the MinHash signature (Python) vs the rest (Lua round trip)."""
    texts = article_texts(300, seed=99)
    t0 = time.perf_counter()
    for text in texts:
        dedup.signature(text)
    sig = (time.perf_counter() - t0) / len(texts) * 1000
    t0 = time.perf_counter()
    for i, text in enumerate(texts):
        dedup.check(text, f"https://news.example.org/split/{i}")
    total = (time.perf_counter() - t0) / len(texts) * 1000
    return {"signature_ms": round(sig, 3), "redis_and_rest_ms": round(total - sig, 3)}
