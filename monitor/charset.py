"""Choosing the charset that decodes fetched bytes, deliberately (feeds and article pages).

Order of evidence:

1. a byte-order mark;
2. for XML (feeds), the XML prolog's ``encoding``; for HTML, ``<meta charset>`` /
   ``http-equiv`` anywhere in the head (not only the first kilobytes: Arabic pages carry
   long ad scripts before it, trafilatura#541);
3. the HTTP ``Content-Type`` charset. It comes after the prolog, so a non-XML type's charset
   (``text/html; charset=ISO-8859-1`` from a misconfigured PHP host) never overrides the
   XML prolog (case 01c);
4. strict UTF-8 (then windows-1256 when the document says it is Arabic);
5. the declared charsets and UTF-8 once more, accepting a few invalid byte sequences: each is
   replaced by U+FFFD, so one bad byte damages one character, not the whole document;
6. statistical detection over the whole document (charset-normalizer);
7. windows-1252 as a last resort, with U+FFFD for the bytes it cannot map.

Checks on the winner:

- a result whose non-ASCII letters are mostly Latin-range where the document says it is
  Arabic (``lang="ar"``, ``dir="rtl"``, ``<language>ar``, an Arabic charset declared, or the
  caller's language hint) is rejected in favour of the next candidate: that is mojibake;
- bytes declared as a single-byte charset that are valid UTF-8 with multi-byte sequences are
  read as UTF-8 (a Latin-1 text is practically never valid UTF-8 by accident);
- UTF-8 that was encoded twice (``Ã©`` for ``é``) is repaired with ftfy's ``fix_encoding``
  (Speer, ftfy), only when such sequences are present.

Every mismatch and repair is reported as a warning sentence; none is an error.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import ftfy
from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I
)
_XML_PROLOG = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)[\"']", re.I)
# Searched separately over the lower-cased head, so that each pattern starts with a literal and
# the regex engine can skip ahead (one alternation with re.I cost ~2 ms over 256 kB);
# the word boundary before ``dir`` is checked by hand for the same reason.
_ARABIC_HINTS = (
    re.compile(rb"""<html[^>]*\b(?:lang|xml:lang)\s*=\s*["']?ar\b"""),
    re.compile(rb"""<(?:dc:)?language>\s*ar\b"""),
)
_DIR_RTL = re.compile(rb"""dir\s*=\s*["']?rtl""")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_ARABIC_CHARSETS = frozenset({"cp1256", "iso8859-6", "cp720", "cp864"})
_HEAD_LIMIT = 256 * 1024
# Share of invalid sequences among non-ASCII characters up to which a declared charset is kept
# with U+FFFD replacements (step 5). A Latin-1 document read as UTF-8 fails on ~100% of them.
_MAX_INVALID_SHARE = 0.2
# A UTF-8 byte 0x80-0xBF seen as cp1252/Latin-1 (control and Latin-1 range, or what cp1252 maps it to).
_CONTINUATION = ("\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013"
                 "\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122")
# A UTF-8 lead byte seen as cp1252/Latin-1 followed by a continuation byte seen the same way: the
# start of a double-encoded sequence, or ordinary French ("é»", "à…"); _has_double_utf8 tells them apart.
_DOUBLE_UTF8 = re.compile(f"[\u00c2-\u00f4][{_CONTINUATION}]")
_CONTINUATION_CHARS = frozenset(re.findall(f"[{_CONTINUATION}]", "".join(map(chr, range(0x2200)))))
_DISPLAY_NAMES = {"utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}
# For _looks_mojibake, counted with C-speed regex substitutions instead of a loop per character:
# ASCII runs; non-letters (``[\W\d_]`` is the complement of str.isalpha() except for the few
# numeric characters of categories No/Nl such as '²' or 'Ⅻ', which count as letters here);
# characters outside the Arabic blocks of monitor.textnorm.is_arabic_letter.
_ASCII_RUN = re.compile("[\x00-\x7f]+")
_NON_LETTERS = re.compile(r"[\W\d_]+")
_NON_ARABIC = re.compile("[^\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufeff]+")


def _norm(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def display_name(codec: str) -> str:
    """The IANA/WHATWG spelling of a Python codec name: ``cp1256`` -> ``windows-1256``,
    ``iso8859-1`` -> ``iso-8859-1``; others unchanged."""
    if codec in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[codec]
    if re.fullmatch(r"cp12\d\d", codec):
        return "windows-" + codec[2:]
    if codec.startswith("iso8859-"):
        return "iso-8859-" + codec[len("iso8859-"):]
    return codec


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, normalized, or None."""
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type.encode("latin-1", "ignore"))
    return _norm(m.group(1)) if m else None


def _looks_mojibake(text: str, expect_arabic: bool) -> bool:
    """True when a document said to be Arabic has mostly non-Arabic letters outside ASCII.

    Markup and scripts are ASCII, so only non-ASCII letters are counted: in real Arabic text
    they are Arabic; in Arabic bytes decoded with a Latin charset they are Ç, á, ã...
    """
    if not expect_arabic:
        return False
    letters = _NON_LETTERS.sub("", _ASCII_RUN.sub("", text))
    arabic = len(_NON_ARABIC.sub("", letters))
    return len(letters) >= 20 and arabic < 0.5 * len(letters)


def _decode_counting(data: bytes, enc: str) -> tuple[str, int] | None:
    """``data`` decoded with U+FFFD for invalid sequences, and how many were replaced; None if unknown."""
    try:
        text = data.decode(enc, errors="replace")
        genuine = data.decode(enc, errors="ignore").count("\ufffd")
    except LookupError:
        return None
    return text, text.count("\ufffd") - genuine


def _candidates(
    data: bytes, content_type: str | None, xml: bool, expect_arabic: bool
) -> list[tuple[str, str]]:
    head = data[:_HEAD_LIMIT]
    out: list[tuple[str, str]] = []
    if xml:
        m = _XML_PROLOG.search(head[:1024])
        if m and _norm(m.group(1)):
            out.append((_norm(m.group(1)) or "", "XML prolog"))
    else:
        m = _META_CHARSET.search(head)
        if m and _norm(m.group(1)):
            out.append((_norm(m.group(1)) or "", "meta tag"))
    http = header_charset(content_type)
    if http:
        out.append((http, "HTTP header"))
    out.append(("utf-8", "default"))
    if expect_arabic:
        out.append(("cp1256", "Arabic document"))
    return out


def _strict(data: bytes, candidates: list[tuple[str, str]], expect_arabic: bool,
            warnings: list[str]) -> tuple[str, str, str] | None:
    seen: set[str] = set()
    for enc, why in candidates:
        if enc in seen:
            continue
        seen.add(enc)
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            if why != "default":
                warnings.append(f"declared charset {display_name(enc)} ({why}) does not decode the bytes")
            continue
        if _looks_mojibake(text, expect_arabic):
            warnings.append(
                f"charset {display_name(enc)} ({why}) gives Latin-range text for an Arabic document; rejected"
            )
            continue
        return text, enc, why
    return None


def _nearly(data: bytes, candidates: list[tuple[str, str]], expect_arabic: bool,
            warnings: list[str]) -> tuple[str, str, str] | None:
    for enc, why in candidates:
        if why == "Arabic document":
            continue
        decoded = _decode_counting(data, enc)
        if decoded is None:
            continue
        text, invalid = decoded
        valid = len(_ASCII_RUN.sub("", text)) - invalid
        if invalid > _MAX_INVALID_SHARE * (valid + invalid):
            continue
        if _looks_mojibake(text, expect_arabic):
            continue
        warnings.append(f"{invalid} invalid byte sequence(s) in {display_name(enc)} replaced with U+FFFD")
        return text, enc, why
    return None


def _detected(data: bytes, expect_arabic: bool, warnings: list[str]) -> tuple[str, str, str] | None:
    """charset-normalizer's best guess; among guesses that tie with it, windows-1252 wins (it is the
    legacy default of the WHATWG Encoding Standard; detection cannot tell cp1250 from cp1252 on
    French text, and picks the first)."""
    results = list(from_bytes(data))
    if not results:
        return None
    best = results[0]
    tied = {_norm(m.encoding) for m in results
            if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01}
    enc = "cp1252" if "cp1252" in tied else _norm(best.encoding)
    if not enc:
        return None
    chosen = _strict(data, [(enc, "detection")], expect_arabic, warnings)
    if chosen is not None:
        warnings.append(f"no declared charset decodes the bytes; detected {display_name(enc)}")
    return chosen


def decode_bytes(
    data: bytes, content_type: str | None = None, *, xml: bool = False, language_hint: str | None = None
) -> tuple[str, str, list[str]]:
    """Decode ``data`` choosing the charset as described in the module docstring.

    Args:
        data: the raw body (already decompressed).
        content_type: the HTTP ``Content-Type`` header, if any.
        xml: True for feeds (the XML prolog is evidence), False for HTML (meta tags are).
        language_hint: the source's configured language (``ar`` makes Latin-range results suspect).

    Returns:
        (text without BOM, encoding name in IANA spelling such as ``windows-1256``, warnings).
        Warnings name mismatches between declared and used charsets, replacement characters
        and repairs; they are not errors.
    """
    warnings: list[str] = []
    bom = None
    for mark, enc in _BOMS:
        if data.startswith(mark):
            bom, data = enc, data[len(mark):]
            break
    candidates = _candidates(data, content_type, xml, False)
    declared = {enc for enc, why in candidates if why in ("XML prolog", "meta tag", "HTTP header")}
    expect_arabic = (
        is_marked_arabic(data)
        or bool(declared & _ARABIC_CHARSETS)
        or (language_hint or "").lower().startswith("ar")
    )
    candidates = _candidates(data, content_type, xml, expect_arabic)
    if bom:
        candidates.insert(0, (bom, "byte-order mark"))
    chosen = (
        _strict(data, candidates, expect_arabic, warnings)
        or _nearly(data, candidates, expect_arabic, warnings)
        or _detected(data, expect_arabic, warnings)
    )
    if chosen is None:
        text, enc = data.decode("cp1252", errors="replace"), "cp1252"
        warnings.append("no charset decodes cleanly; decoded as windows-1252 with replacement characters")
    else:
        text, enc, why = chosen
        text, enc = _prefer_utf8(data, text, enc, why, expect_arabic, warnings)
    for other, other_why in candidates:
        if other != enc and other_why in ("HTTP header", "XML prolog", "meta tag"):
            warnings.append(
                f"encoding mismatch: {other_why} says {display_name(other)}, decoded as {display_name(enc)}"
            )
    return _repair_double_utf8(text, warnings), display_name(enc), warnings


def _prefer_utf8(data: bytes, text: str, enc: str, why: str, expect_arabic: bool,
                 warnings: list[str]) -> tuple[str, str]:
    """Single-byte charset chosen, but the bytes are valid multi-byte UTF-8: they are UTF-8."""
    if enc in ("utf-8", "utf-16-le", "utf-16-be") or why == "byte-order mark":
        return text, enc
    if data.isascii():
        return text, enc
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        return text, enc
    if _looks_mojibake(utf8, expect_arabic):
        return text, enc
    warnings.append(f"bytes declared {display_name(enc)} ({why}) are valid UTF-8; decoded as utf-8")
    return utf8, "utf-8"


def _repair_double_utf8(text: str, warnings: list[str]) -> str:
    """Undo UTF-8 encoded twice (``Ã©`` -> ``é``) with ftfy, when such sequences are present.

    Only the lines holding such a sequence go through ``ftfy.fix_encoding``, one line at a
    time, as ``ftfy.fix_text`` itself does (it fixes text line by line): most matches in
    real pages are ordinary French (``é»``, ``à…``) that ftfy leaves alone, and running it
    over a whole page with its scripts cost ~14 ms a page.
    """
    if not _has_double_utf8(text):
        return text
    lines = text.split("\n")  # not splitlines(): U+0085 is a continuation byte read as Latin-1
    fixed = "\n".join(ftfy.fix_encoding(line) if _has_double_utf8(line) else line for line in lines)
    if fixed != text:
        warnings.append("double-encoded UTF-8 (mojibake such as 'Ã©') repaired")
    return fixed


def _has_double_utf8(text: str) -> bool:
    """True when ``text`` holds a whole UTF-8 sequence read as cp1252/Latin-1: a lead byte
    U+00C2-U+00DF, U+00E0-U+00EF or U+00F0-U+00F4 followed by 1, 2 or 3 continuation bytes
    (RFC 3629 §4; ``Ã©`` is é, ``â€™`` is ’). A lead byte with too few continuations is French
    (``é»``, ``à…``): ftfy leaves such lines alone, and running it on them cost ~30 ms on a page
    whose scripts make one long line.
    """
    for match in _DOUBLE_UTF8.finditer(text):
        start = match.start()
        lead = ord(text[start])
        need = 1 if lead <= 0xDF else 2 if lead <= 0xEF else 3
        end = start + 1 + need
        if end <= len(text) and all(ch in _CONTINUATION_CHARS for ch in text[start + 2 : end]):
            return True
    return False


def decode_html(
    data: bytes, content_type: str | None = None, *, language_hint: str | None = None
) -> tuple[str, str, list[str]]:
    """Decode an HTML page (see :func:`decode_bytes`); returns (text, encoding, warnings)."""
    return decode_bytes(data, content_type, xml=False, language_hint=language_hint)


def is_marked_arabic(data: bytes) -> bool:
    """True when the document says it is Arabic: ``<html lang="ar">``, ``dir="rtl"`` or ``<language>ar``
    in its first 256 kB."""
    head = data[:_HEAD_LIMIT].lower()
    if any(pattern.search(head) for pattern in _ARABIC_HINTS):
        return True
    return any(m.start() == 0 or head[m.start() - 1] not in _WORD_BYTES for m in _DIR_RTL.finditer(head))


def decode_alternatives(
    data: bytes, content_type: str | None = None, *, xml: bool = False, language_hint: str | None = None
) -> Iterator[tuple[str, str, list[str]]]:
    """:func:`decode_bytes`'s choice first, then every other candidate that decodes the bytes strictly
    (declared charsets, UTF-8, windows-1256), for callers that judge the decoded text more closely:
    the extraction stage rejects a page marked Arabic whose *extracted* text is mostly Latin-range
    letters and takes the next one (case 15).

    Yields:
        (text, encoding name in IANA spelling, warnings), as :func:`decode_bytes` returns them.
    """
    text, enc, warnings = decode_bytes(data, content_type, xml=xml, language_hint=language_hint)
    yield text, enc, warnings
    for mark, _bom_enc in _BOMS:
        if data.startswith(mark):
            data = data[len(mark):]
            break
    tried = {_norm(enc)}
    for cand, why in [*_candidates(data, content_type, xml, True), ("cp1256", "Arabic document")]:
        if cand in tried:
            continue
        tried.add(cand)
        try:
            alt = data.decode(cand)
        except (UnicodeDecodeError, LookupError):
            continue
        yield alt, display_name(cand), [*warnings, f"{display_name(enc)} rejected by the extraction check; "
                                                   f"decoded as {display_name(cand)} ({why})"]
