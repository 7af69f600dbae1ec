"""Index many generated items into the dedup keys, fast, in the dedup module's exact key layout.

Two ways, one layout:

* :func:`claim_via_module` runs the module's own Lua claim script (what ``Deduplicator.check``
  runs), batched in a Redis pipeline;
* :func:`fill` writes the same keys, values and expiries as raw commands streamed through
  ``redis-cli --pipe`` (the band fields of a batch grouped into one ``HSET`` per bucket key), far
  faster than the Lua script (which also *searches* the bands of each new item).

:func:`verify_layout` checks, before any fill, that one item written each way gives the same key
shapes, types, value and field sizes and expiries, so a change of layout in the module is caught,
not silently benchmarked on the old one.

Keys, names and fingerprints come from ``monitor.keys.Keys`` and ``monitor.dedup``
(``url_key``, ``url_fingerprint``, ``text_fingerprint``). Computing 1M real MinHash signatures
would take longer than the whole benchmark may run, so filler signatures are random (to MinHash,
unrelated articles look like that: their values agree only by chance), and so are the band hashes
(``Deduplicator.signature`` takes blake2b of each band's bytes: to LSH, unrelated items' band
hashes are as good as random, and random bytes are cheaper to make). The timed probes
use real generated articles and the real ``check``.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

BATCH = 50_000


def has_lsh() -> bool:
    """True when the installed dedup module has the MinHash LSH level."""
    import monitor.dedup as d

    return all(hasattr(d, n) for n in ("BANDS", "ROWS", "NUM_PERM", "NEAR_THRESHOLD", "url_key"))


def describe() -> str:
    """Which key layout the installed dedup module writes (what the fill reproduces)."""
    import monitor.dedup as d

    if has_lsh():
        return (f"per item: seen:url + seen:text + minhash ({d.NUM_PERM} values, 4 bytes each) + "
                f"one field in each of {d.BANDS} LSH band bucket hashes ({2 ** d.BUCKET_BITS:,} per band "
                f"and generation, {d.GENERATIONS} generations per retention), all with TTL")
    return "per item: seen:url + seen:text, with TTL"


def _signature(n: int) -> tuple[bytes, list[bytes]]:
    """A random signature and random bands in the module's format (bucket hex digits, then the
    field's raw bytes): blake2b of random bytes is random, and random bytes are cheaper."""
    import monitor.dedup as d

    raw = os.urandom(4 * d.NUM_PERM)
    rnd = os.urandom(8 * d.BANDS)
    return raw, [d.bucket_name(rnd[i * 8 : i * 8 + 8]) + rnd[i * 8 + 8 - d.FIELD_BYTES : i * 8 + 8]
                 for i in range(d.BANDS)]


def _generation(ttl: int, now: float) -> tuple[int, int]:
    """(current generation, its EXPIREAT) as ``Deduplicator.generation`` computes them."""
    import monitor.dedup as d

    period = max(1, math.ceil(ttl / d.GENERATIONS))
    gen = int(now) // period
    return gen, (gen + 1) * period + ttl


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
            raw, bands = _signature(n)
            need = int(-(-d.NEAR_THRESHOLD * d.NUM_PERM // 1))
            gen, expire_at = dedup.generation(time.time())
            claim(keys=[url_key, text_key],
                  args=[item_id, ttl, 1, raw, need, keys.minhash(""), d.MAX_CANDIDATES, bytes.fromhex(item_id),
                        d.GENERATIONS + 1, expire_at, keys.lsh_bucket_prefix(), gen, d.BUCKET_CHARS,
                        d.BAND_BYTES, b"".join(bands)],
                  client=pipe)
        else:
            claim(keys=[url_key, text_key], args=[item_id, ttl], client=pipe)
    pipe.execute()


def _resp(*parts: str | bytes) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        out.append(b"$%d\r\n%b\r\n" % (len(b), b))
    return b"".join(out)


def _set_ex(key: str, value: bytes, ttl: bytes) -> bytes:
    """``SET key value EX ttl`` as RESP (what ``_resp`` makes, without its per-part loop)."""
    kb = key.encode()
    return b"*5\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$2\r\nEX\r\n$%d\r\n%b\r\n" % (
        len(kb), kb, len(value), value, len(ttl), ttl)


def _raw_items(keys: Any, ns: range, ttl: int, now: float, made: dict[int, bytes]) -> bytes:
    """The commands the claim script runs for new items ``ns`` (value ``"id id"``: its own story).

    The band fields of the whole batch are grouped into one multi-field ``HSET`` per bucket key,
    and each bucket key gets its ``EXPIREAT`` and the script's ``""`` marker field once
    (``made`` maps the buckets already written to their key name in RESP): the same keys,
    fields, values and expiries as one claim per item, in far fewer commands. Buckets and fields
    are random, drawn for the whole batch at once, and the batch's field/value pairs are laid
    out and grouped by bucket with NumPy: Python works once per item and once per bucket.
    """
    import numpy as np

    import monitor.dedup as d

    t = str(ttl).encode()
    cmds = []
    gen, expire_at = _generation(ttl, now)
    per_band, fb, m = 2**d.BUCKET_BITS, d.FIELD_BYTES, len(ns)
    signatures = os.urandom(m * 4 * d.NUM_PERM)
    for r, n in enumerate(ns):
        url_key, text_key = _item_keys(keys, n)
        item_id = f"{n:032x}"
        value = f"{item_id} {item_id}".encode()
        sig = signatures[r * 4 * d.NUM_PERM : (r + 1) * 4 * d.NUM_PERM]
        cmds.append(_set_ex(url_key, value, t) + _set_ex(text_key, value, t)
                    + _set_ex(keys.minhash(item_id), item_id.encode() + b" " + sig, t))
    # One RESP field/value pair per item and band: "$6\r\n<field>\r\n$16\r\n<item id>\r\n".
    head, mid = b"$%d\r\n" % fb, b"\r\n$16\r\n"
    size = len(head) + fb + len(mid) + 16 + 2
    pairs = np.zeros((m, d.BANDS, size), dtype=np.uint8)
    pairs[:, :, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    at = len(head)
    pairs[:, :, at : at + fb] = np.frombuffer(os.urandom(m * d.BANDS * fb), dtype=np.uint8).reshape(m, d.BANDS, fb)
    at += fb
    pairs[:, :, at : at + len(mid)] = np.frombuffer(mid, dtype=np.uint8)
    at += len(mid) + 8  # the id is n as 16 big-endian bytes: 8 zero bytes, then n
    ids = np.arange(ns.start, ns.stop, dtype=">u8").view(np.uint8).reshape(m, 8)
    pairs[:, :, at : at + 8] = ids[:, None, :]
    pairs[:, :, -2:] = np.frombuffer(b"\r\n", dtype=np.uint8)
    bucket_of = (np.arange(d.BANDS) * per_band + np.random.default_rng(ns.start).integers(0, per_band, (m, d.BANDS)))
    order = np.argsort(bucket_of.ravel(), kind="stable")
    grouped = pairs.reshape(m * d.BANDS, size)[order].tobytes()
    buckets, starts, counts = np.unique(bucket_of.ravel()[order], return_index=True, return_counts=True)
    expire = b"$%d\r\n%d\r\n" % (len(str(expire_at)), expire_at)
    band_names = [keys.lsh_bucket(gen, band, "").encode() for band in range(d.BANDS)]
    for idx, first, count in zip(buckets.tolist(), starts.tolist(), counts.tolist(), strict=True):
        body = grouped[first * size : (first + count) * size]
        name = made.get(idx)
        if name is None:  # a new bucket: the script's marker field "" (value "") comes first
            band, bucket = divmod(idx, per_band)
            kb = band_names[band] + b"%0*x" % (d.BUCKET_CHARS, bucket)
            name = made[idx] = b"$%d\r\n%b\r\n" % (len(kb), kb)
            cmds.append(b"*%d\r\n$4\r\nHSET\r\n%b$0\r\n\r\n$0\r\n\r\n%b" % (4 + 2 * count, name, body))
            cmds.append(b"*3\r\n$8\r\nEXPIREAT\r\n%b%b" % (name, expire))
        else:
            cmds.append(b"*%d\r\n$4\r\nHSET\r\n%b%b" % (2 + 2 * count, name, body))
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
    now = time.time()
    made: dict[int, bytes] = {}
    for start in range(ns.start, ns.stop, BATCH):
        proc.stdin.write(_raw_items(keys, range(start, min(start + BATCH, ns.stop)), ttl, now, made))
    proc.stdin.close()
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    if proc.wait() != 0 or "errors: 0" not in out:
        raise RuntimeError(f"redis-cli --pipe failed: {out.strip()[-300:]}")


def _shapes(client: Any, before: set[bytes]) -> list[tuple[str, str, str, bool]]:
    new = sorted(set(client.keys("*")) - before)
    shapes = []
    for key in new:
        kind = client.type(key).decode()
        if kind == "string":
            size = str(len(client.get(key)))
        else:  # a band bucket hash: number of fields, field and value lengths
            size = str(sorted((len(f), len(v)) for f, v in client.hgetall(key).items()))
        shape = re.sub(r"[0-9a-f]{16,}", "H", key.decode())
        shape = re.sub(r"(:lsh:\d+:\d+:)[0-9a-f]+$", r"\1B", shape)  # the bucket varies with the band hash
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
