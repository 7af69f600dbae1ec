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
    warnings: list[str] = []
    candidates: list[tuple[str, str]] = []  # (encoding, where it came from)
    for bom, enc in _BOMS:
        if data.startswith(bom):
            candidates.append((enc, "byte-order mark"))
            data = data[len(bom):]
            break
    head = data[:_HEAD_LIMIT]
    declared = None
    if xml:
        m = _XML_PROLOG.search(head[:1024])
        declared = _norm(m.group(1)) if m else None
        if declared:
            candidates.append((declared, "XML prolog"))
    else:
        m = _META_CHARSET.search(head)
        declared = _norm(m.group(1)) if m else None
        if declared:
            candidates.append((declared, "meta tag"))
    http = header_charset(content_type)
    if http:
        candidates.append((http, "HTTP header"))
    candidates.append(("utf-8", "default"))
    expect_arabic = bool(_ARABIC_HINT.search(head))
    if expect_arabic:
        candidates.append(("cp1256", "Arabic document"))
    best = from_bytes(data).best()
    if best is not None:
        candidates.append((_norm(best.encoding) or "utf-8", "detection"))
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
        for other, other_why in candidates:
            if other != enc and other_why in ("HTTP header", "XML prolog", "meta tag"):
                warnings.append(f"encoding mismatch: {other_why} says {other}, decoded as {enc}")
        return text, enc, warnings
    fallback = declared or http or "cp1252"
    text = data.decode(fallback, errors="replace")
    warnings.append(f"no charset decodes cleanly; decoded as {fallback} with replacement characters")
    return text, fallback, warnings


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str, list[str]]:
    """Decode an HTML page (see :func:`decode_bytes`); returns (text, encoding, warnings)."""
    return decode_bytes(data, content_type, xml=False)
