"""Index many generated items into the dedup keys, fast, in the dedup module's exact key layout.

Two ways, one layout:

* :func:`claim_via_module` runs the module's own Lua claim script (what ``Deduplicator.check``
  runs), batched in a Redis pipeline;
* :func:`fill` writes the same keys, values and expiries as raw commands streamed through
  ``redis-cli --pipe``, about 20x faster than the Lua script (which also *searches* the bands of
  each new item). :func:`verify_layout` checks, before any fill, that one item written each way
  gives the same key shapes, types, value sizes and expiries, so a change of layout in the module
  is caught, not silently benchmarked on the old one.

Keys, names and fingerprints come from ``monitor.keys.Keys`` and ``monitor.dedup``
(``url_key``, ``url_fingerprint``, ``text_fingerprint``). Computing 1M real MinHash signatures
would take longer than the whole benchmark may run, so filler signatures are random (to MinHash,
unrelated articles look like that: their values agree only by chance), and band hashes are derived
from them as ``Deduplicator.signature`` does (blake2b of each band's hex digits). The timed probes
use real generated articles and the real ``check``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

BATCH = 2_000


def has_lsh() -> bool:
    """True when the installed dedup module has the MinHash LSH level."""
    import monitor.dedup as d

    return all(hasattr(d, n) for n in ("BANDS", "ROWS", "NUM_PERM", "NEAR_THRESHOLD", "url_key"))


def describe() -> str:
    """Which key layout the installed dedup module writes (what the fill reproduces)."""
    import monitor.dedup as d

    if has_lsh():
        return (f"per item: seen:url + seen:text + minhash ({d.NUM_PERM} values) + "
                f"{d.BANDS} LSH band sets, all with TTL")
    return "per item: seen:url + seen:text, with TTL"


def _signature(n: int) -> tuple[str, list[str]]:
    import monitor.dedup as d

    hexsig = os.urandom(4 * d.NUM_PERM).hex()
    width = d.ROWS * 8
    bands = [hashlib.blake2b(hexsig[i * width:(i + 1) * width].encode(), digest_size=8).hexdigest()
             for i in range(d.BANDS)]
    return hexsig, bands


def _item_keys(keys: Any, n: int) -> tuple[str, str]:
    import monitor.dedup as d

    # url_key("https://fill.example.org/a/<n>") is "fill.example.org/a/<n>" (scheme dropped); it is
    # written out here because courlan's cleaning would cost more than the rest of the fill.
    ukey = f"fill.example.org/a/{n}" if hasattr(d, "url_key") else f"https://fill.example.org/a/{n}"
    return keys.seen_url(d.url_fingerprint(ukey)), keys.seen_text(d.text_fingerprint(f"item {n} filler text"))


def claim_via_module(client: Any, keys: Any, dedup: Any, ttl: int, ns: range) -> None:
    """Index items ``ns`` with the module's own Lua claim script, pipelined."""
    import monitor.dedup as d

    claim = dedup._claim  # the registered Lua script of Deduplicator.check
    pipe = client.pipeline(transaction=False)
    for n in ns:
        url_key, text_key = _item_keys(keys, n)
        item_id = f"{n:032x}"
        if has_lsh():
            hexsig, bands = _signature(n)
            need = int(-(-d.NEAR_THRESHOLD * d.NUM_PERM // 1))
            claim(keys=[url_key, text_key, *(keys.lsh_band(i, h) for i, h in enumerate(bands))],
                  args=[item_id, ttl, 1, hexsig, need, keys.minhash(""), d.MAX_CANDIDATES], client=pipe)
        else:
            claim(keys=[url_key, text_key], args=[item_id, ttl], client=pipe)
    pipe.execute()


def _resp(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n"]
    for p in parts:
        out.append(f"${len(p.encode())}\r\n{p}\r\n")
    return "".join(out).encode()


def _raw_item(keys: Any, n: int, ttl: int) -> bytes:
    """The commands the claim script runs for a new item ``n`` (value ``"id id"``: its own story)."""
    url_key, text_key = _item_keys(keys, n)
    item_id = f"{n:032x}"
    value = f"{item_id} {item_id}"
    t = str(ttl)
    cmds = [_resp("SET", url_key, value, "EX", t), _resp("SET", text_key, value, "EX", t)]
    if has_lsh():
        hexsig, bands = _signature(n)
        cmds.append(_resp("SET", keys.minhash(item_id), f"{item_id} {hexsig}", "EX", t))
        lt = len(t)
        for i, h in enumerate(bands):  # SADD band id; EXPIRE band ttl (ASCII: len() is the byte count)
            band = keys.lsh_band(i, h)
            cmds.append(f"*3\r\n$4\r\nSADD\r\n${len(band)}\r\n{band}\r\n${len(item_id)}\r\n{item_id}\r\n"
                        f"*3\r\n$6\r\nEXPIRE\r\n${len(band)}\r\n{band}\r\n${lt}\r\n{t}\r\n".encode())
    return b"".join(cmds)


def fill(redis_url: str, keys: Any, ttl: int, ns: range) -> None:
    """Index items ``ns`` with raw commands through ``redis-cli --pipe``.

    Raises:
        RuntimeError: redis-cli is missing or reported errors.
    """
    exe = shutil.which("redis-cli")
    if exe is None:
        raise RuntimeError("redis-cli is not on PATH")
    parts = urlsplit(redis_url)
    db = (parts.path or "/0").lstrip("/") or "0"
    proc = subprocess.Popen([exe, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379),
                             "-n", db, "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdin is not None
    buf = []
    for n in ns:
        buf.append(_raw_item(keys, n, ttl))
        if len(buf) >= BATCH:
            proc.stdin.write(b"".join(buf))
            buf.clear()
    proc.stdin.write(b"".join(buf))
    proc.stdin.close()
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    if proc.wait() != 0 or "errors: 0" not in out:
        raise RuntimeError(f"redis-cli --pipe failed: {out.strip()[-300:]}")


def _shapes(client: Any, before: set[bytes]) -> list[tuple[str, str, int, bool]]:
    new = sorted(set(client.keys("*")) - before)
    shapes = []
    for key in new:
        kind = client.type(key).decode()
        size = len(client.get(key)) if kind == "string" else client.scard(key)
        shape = re.sub(r"[0-9a-f]{16,}", "H", key.decode())
        shapes.append((shape, kind, size, client.ttl(key) > 0))
    return sorted(shapes)


def verify_layout(client: Any, redis_url: str, keys: Any, dedup: Any, ttl: int) -> None:
    """Write item 0 with the module's script and item 1 raw; raise if their keys differ in shape.

    Raises:
        RuntimeError: naming both layouts when they differ (the module changed its layout).
    """
    client.flushdb()
    claim_via_module(client, keys, dedup, ttl, range(0, 1))
    by_module = _shapes(client, set())
    before = set(client.keys("*"))
    fill(redis_url, keys, ttl, range(1, 2))
    raw = _shapes(client, before)
    client.flushdb()
    if by_module != raw:
        raise RuntimeError(f"raw fill layout {raw[:4]}... differs from the module's {by_module[:4]}...")
