"""Choosing the charset that decodes fetched bytes, deliberately.

Order of evidence, first that decodes cleanly wins:

1. a byte-order mark;
2. for XML (feeds), the XML prolog's ``encoding``; for HTML, ``<meta charset>`` /
   ``http-equiv`` anywhere in the head (not only the first kilobytes: Arabic pages carry
   long ad scripts before it, trafilatura#541);
3. the HTTP ``Content-Type`` charset (a non-XML type's charset never overrides an XML prolog);
4. strict UTF-8;
5. statistical detection over the whole document (charset-normalizer);
6. windows-1252 as a last resort, with U+FFFD for the bytes it cannot map.

Whatever is chosen, a result whose letters are mostly Latin-range where the document
says it is Arabic (``lang="ar"``, ``dir="rtl"``, ``<language>ar``) is rejected in favour of
the next candidate, with windows-1256 tried explicitly: that is mojibake, not text.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from charset_normalizer import from_bytes

from monitor.textnorm import script_shares

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
_ARABIC_HINT = re.compile(
    rb"""(<html[^>]*\b(lang|xml:lang)\s*=\s*["']?ar|\bdir\s*=\s*["']?rtl|<language>\s*ar)""", re.I
)
_HEAD_LIMIT = 256 * 1024


def _norm(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


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
    non_ascii = "".join(ch for ch in text if ord(ch) > 0x7F)
    arabic, _latin, letters = script_shares(non_ascii)
    return letters >= 20 and arabic < 0.5


def _candidates(
    data: bytes, content_type: str | None, xml: bool
) -> tuple[bytes, list[tuple[str, str]], bool]:
    """(data without BOM, [(encoding, where it came from)] in order of evidence, marked Arabic?)."""
    candidates: list[tuple[str, str]] = []
    for bom, enc in _BOMS:
        if data.startswith(bom):
            candidates.append((enc, "byte-order mark"))
            data = data[len(bom):]
            break
    head = data[:_HEAD_LIMIT]
    m = _XML_PROLOG.search(head[:1024]) if xml else _META_CHARSET.search(head)
    declared = _norm(m.group(1)) if m else None
    if declared:
        candidates.append((declared, "XML prolog" if xml else "meta tag"))
    http = header_charset(content_type)
    if http:
        candidates.append((http, "HTTP header"))
    candidates.append(("utf-8", "default"))
    expect_arabic = is_marked_arabic(head)
    if expect_arabic:
        candidates.append(("cp1256", "Arabic document"))
    best = from_bytes(data).best()
    if best is not None:
        candidates.append((_norm(best.encoding) or "utf-8", "detection"))
    return data, candidates, expect_arabic


def decode_candidates(
    data: bytes, content_type: str | None = None, *, xml: bool = False
) -> Iterator[tuple[str, str, list[str]]]:
    """Yield every clean decoding of ``data``, best evidence first (see the module docstring).

    A candidate whose text is Latin-range mojibake for a document marked Arabic is skipped
    here already; callers that look closer (the extraction stage checks the *extracted* text,
    case 15) take the next one.

    Yields:
        (text, encoding name, warnings so far). Nothing when no candidate decodes cleanly.
    """
    warnings: list[str] = []
    data, candidates, expect_arabic = _candidates(data, content_type, xml)
    seen: set[str] = set()
    for enc, why in candidates:
        if enc in seen:
            continue
        seen.add(enc)
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            if why != "default":
                warnings.append(f"declared charset {enc} ({why}) does not decode the bytes")
            continue
        if _looks_mojibake(text, expect_arabic):
            warnings.append(f"charset {enc} ({why}) gives Latin-range text for an Arabic document; rejected")
            continue
        found = list(warnings)
        for other, other_why in candidates:
            if other != enc and other_why in ("HTTP header", "XML prolog", "meta tag"):
                found.append(f"encoding mismatch: {other_why} says {other}, decoded as {enc}")
        yield text, enc, found
        warnings.append(f"charset {enc} ({why}) rejected by the caller")


def is_marked_arabic(head: bytes) -> bool:
    """True when the document says it is Arabic: ``<html lang="ar">``, ``dir="rtl"`` or ``<language>ar``."""
    return bool(_ARABIC_HINT.search(head[:_HEAD_LIMIT]))


def decode_bytes(
    data: bytes, content_type: str | None = None, *, xml: bool = False
) -> tuple[str, str, list[str]]:
    """Decode ``data`` choosing the charset as described in the module docstring.

    Args:
        data: the raw body.
        content_type: the HTTP ``Content-Type`` header, if any.
        xml: True for feeds (the XML prolog is evidence), False for HTML (meta tags are).

    Returns:
        (text, encoding name, warnings). Warnings name mismatches between declared and used
        charsets and replacement characters; they are not errors.
    """
    for decoded in decode_candidates(data, content_type, xml=xml):
        return decoded
    return decode_fallback(data, content_type, xml=xml)


def decode_fallback(
    data: bytes, content_type: str | None = None, *, xml: bool = False
) -> tuple[str, str, list[str]]:
    """Last resort when no candidate decodes cleanly: the declared charset (else windows-1252)
    with U+FFFD replacement characters, and a warning saying so."""
    for bom, _enc in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):]
            break
    head = data[:_HEAD_LIMIT]
    m = _XML_PROLOG.search(head[:1024]) if xml else _META_CHARSET.search(head)
    declared = _norm(m.group(1)) if m else None
    fallback = declared or header_charset(content_type) or "cp1252"
    text = data.decode(fallback, errors="replace")
    return text, fallback, [f"no charset decodes cleanly; decoded as {fallback} with replacement characters"]


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str, list[str]]:
    """Decode an HTML page (see :func:`decode_bytes`); returns (text, encoding, warnings)."""
    return decode_bytes(data, content_type, xml=False)
