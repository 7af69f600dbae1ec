"""Text normalization shared by classification and dedup.

Matching and hashing run on normalized text, never on what is displayed:

* Unicode NFKC, case folding, every kind of space (NBSP, narrow NBSP) folded to one space;
* invisible format characters inside words removed: soft hyphen, zero-width non-joiner and joiner,
  word joiner, BOM (U+00AD, U+200C, U+200D, U+2060, U+FEFF), which would otherwise split a word
  in two ("الإر\u200cهاب", "terro\u00adrism");
* Arabic: harakat/diacritics (U+064B-U+065F, U+0670, Quranic marks U+06D6-U+06ED) and tatweel
  (U+0640) removed; alef forms أ إ آ ٱ -> ا; ى -> ي; ة -> ه; ؤ -> و; ئ -> ي; Arabic-Indic digits
  -> ASCII. These are the usual orthographic normalizations of Arabic IR (Larkey, Ballesteros &
  Connell, "Light Stemming for Arabic Information Retrieval", 2007). Persian and Urdu letter
  forms that Arabic text typed on those keyboards carries are folded to the Arabic letters:
  ی -> ي, ک ڪ -> ك, ە ۀ ہ -> ه (Unicode's "Arabic" block; the letters look alike in most fonts).

Displayed text (titles, bodies in alerts) keeps the publisher's spelling.
"""

from __future__ import annotations

import re
import unicodedata

_AR_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_TRANSLATE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",
        "ک": "ك",
        "ڪ": "ك",
        "ە": "ه",
        "ۀ": "ه",
        "ہ": "ه",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
_TOKEN = re.compile(r"\w+", re.UNICODE)
_INVISIBLE = re.compile("[\u00ad\u200c\u200d\u2060\ufeff]")


_AR_PAIRS = tuple((chr(src), dst) for src, dst in _AR_TRANSLATE.items())
_AR_BLOCK = re.compile("[\u0600-\u06ff]")


def normalize(text: str) -> str:
    """Return ``text`` normalized for matching and hashing (see module docstring).

    Idempotent: ``normalize(normalize(t)) == normalize(t)``. Spaces are folded by ``str.split``
    (the same Unicode whitespace as ``\\s``, faster than a regex). Equal to
    ``" ".join(fold(text).split())``.
    """
    return " ".join(fold(text).split())


def fold(text: str) -> str:
    """:func:`normalize` without folding spaces: NFKC, case folding and the Arabic steps, each
    character where it was, so the lines of ``text`` stay its lines (none of these steps makes
    or removes a line break). ``fold(text).split("\\n")[i]`` normalizes to what line ``i`` does.

    Text without Arabic-block characters skips the Arabic steps (all of them change only
    characters of that block); the others use ``str.replace`` per letter present, several times
    faster than ``str.translate`` on non-Latin text.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if "\u00ad" in text or "\u200c" in text or "\u200d" in text or "\u2060" in text or "\ufeff" in text:
        text = _INVISIBLE.sub("", text)  # substring tests first: ~0.3 us on 3 KB against ~9 for a regex search
    if _AR_BLOCK.search(text):
        text = _AR_DIACRITICS.sub("", text)
        for src, dst in _AR_PAIRS:
            if src in text:
                text = text.replace(src, dst)
    return text


def tokens(normalized: str) -> list[str]:
    """Split already-normalized text into word tokens (Unicode ``\\w+``; hyphens and apostrophes split)."""
    return _TOKEN.findall(normalized)


def word_tokens(text: str) -> list[str]:
    """``tokens(normalize(text))`` without folding the spaces first: a token never holds a space,
    so the words are the same, and skipping ``split`` and ``join`` saves about a fifth of the time
    of that step on a 3 KB article (``bench/classify_bench.py``)."""
    return _TOKEN.findall(fold(text))


def is_arabic_letter(ch: str) -> bool:
    """True for letters of the Arabic script blocks (U+0600-U+06FF, U+0750-U+077F, U+08A0-U+08FF, FB50-FEFF)."""
    o = ord(ch)
    return ch.isalpha() and (
        0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0x08A0 <= o <= 0x08FF or 0xFB50 <= o <= 0xFEFF
    )


def script_shares(text: str) -> tuple[float, float, int]:
    """Return (Arabic-script share, Latin-range share, letter count) over the letters of ``text``.

    "Latin range" is U+0041-U+024F: the letters mojibake of Arabic bytes decodes to.
    Shares are 0.0 when there are no letters.
    """
    arabic = latin = total = 0
    for ch in text:
        if not ch.isalpha():
            continue
        total += 1
        if is_arabic_letter(ch):
            arabic += 1
        elif ord(ch) <= 0x024F:
            latin += 1
    if not total:
        return 0.0, 0.0, 0
    return arabic / total, latin / total, total
