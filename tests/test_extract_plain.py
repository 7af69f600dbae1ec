"""Plain-text extraction: page chrome around the article is cut, the headline found (pure)."""

import pytest

from monitor.errors import DocumentError
from monitor.extract import extract_plain


def test_english_page_chrome_is_cut() -> None:
    """A tracking token, a menu line, and footer labels never reach title or body."""
    text = (
        "utm_pixel\n\nMenu\n\nGovernment and rebels agree to resume talks in Geneva\n\n"
        "Negotiators from both sides said on Monday that talks would resume next week under UN auspices.\n\n"
        "The envoy called the agreement a first step toward a lasting ceasefire in the region.\n\n"
        "Example Daily News\n\nShare this\n\nRead more\n\nBack to top\n"
    )
    article = extract_plain(text, "doc.txt")
    assert article.title == "Government and rebels agree to resume talks in Geneva"
    assert article.text.startswith("Negotiators from both sides")
    assert article.text.endswith("in the region.")
    for chrome in ("utm_pixel", "Menu", "Share this", "Read more", "Back to top", "Example Daily News"):
        assert chrome not in article.text


def test_arabic_title_is_the_arabic_short_line_before_the_body() -> None:
    """A Latin-script token before an Arabic headline is not the headline."""
    body = "هذه فقرة طويلة من نص الخبر تتحدث عن موضوع مهم جدا في المنطقة اليوم.\n"
    text = "fbpx\n\nعنوان الخبر الرئيسي اليوم\n\n" + body
    assert extract_plain(text, "ar.txt").title == "عنوان الخبر الرئيسي اليوم"


def test_no_prose_is_an_error_naming_the_document() -> None:
    """A file of button labels only is refused with its name."""
    with pytest.raises(DocumentError, match="labels.txt: no article text"):
        extract_plain("Home\nShare\nBack to top\n", "labels.txt")
