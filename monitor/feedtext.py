"""Plain text from feed text constructs (titles, summaries, content), entities decoded exactly once.

feedparser hands back each text construct with a type (``title_detail.type``): ``text/plain``
values are already text and are never unescaped or stripped (``Inflation < 2 %`` keeps its
``<``); ``text/html`` and ``application/xhtml+xml`` values are HTML, converted to text once
(tags dropped, entities decoded), so an escaped ``&lt;dialog&gt;`` becomes the text
``<dialog>`` and is not stripped as a tag (case 07 and miniflux/v2#1076, #2953).

Publishers that escape twice (``&amp;#39;``) leave an entity in the text after that one
step. For titles and summaries only, a second decoding is applied when the text still
contains an entity that decodes to something else (miniflux/v2 PR #1024 does the same); the
caller records a warning. Full content is never decoded twice (code samples legitimately show
``&lt;``).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd", "dt",
})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")  # not NBSP: the publisher's no-break spaces stay
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded once, script/style skipped.

    Blocks (``p``, ``br``, ``li``...) become line breaks; runs of ASCII whitespace inside a
    line become one space; NBSP is kept. ``<`` not starting a tag (``a < b``) stays text.
    """
    parser = _TextCollector()
    parser.feed(markup)
    parser.close()
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def has_leftover_entity(text: str) -> bool:
    """True when ``text`` still contains an entity that decodes to something else (``&quot;``, ``&#39;``)."""
    return any(html.unescape(m.group(0)) != m.group(0) for m in _ENTITY.finditer(text))


def text_construct(
    value: str | None, mime: str | None, *, allow_second_decode: bool
) -> tuple[str | None, bool]:
    """Plain text of one feed text construct.

    Args:
        value: the value as feedparser returns it.
        mime: its ``*_detail.type`` (``text/plain``, ``text/html``...); None means HTML, the
            common case of RSS descriptions.
        allow_second_decode: decode once more when entities are left (titles, summaries).

    Returns:
        (text or None when empty, True when a second decoding was applied).
    """
    if value is None:
        return None, False
    is_html = (mime or "text/html").lower() in HTML_TYPES
    text = html_to_text(value) if is_html else _tidy(value)
    decoded_twice = False
    if allow_second_decode and has_leftover_entity(text):
        text = _tidy(html.unescape(text))
        decoded_twice = True
    return (text or None), decoded_twice
