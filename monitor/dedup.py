"""Dedup stage: is this document new, the same item again, or a repeat of an earlier story?

Three levels, cheapest first, all checked *and* claimed in one Lua script (one Redis round
trip, atomic, so two workers racing on the same article cannot both see it as new):

1. **canonical URL** (:func:`canonical_url`, :func:`url_key`): tracking parameters
   (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``... courlan's list), the fragment and trivial
   variants (scheme, ``www.``, default port, trailing slash, query order) removed. The caller
   passes every URL the document is known by (entry link, URL after redirects, same-site
   ``rel=canonical``/``og:url``); any one seen before makes it **the same item again**;
2. **exact text**: SHA-256 of the normalized body (:func:`monitor.textnorm.normalize`): the
   same article at another address, a new item joined to the earlier item's **story**;
3. **near-duplicate**: MinHash (Broder, "On the resemblance and containment of documents",
   1997) over word shingles of the normalized body, banded for LSH in Redis (Leskovec,
   Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4): a new item in the story of the
   most similar earlier item whose estimated Jaccard resemblance reaches :data:`NEAR_THRESHOLD`.

Parameters and their sources:

* :data:`SHINGLE_WORDS` = 5: word 5-shingles (Broder 1997 defines resemblance over contiguous
  word sequences, "w-shingles"; Broder et al. 1997 used w = 10 on whole web pages), taken
  **within each paragraph** (never across a paragraph boundary), so reordered paragraphs give
  the same shingle set and chrome lines shorter than 5 words add nothing. 5 rather than 10
  because news bodies are short (200-1,000 words) and a shorter shingle keeps the resemblance
  high after small edits; measured on the 44 recorded pages of ../shared/corpus: at most 0.003
  between different articles, 0.6-1.0 after cutting one of several paragraphs.
* :data:`NUM_PERM` = 128 permutations: standard error of the Jaccard estimate
  sqrt(J(1-J)/128) <= 0.045 (each value agrees with probability J, MMDS §3.3.3; binomial error).
* :data:`NEAR_THRESHOLD` = 0.5: Broder, Glassman, Manasse & Zweig, "Syntactic clustering of the
  Web" (1997) put documents with resemblance above 50 % in one cluster.
* :data:`BANDS` x :data:`ROWS` = 32 x 4: the banding S-curve 1-(1-s^r)^b rises at
  (1/b)^(1/r) ~= 0.42 (MMDS §3.4.2), below the 0.5 threshold so that few true near-duplicates are
  missed: P(candidate) = 0.87 at s = 0.5, 0.99 at s = 0.6, > 0.9999 at s = 0.8.

Candidates found through the bands are verified in the script against their stored signatures
(count of equal MinHash values / :data:`NUM_PERM` estimates the Jaccard resemblance).

Storage of the LSH index (per item ~1 KB of Redis instead of 32 one-member SETs, ~7.4 KB): a
band's hash picks a **bucket** HASH by its first :data:`BUCKET_BITS` bits, key
``lsh:<generation>:<band>:<bucket>`` (:meth:`monitor.keys.Keys.lsh_bucket`), the next
:data:`FIELD_BYTES` bytes are the field, the value the item ids (16 raw bytes each, at most
:data:`MAX_IDS_PER_FIELD`, newest first); the first field of every bucket is ``""`` (empty
value), a marker that the bucket exists and has its expiry. Redis 7.0 cannot expire a hash
field (``HEXPIRE`` is 7.4+), so expiry is by **generation**: the retention ``ttl`` is cut into :data:`GENERATIONS`
periods of ``ceil(ttl / GENERATIONS)`` s; an item goes into the current generation's keys,
which expire whole (``EXPIREAT``) one ``ttl`` after their period ends, so no entry disappears
before its item's retention, and a check looks up the ``GENERATIONS + 1`` generations that can
still hold a live entry. An entry may outlive its item by up to one period (ttl / 2); it is then
inert, because a candidate counts only through its ``minhash:<item>`` signature key, which
expires exactly ``ttl`` after the claim, like the URL and text keys. Signatures are stored as
4 raw bytes per value. Signatures and band keys written before this layout (hex, one SET per
band) are not read: there was no deployed data.
"""

from __future__ import annotations

import hashlib
import math
import time
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import redis
from courlan import clean_url
from datasketch import MinHash

from monitor.keys import Keys
from monitor.model import DedupResult
from monitor.textnorm import fold, normalize, tokens, word_tokens

SHINGLE_WORDS = 5
NUM_PERM = 128
NEAR_THRESHOLD = 0.5
BANDS = 32
ROWS = 4
#: Upper bound on band candidates verified per document (bounds the script's run time).
MAX_CANDIDATES = 200
#: Retention is cut into this many generations of LSH bucket keys (module docstring): a check
#: reads GENERATIONS + 1 of them per band (each generation ~0.05 ms of script time), and an
#: entry outlives its item by at most ttl / GENERATIONS (on average half that).
GENERATIONS = 2
#: Bits of a band hash that pick its bucket key: 2^14 = 16,384 bucket HASHes per band and
#: generation, named by :data:`BUCKET_CHARS` hex digits. At 1M items a bucket holds ~60 fields
#: (each lookup and insert scans its listpack; with 4,096 buckets ~244 fields cost ~0.2 ms more
#: per check), and it stays a listpack (512 fields) up to ~8M items per generation. The hash's
#: last :data:`FIELD_BYTES` bytes (raw, not hex: half the bytes for a listpack to hold and scan)
#: are the field inside the bucket: 14 + 48 bits per band hash.
BUCKET_BITS = 14
BUCKET_CHARS = (BUCKET_BITS + 3) // 4
FIELD_BYTES = 6
#: Bytes of one band in :attr:`Signature.bands` and in the claim script's band argument.
BAND_BYTES = BUCKET_CHARS + FIELD_BYTES
#: Item ids kept per bucket field, newest first (4 x 16 bytes = Redis' default
#: ``hash-max-listpack-value`` 64, so the bucket stays in the compact listpack encoding).
MAX_IDS_PER_FIELD = 4
_SEED = 1

# KEYS: n_url url keys, then the text key. Like the minhash keys, the bucket keys are built here
# from their prefix (Keys.lsh_bucket: "<lsh prefix><generation>:<band>:<bucket>"): passing 160
# key names cost more client time than the whole script.
# ARGV: 1 new id (hex), 2 ttl seconds, 3 n_url, 4 signature (4 bytes per value, "" = no near
#       level), 5 equal values needed, 6 minhash key prefix, 7 max candidates, 8 new id (16 raw
#       bytes), 9 generations looked up per band, 10 EXPIREAT (unix s) of the current generation,
#       11 lsh key prefix, 12 current generation, 13 bucket name length, 14 bytes per band,
#       15 the bands one after the other (bucket hex digits, then the field's raw bytes; one
#       argument: 32 cost redis-py more to pack).
# Stored values: seen url/text -> "item_id story_id"; minhash -> "story_id signature";
# bucket field -> up to MAX_IDS_PER_FIELD raw 16-byte item ids, newest first. Every bucket hash
# starts with the field "" (value "") written with it: HMGET of that field and the band's field
# tells in the same call whether the hash exists, so EXPIREAT runs once per bucket, when the
# hash is made, instead of once per band and item (32 calls of the script's ~160).
# Returns {kind, "item_id story_id", "duplicate_of equal_values"}.
_CLAIM = """
local n_url, ttl, new_id = tonumber(ARGV[3]), ARGV[2], ARGV[1]
local text_key = KEYS[n_url + 1]
for i = 1, n_url do
  local v = redis.call('GET', KEYS[i])
  if v then return {'url', v, ''} end
end
local function claim_urls(value)
  for i = 1, n_url do redis.call('SET', KEYS[i], value, 'EX', ttl) end
end
local by_text = redis.call('GET', text_key)
if by_text then
  claim_urls(by_text)
  return {'text', by_text, ''}
end
local sig, need, mh_prefix, maxc = ARGV[4], tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local new_raw, ngen, expire_at = ARGV[8], tonumber(ARGV[9]), ARGV[10]
local lsh_prefix, gen, bands = ARGV[11], tonumber(ARGV[12]), ARGV[15]
local cut, width = tonumber(ARGV[13]), tonumber(ARGV[14])
local nperm = #sig / 4
local nbands = #bands / width
local gen_prefix = {}
for g = 0, ngen - 1 do gen_prefix[g] = lsh_prefix .. (gen - g) .. ':' end
local best_id, best_story, best_same = '', '', -1
local seen, checked = {}, 0
local function hex(raw)
  return (string.gsub(raw, '.', function(c) return string.format('%02x', string.byte(c)) end))
end
local function consider(ids)
  if not ids then return end
  for off = 1, #ids, 16 do
    local id = hex(string.sub(ids, off, off + 15))
    if not seen[id] and checked < maxc then
      seen[id] = true
      checked = checked + 1
      local stored = redis.call('GET', mh_prefix .. id)
      if stored then
        local sp = string.find(stored, ' ', 1, true)
        local same = 0
        for j = 0, nperm - 1 do
          local a = sp + 1 + j * 4
          if string.sub(sig, j * 4 + 1, j * 4 + 4) == string.sub(stored, a, a + 3) then same = same + 1 end
        end
        if same > best_same then best_id, best_story, best_same = id, string.sub(stored, 1, sp - 1), same end
      end
    end
  end
end
local tails, fields, current, made = {}, {}, {}, {}
for b = 1, nbands do
  local off = (b - 1) * width
  local tail = (b - 1) .. ':' .. string.sub(bands, off + 1, off + cut)
  local field = string.sub(bands, off + cut + 1, off + width)
  local now = redis.call('HMGET', gen_prefix[0] .. tail, '', field)
  tails[b], fields[b], made[b], current[b] = tail, field, now[1], now[2] or ''
  consider(now[2])
  for g = 1, ngen - 1 do consider(redis.call('HGET', gen_prefix[g] .. tail, field)) end
end
local kind, story, dup = 'new', new_id, ''
if nperm > 0 and best_same >= need then kind, story, dup = 'near', best_story, best_id end
local value = new_id .. ' ' .. story
claim_urls(value)
redis.call('SET', text_key, value, 'EX', ttl)
if nperm > 0 then
  redis.call('SET', mh_prefix .. new_id, story .. ' ' .. sig, 'EX', ttl)
  for b = 1, nbands do
    local key, ids = gen_prefix[0] .. tails[b], string.sub(new_raw .. current[b], 1, MAX_BYTES)
    if made[b] then
      redis.call('HSET', key, fields[b], ids)
    else
      redis.call('HSET', key, '', '', fields[b], ids)
      redis.call('EXPIREAT', key, expire_at)
    end
  end
end
return {kind, value, dup .. ' ' .. best_same}
""".replace("MAX_BYTES", str(16 * MAX_IDS_PER_FIELD))


def canonical_url(url: str | None) -> str | None:
    """The URL with tracking parameters and the fragment removed, query sorted (courlan ``clean_url``).

    courlan 1.4 strips ``utm_*``, ``fbclid``/``gclid``/``dclid``, ``mc_*``, ``ref``, ``source``,
    ``xtor``... (its ``TRACKERS_RE``), lower-cases scheme and host and drops the default port; it
    keeps the fragment, which is dropped here. Returns None for what is not an http(s) URL.
    """
    if not url:
        return None
    cleaned = clean_url(url.strip())
    if not cleaned:
        return None
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def url_key(url: str | None) -> str | None:
    """The dedup key of a URL: :func:`canonical_url` with trivial variants folded (``http``/``https``,
    ``www.``, trailing slash). None when the URL names a site's front page (path ``/`` without a
    query): feeds that give every entry the home page as link must not make all entries one item.
    """
    canonical = canonical_url(url)
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    host = (parts.netloc or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    if not path and not parts.query:
        return None
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def text_fingerprint(text: str) -> str:
    """SHA-256 hex digest of the normalized text (whitespace, case, Arabic forms folded)."""
    return _fingerprint(normalize(text))


def _fingerprint(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def url_fingerprint(url: str) -> str:
    """SHA-256 hex digest of a URL dedup key (:func:`url_key`)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Word ``size``-shingles of the normalized text, taken within each paragraph (line).

    Paragraphs shorter than ``size`` words (labels, captions, sub-headings) give no shingle.
    """
    out: set[bytes] = set()
    for paragraph in text.split("\n"):
        words = word_tokens(paragraph)
        for i in range(len(words) - size + 1):
            out.add(" ".join(words[i : i + size]).encode("utf-8"))
    return out


#: MurmurHash3 32-bit finalizer constants (datasketch ``_FMIX_CONSTANTS[32]``; Appleby, MurmurHash3).
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
#: Odd 64-bit multipliers combining SHINGLE_WORDS word hashes into one shingle hash.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD], dtype=np.uint64)


def shingle_hashes(text: str, size: int = SHINGLE_WORDS) -> np.ndarray:
    """32-bit hashes of the word ``size``-shingles of :func:`shingles` (same paragraphs, same words).

    Each word is hashed once (CRC-32 of its UTF-8, ``zlib.crc32``), and a shingle's hash is the
    high 32 bits of ``sum(word_hash[i + j] * _MIX[j]) mod 2^64`` over its ``size`` words,
    computed for all shingles of the text in one NumPy step (positions whose ``size`` words
    would run into the next paragraph are dropped), instead of building, encoding and hashing
    ~500 shingle strings one by one. Equal shingles get equal hashes (the set semantics of
    :func:`shingles`); two different shingles collide with probability ~2^-32 each pair.

    Returns:
        uint32 array, one value per shingle position (repeats possible; MinHash ignores them).
    """
    return _shingle_hashes(fold(text), size)


def _shingle_hashes(folded: str, size: int) -> np.ndarray:
    """:func:`shingle_hashes` of text already passed through :func:`monitor.textnorm.fold`."""
    if size > len(_MIX):
        raise ValueError(f"shingle size {size} exceeds the {len(_MIX)} mixing constants")
    words: list[str] = []
    spans: list[tuple[int, int]] = []  # per paragraph with a shingle: its first and past-last start
    for paragraph in folded.split("\n"):
        found = tokens(paragraph)
        if len(found) >= size:
            spans.append((len(words), len(words) + len(found) - size + 1))
            words.extend(found)
    if not words:
        return np.empty(0, dtype=np.uint32)
    wh = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    n = len(words) - size + 1
    acc = wh[:n] * _MIX[0]
    for j in range(1, size):
        acc += wh[j : j + n] * _MIX[j]
    if len(spans) > 1:  # drop the positions whose words run into the next paragraph
        acc = np.concatenate([acc[start:stop] for start, stop in spans])
    return (acc >> np.uint64(32)).astype(np.uint32)


def bucket_name(digest: bytes) -> bytes:
    """The bucket of a band hash (8 bytes): its first :data:`BUCKET_BITS` bits as
    :data:`BUCKET_CHARS` lower-case hex digits (ASCII), the last part of its bucket key's name."""
    number = int.from_bytes(digest[:4], "big") >> (32 - BUCKET_BITS)
    return b"%0*x" % (BUCKET_CHARS, number)


@dataclass(frozen=True)
class Signature:
    """A MinHash signature: ``values`` (:data:`NUM_PERM` unsigned 32-bit values, big-endian, 4 bytes
    each; b"" when the text has no shingle) and its LSH ``bands``: per band, the 8-byte blake2b
    hash of the band's bytes as its bucket (its first :data:`BUCKET_BITS` bits as
    :data:`BUCKET_CHARS` hex digits, ASCII) and its field (its last :data:`FIELD_BYTES` bytes),
    :data:`BAND_BYTES` bytes in all."""

    values: bytes
    bands: tuple[bytes, ...]


class Deduplicator:
    """Three-level dedup against Redis (see the module docstring).

    Args:
        connection: Redis client. keys: key builder. ttl_seconds: how long an item's
            fingerprints are remembered (the item retention, seconds).
    """

    def __init__(self, connection: redis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._r = connection
        self._keys = keys
        self._ttl = ttl_seconds
        self._claim = connection.register_script(_CLAIM)
        self._permutations = MinHash(num_perm=NUM_PERM, seed=_SEED).permutations
        self._need = math.ceil(NEAR_THRESHOLD * NUM_PERM)

    def signature(self, text: str) -> Signature:
        """MinHash signature and LSH bands of ``text`` (the shingles of :func:`shingles`).

        Computed vectorised with NumPy over :func:`shingle_hashes`, with datasketch's "affine32"
        scheme (datasketch 2.0 ``MinHash.update_batch``): each 32-bit input hash is pre-mixed with
        the MurmurHash3 32-bit finalizer, then permuted ``a*h + b mod 2^32`` with datasketch's
        ``a``, ``b`` for seed :data:`_SEED`; the value per permutation is the minimum. Equal to
        ``MinHash(scheme="affine32")`` fed the same input hashes (tested), without its per-item
        Python loop.
        """
        return self._signature(fold(text))

    def _signature(self, folded: str) -> Signature:
        """:meth:`signature` of text already passed through :func:`monitor.textnorm.fold`."""
        hashes = _shingle_hashes(folded, SHINGLE_WORDS)
        if hashes.size == 0:
            return Signature(b"", ())
        hv = hashes.reshape(-1, 1)
        s1, m1, s2, m2, s3 = _FMIX32
        hv = hv ^ (hv >> s1)
        hv = hv * m1
        hv = hv ^ (hv >> s2)
        hv = hv * m2
        hv = hv ^ (hv >> s3)
        a, b = self._permutations
        raw = (hv * a + b).min(axis=0).astype(">u4").tobytes()
        width = ROWS * 4
        digests = (hashlib.blake2b(raw[i * width : (i + 1) * width], digest_size=8).digest() for i in range(BANDS))
        return Signature(raw, tuple(bucket_name(d) + d[-FIELD_BYTES:] for d in digests))

    def generation(self, now: float) -> tuple[int, int]:
        """The LSH bucket generation at ``now`` (unix seconds) and when its keys expire.

        Returns:
            (generation = ``now // period``, expire_at = ``(generation + 1) * period + ttl``
            unix seconds), period = ``ceil(ttl / GENERATIONS)`` seconds (at least 1).
        """
        period = max(1, math.ceil(self._ttl / GENERATIONS))
        gen = int(now) // period
        return gen, (gen + 1) * period + self._ttl

    def known_url(self, urls: Iterable[str | None]) -> tuple[str, str] | None:
        """(item id, story id) of the item already known under one of ``urls``, else None.

        One ``MGET``; used before fetching a page so a replayed entry is not fetched again.
        """
        keys = self._url_keys(urls)
        if not keys:
            return None
        for value in self._r.mget(keys):
            if value:
                item_id, story_id = _text(value).split(" ", 1)
                return item_id, story_id
        return None

    def check(
        self, text: str, canonical_url: str | None, other_urls: Iterable[str | None] = ()
    ) -> DedupResult:
        """Claim ``text`` and the URLs for a new item, or report the earlier one.

        Args:
            text: the article body. canonical_url / other_urls: every URL the document is known by.

        Returns:
            :class:`DedupResult`; for ``kind == "url"`` ``item_id`` is the existing item.

        Raises:
            redis.RedisError: Redis is unreachable (the job is retried).
        """
        new_id = uuid.uuid4().hex
        url_keys = self._url_keys([canonical_url, *other_urls])
        folded = fold(text)  # once for both the exact-text fingerprint and the shingles
        sig = self._signature(folded)
        gen, expire_at = self.generation(time.time())
        keys = [*url_keys, self._keys.seen_text(_fingerprint(" ".join(folded.split())))]
        args: list[str | bytes | int] = [new_id, self._ttl, len(url_keys), sig.values, self._need,
                                         self._keys.minhash(""), MAX_CANDIDATES, bytes.fromhex(new_id),
                                         GENERATIONS + 1, expire_at, self._keys.lsh_bucket_prefix(), gen,
                                         BUCKET_CHARS, BAND_BYTES, b"".join(sig.bands)]
        kind, value, extra = (_text(v) for v in self._claim(keys=keys, args=args))
        earlier_id, story_id = value.split(" ", 1)
        if kind == "new":
            return DedupResult(new_id, story_id, None, "new")
        if kind == "url":
            return DedupResult(earlier_id, story_id, earlier_id, "url")
        if kind == "text":
            return DedupResult(new_id, story_id, earlier_id, "text")
        return DedupResult(new_id, story_id, extra.split(" ", 1)[0], "near")

    def _url_keys(self, urls: Iterable[str | None]) -> list[str]:
        found = {key for key in (url_key(u) for u in urls) if key}
        return [self._keys.seen_url(url_fingerprint(k)) for k in sorted(found)]


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
