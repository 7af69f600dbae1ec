"""Feed parsing on our own fixtures (tests/fixtures/feeds): charset, entities, dates, identity, links."""

from __future__ import annotations

import pytest

from monitor.charset import decode_bytes
from monitor.errors import NotAFeedError
from monitor.feeds import parse_feed
from monitor.model import EntryInfo
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "feeds"
AR_TITLE = "وزير الخارجية يستقبل وفدا دبلوماسيا لبحث التعاون الإقليمي"
AR_FEED_TITLE = "وكالة أنباء الواحة (مثال)"
FR_TITLE = "Accord signé à Lausanne : les négociateurs saluent « un pas décisif »"


def parse(
    name: str,
    content_type: str | None = "application/rss+xml",
    base: str = "https://feeds.example.org/f.xml",
    **hints: str,
):
    return parse_feed((FEEDS / name).read_bytes(), content_type, base, **hints)


@pytest.mark.parametrize(
    ("content_type", "warnings"),
    [
        ("application/rss+xml", []),
        (
            "application/rss+xml; charset=utf-8",
            ["encoding mismatch: HTTP header says utf-8, decoded as windows-1256"],
        ),
        (
            "text/html; charset=ISO-8859-1",
            [
                "encoding mismatch: HTTP header says iso-8859-1, decoded as windows-1256",
                "served as text/html (not an XML media type)",
            ],
        ),
    ],
    ids=["no-charset", "wrong-utf8", "html-latin1"],
)
def test_windows1256_arabic_feed_decodes_under_every_header(content_type, warnings):
    """The windows-1256 feed gives Arabic titles under the three headers of case 01."""
    feed = parse("ar-windows1256.xml", content_type)
    assert (feed.title, feed.encoding, feed.warnings) == (AR_FEED_TITLE, "windows-1256", warnings)
    assert [e.title for e in feed.entries] == [
        AR_TITLE,
        "افتتاح معرض الكتاب الدولي بمشاركة واسعة من دور النشر",
    ]
    assert feed.entries[0].summary == "ناقش الجانبان سبل تعزيز التعاون الأمني والاقتصادي بين البلدين."


def test_latin_range_decoding_of_an_arabic_feed_is_rejected_for_the_next_candidate():
    """Without a prolog charset, the header's ISO-8859-1 is Latin garbage for an Arabic feed."""
    feed = parse("ar-windows1256-noprolog.xml", "text/xml; charset=iso-8859-1")
    assert feed.encoding == "windows-1256"
    assert feed.entries[0].title == AR_TITLE
    assert (
        feed.warnings[0]
        == "charset iso-8859-1 (HTTP header) gives Latin-range text for an Arabic document; rejected"
    )


def test_language_hint_ar_also_rejects_latin_range_mojibake():
    """The feed's configured language hint counts as 'the feed says Arabic'."""
    data = (FEEDS / "ar-windows1256-noprolog.xml").read_bytes().replace(b"<language>ar</language>", b"")
    feed = parse_feed(data, "text/xml; charset=iso-8859-1", "https://w.example.org/", language_hint="ar")
    assert (feed.encoding, feed.entries[0].title) == ("windows-1256", AR_TITLE)


def test_text_xml_without_charset_is_ok_and_not_an_error():
    """A UTF-8 feed served as text/xml without charset parses with no warning (case 03 kind)."""
    feed = parse("fr-utf8.xml", "text/xml")
    assert (feed.encoding, feed.warnings, len(feed.entries)) == ("utf-8", [], 1)
    assert feed.entries[0].title == FR_TITLE
    assert feed.entries[0].summary == "Les délégations ont travaillé jusqu’à l’aube."


def test_one_invalid_byte_damages_only_that_character():
    """A stray byte in a UTF-8 feed becomes one U+FFFD; the rest of the feed keeps its accents."""
    feed = parse("fr-utf8-one-bad-byte.xml", "application/rss+xml")
    assert feed.entries[0].title == FR_TITLE.replace("Lausanne", "Lausann\ufffd")
    assert feed.encoding == "utf-8"
    assert "1 invalid byte sequence(s) in utf-8 replaced with U+FFFD" in feed.warnings


def test_latin1_feed_without_declaration_is_detected_as_windows1252():
    """ISO-8859-1 bytes with no declaration at all are detected (windows-1252 preferred over look-alikes)."""
    feed = parse("fr-latin1-nodecl.xml", "application/rss+xml")
    assert (feed.encoding, feed.entries[0].title) == ("windows-1252", FR_TITLE)


def test_utf8_bytes_declared_latin1_are_read_as_utf8():
    """A prolog saying ISO-8859-1 over valid multi-byte UTF-8 is overruled, with a warning."""
    feed = parse("fr-utf8-declared-latin1.xml", "application/rss+xml")
    assert (feed.encoding, feed.entries[0].title) == ("utf-8", FR_TITLE)
    assert "bytes declared iso-8859-1 (XML prolog) are valid UTF-8; decoded as utf-8" in feed.warnings


def test_double_encoded_utf8_is_repaired():
    """A feed stored double-encoded ('signÃ©') comes out as the publisher wrote it, with a warning."""
    feed = parse("fr-double-encoded.xml")
    assert feed.entries[0].title == FR_TITLE
    assert feed.entries[0].summary == "Les délégations ont travaillé jusqu’à l’aube."
    assert "double-encoded UTF-8 (mojibake such as 'Ã©') repaired" in feed.warnings


def test_french_accents_before_quotes_or_ellipses_are_not_mojibake():
    """'é»' and 'à…' look like the start of double-encoded UTF-8 but hold no whole sequence: left as is."""
    text = "Il a été « consulté »\nLe projet est passé»\nVoilà…\nRendez-vous à… demain"
    decoded, encoding, warnings = decode_bytes(text.encode("utf-8"), "text/html; charset=utf-8")
    assert (decoded, encoding, warnings) == (text, "utf-8", [])


def test_double_encoded_line_among_french_lines_is_repaired_alone():
    """Only the line holding a whole double-encoded sequence ('Ã©', 'â€™') is repaired."""
    text = "Voilà…\nAccord signÃ© aujourdâ€™hui\nUne idée»"
    decoded, _encoding, warnings = decode_bytes(text.encode("utf-8"), "text/html; charset=utf-8")
    assert decoded == "Voilà…\nAccord signé aujourd’hui\nUne idée»"
    assert warnings == ["double-encoded UTF-8 (mojibake such as 'Ã©') repaired"]


def test_html_named_entities_are_recovered_with_a_warning():
    """&rsquo; &nbsp; &eacute; undefined in XML: the loose parse is kept, NBSP preserved, bozo a warning."""
    feed = parse("fr-html-entities.xml")
    entry = feed.entries[0]
    assert entry.title == "L’envoyé spécial appelle à une trêve\u00a0durable"
    assert entry.summary == "«\u00a0Le temps presse\u00a0», a-t-il déclaré."
    assert feed.warnings == ["malformed XML: undefined entity (recovered) at line 4, column 14"]


def test_titles_are_decoded_exactly_once_or_twice_when_double_escaped():
    """&amp;quot; and &amp;#39; are decoded to quotes; a literal '<' stays; CDATA tags stripped."""
    feed = parse("en-double-escaped.xml")
    assert [e.title for e in feed.entries] == [
        'Envoys discuss "maritime corridor" in Muscat',
        "Envoy's tour extended by two days",
        "Tariffs < 5 % : port authority keeps fees unchanged",
        "Q&A: what the new rules mean",
    ]
    assert feed.entries[0].summary == "The talks follow the envoy's tour of the Gulf."


def test_html_typed_atom_title_keeps_escaped_tags_as_text():
    """type="html" with &lt;details&gt; gives the text '<details>'; content code is decoded once only."""
    entry = parse("atom-html-title.xml", "application/atom+xml").entries[0]
    assert entry.title == "How the <details> element hides alerts"
    assert entry.content == "Write std::map<K, V> in the sample."


def test_dates_with_zones_localized_names_and_hints():
    """Zones applied, Arabic/French/German names read, AST left unparsed without a hint, no date -> None."""
    entries = parse("dates-mixed.xml").entries
    got = [(e.published, e.timezone_assumed, e.date_unparsed) for e in entries]
    assert got == [
        ("2024-06-05T14:00:00Z", "UTC", False),
        ("2024-06-05T11:00:00Z", None, False),
        ("2024-06-05T12:00:00Z", None, False),
        (None, None, True),
        ("2024-06-05T12:00:00Z", None, False),
        (None, None, True),
        ("2024-06-05T11:00:00Z", None, False),
        (None, None, True),
    ]


def test_timezone_hint_resolves_missing_and_ambiguous_zones():
    """With the hint Asia/Riyadh, the zone-less and the AST dates are read as +03:00, and say so."""
    entries = parse("dates-mixed.xml", timezone_hint="Asia/Riyadh").entries
    assert (entries[0].published, entries[0].timezone_assumed) == ("2024-06-05T11:00:00Z", "Asia/Riyadh")
    assert (entries[3].published, entries[3].timezone_assumed) == ("2024-06-05T11:00:00Z", "Asia/Riyadh")


def test_duplicate_guids_still_yield_every_entry_keyed_by_link():
    """Three entries sharing one GUID are all kept, keyed by link, warned."""
    feed = parse("duplicate-guid.xml")
    assert [e.key for e in feed.entries] == [
        "link:https://coastguard.example.gov/notices/2024/06/03/patrol",
        "link:https://coastguard.example.gov/notices/2024/06/02/storm",
        "link:https://coastguard.example.gov/notices/2024/05/31/drill",
        "guid:cg-licence",
    ]
    assert feed.warnings == [
        "non_unique_guid: 3 entries share 1 GUID(s); their identity falls back to the link"
    ]


def test_entries_without_guid_use_the_canonical_link_else_a_content_hash():
    """No GUID: the link without tracking parameters or fragment; no link either: a hash of title and text."""
    entries = parse("no-guid.xml").entries
    assert entries[0].key == "link:https://bulletin.example.org/one?id=1"
    assert entries[0].link == "https://bulletin.example.org/one?utm_source=rss&id=1#comments"
    assert entries[1].key.startswith("hash:") and len(entries[1].key) == 5 + 64
    assert entries[1].key == parse("no-guid.xml").entries[1].key


def test_entry_level_xml_base_resolves_link_and_image():
    """An entry's xml:base applies to its link and to the images in its content (case 12 kind)."""
    entry = parse("atom-xml-base.xml", "application/atom+xml").entries[0]
    assert entry.link == "https://briefs.example.net/desk/2024/06/06/border-crossing-reopens"
    assert entry.image == "https://briefs.example.net/desk/img/crossing-88.jpg"
    assert entry.content == "Photo: and the notes."


def test_root_relative_links_and_guid_resolve_against_the_final_url():
    """Root-relative <link>, <guid> and <img> resolve against the URL the feed was fetched from."""
    feed = parse("rss-root-relative.xml", base="https://www.port.example.fr/rss/une.xml")
    entry = feed.entries[0]
    assert entry.link == entry.guid == "https://www.port.example.fr/fr/2024/06/06/conference.html"
    assert entry.key == "guid:https://www.port.example.fr/fr/2024/06/06/conference.html"
    assert entry.image == "https://www.port.example.fr/img/conference.jpg"
    assert feed.link == "https://www.port.example.fr/"


def test_ttl_is_read_in_seconds():
    """<ttl>30</ttl> means 30 minutes."""
    assert parse("fr-utf8.xml").ttl_seconds == 1800


def test_html_page_is_not_a_feed_and_shows_the_feed_it_links():
    """A bot-check page at a feed URL is NotAFeedError naming its feed link."""
    with pytest.raises(NotAFeedError) as info:
        parse("bot-check.html", "text/html; charset=UTF-8", base="https://site.example.com/rss")
    assert str(info.value) == (
        "https://site.example.com/rss: not a feed: HTML page (it links the feed https://site.example.com/feeds/main.xml)"
    )
    assert info.value.feed_link == "https://site.example.com/feeds/main.xml"


def test_empty_body_is_not_a_feed():
    """An empty 200 body is a failure, never a feed with zero entries."""
    with pytest.raises(NotAFeedError, match="not a feed: empty body"):
        parse_feed(b"  \n", "application/rss+xml", "https://e.example.org/feed")


def test_atom_feed_served_as_text_html_is_kept_with_a_warning():
    """A real feed under text/html parses, with the warning 'served as text/html'."""
    feed = parse("atom-xml-base.xml", "text/html; charset=utf-8")
    assert (feed.version, len(feed.entries)) == ("atom10", 1)
    assert feed.warnings == ["served as text/html (not an XML media type)"]


def test_entry_converts_to_entry_info_for_the_entry_job():
    """to_entry_info carries key, GUID, link, title, text, date and the hints."""
    entry = parse("fr-utf8.xml").entries[0]
    assert entry.to_entry_info("gazette", "fr") == EntryInfo(
        feed_id="gazette",
        key="guid:https://gazette.example.ch/2024/06/02/accord",
        guid="https://gazette.example.ch/2024/06/02/accord",
        link="https://gazette.example.ch/2024/06/02/accord",
        title=FR_TITLE,
        summary="Les délégations ont travaillé jusqu’à l’aube.",
        content=None,
        published="2024-06-02T16:45:00Z",
        language_hint="fr",
    )


def test_entry_without_title_link_guid_or_text_is_skipped_with_a_warning():
    """An empty <item/> is not an entry to process: skipped, and counted in an empty_entry warning."""
    data = (
        (FEEDS / "fr-utf8.xml")
        .read_bytes()
        .replace(b"</channel>", b"<item><title></title><link></link></item></channel>")
    )
    feed = parse_feed(data, "application/rss+xml", "https://gazette.example.ch/rss")
    assert [e.title for e in feed.entries] == [FR_TITLE]
    assert feed.warnings == ["empty_entry: 1 entry(ies) without title, link, GUID or text skipped"]


def test_entry_links_that_are_not_web_urls_are_dropped_and_the_entries_kept():
    """A javascript:, data: or file: link reached the stored item, the Atom feed of alerts and the
    webhook message as a clickable link (a bad-input trial). It is dropped with a warning naming the
    schemes; the entries stay, to be processed from their own text."""
    items = (
        b"<item><title>Attaque revendiquee</title><link>javascript:alert(document.cookie)</link>"
        b"<description>Un groupe arme a attaque un poste.</description></item>"
        b"<item><title>Deux</title><link>data:text/html,hello</link><guid>urn:two</guid></item>"
        b"<item><title>Trois</title><link>file:///etc/passwd</link><guid>urn:three</guid></item>"
    )
    data = (FEEDS / "fr-utf8.xml").read_bytes().replace(b"</channel>", items + b"</channel>")
    feed = parse_feed(data, "application/rss+xml", "https://gazette.example.ch/rss")
    assert [e.title for e in feed.entries] == [FR_TITLE, "Attaque revendiquee", "Deux", "Trois"]
    assert [e.link for e in feed.entries[1:]] == [None, None, None]
    assert feed.warnings == [
        "entry_link_refused: 3 entry link(s) that are no web address (data, file, javascript) dropped; "
        "the entries are kept with their own text"
    ]


def test_entry_links_that_point_at_the_feed_itself_are_dropped():
    """'#' and 'http://' resolve to the feed's own URL: the feed was fetched as the article and every
    later such entry was a URL duplicate of the first, so its story never alerted (a bad-input trial)."""
    items = (
        b"<item><title>Un</title><link>#</link><guid>urn:a</guid><description>Texte un.</description></item>"
        b"<item><title>Deux</title><link>http://</link><guid>urn:b</guid><description>Texte deux.</description></item>"
    )
    data = (FEEDS / "fr-utf8.xml").read_bytes().replace(b"</channel>", items + b"</channel>")
    feed = parse_feed(data, "application/rss+xml", "https://gazette.example.ch/rss")
    assert [(e.title, e.link) for e in feed.entries[1:]] == [("Un", None), ("Deux", None)]
    assert len({e.key for e in feed.entries}) == 3
    assert feed.warnings == [
        "entry_link_refused: 1 entry link(s) that are no web address (no host) dropped; "
        "the entries are kept with their own text",
        "entry_link_refused: 1 entry link(s) pointing at the feed itself dropped; the entries are kept with "
        "their own text",
    ]
