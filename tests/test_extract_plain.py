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


@pytest.mark.parametrize(
    ("text", "title", "starts"),
    [
        (
            "Omani foreign minister receives Kenyan envoy in Muscat for talks on trade\n"
            "Oman's foreign minister received the Kenyan special envoy on Sunday, the ministry said.\n",
            "Omani foreign minister receives Kenyan envoy in Muscat for talks on trade",
            "Oman's foreign minister",
        ),
        (
            "وزير الخارجية العماني يستقبل المبعوث الكيني في مسقط لإجراء محادثات حول التجارة والأمن\n"
            "استقبل وزير الخارجية العماني يوم الأحد المبعوث الخاص الكيني لبحث التجارة والأمن الإقليمي، "
            "وفق بيان الوزارة.\n",
            "وزير الخارجية العماني يستقبل المبعوث الكيني في مسقط لإجراء محادثات حول التجارة والأمن",
            "استقبل وزير الخارجية",
        ),
    ],
)
def test_a_long_first_line_without_a_full_stop_is_the_headline(text: str, title: str, starts: str) -> None:
    """A headline of ten words or more reads as prose by length; with nothing above it, more prose
    after it and no sentence end, it is the title (not the lede glued to the body's first words)."""
    article = extract_plain(text, "doc.txt")
    assert article.title == title
    assert article.text.startswith(starts)


def test_a_first_sentence_that_ends_like_one_stays_in_the_body() -> None:
    """A lede with a full stop is body text; the title falls back to its first words."""
    text = (
        "Negotiators from both sides said on Monday that talks would resume next week in Geneva.\n"
        "The envoy called the agreement a first step toward a lasting ceasefire in the region.\n"
    )
    article = extract_plain(text, "doc.txt")
    assert article.text.startswith("Negotiators from both sides")
    assert article.title == "Negotiators from both sides said on Monday that talks would resume next"  # 12 words
