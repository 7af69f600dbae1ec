"""Index many generated items into the dedup keys, fast, with the dedup module's own code.

For the exact levels, every item is claimed with the module's own Lua script (the one
``Deduplicator.check`` runs) on fingerprints from its own ``url_fingerprint`` /
``text_fingerprint``, many claims per Redis pipeline round trip. Items are distinct short texts
(``item <n> ...``): only their fingerprints are stored, so their length does not change the index.
"""

from __future__ import annotations

from typing import Any

BATCH = 5_000


def describe(dedup: Any) -> str:
    """Which key layout the installed dedup module writes (what the fill reproduces)."""
    return "exact: seen:url + seen:text per item (Lua claim script)"


def fill(client: Any, keys: Any, dedup: Any, ttl: int, start: int, count: int) -> None:
    """Index items ``start .. start+count-1`` as new items, pipelined in batches of :data:`BATCH`."""
    from monitor.dedup import text_fingerprint, url_fingerprint

    claim = dedup._claim  # the registered Lua script of Deduplicator.check
    for lo in range(start, start + count, BATCH):
        hi = min(lo + BATCH, start + count)
        pipe = client.pipeline(transaction=False)
        for n in range(lo, hi):
            url_key = keys.seen_url(url_fingerprint(f"https://fill.example.org/a/{n}"))
            text_key = keys.seen_text(text_fingerprint(f"item {n} filler text"))
            claim(keys=[url_key, text_key], args=[f"{n:032x}", ttl], client=pipe)
        pipe.execute()
