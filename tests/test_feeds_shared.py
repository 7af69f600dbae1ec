"""The case inputs of ../shared/cases and the recorded feeds of ../shared/corpus/feeds, served from
127.0.0.1 with the headers each case names (skipped when ../shared is absent)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import NotAFeedError
from monitor.feeds import ParsedFeed, parse_feed
from monitor.fetch import Fetcher, FetchPolicy, FetchResult
from tests.conftest import SHARED, Route, shared_path

pytestmark = pytest.mark.shared


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=5.0)) as f:
        yield f


@pytest.fixture(scope="module")
def detector():
    from monitor.language import LanguageDetector

    return LanguageDetector()


def case_bytes(name: str) -> bytes:
    return shared_path("cases", name).read_bytes()


def serve_and_parse(http_server, fetcher: Fetcher, name: str, content_type: str, **hints: str) -> ParsedFeed:
    http_server.routes["/feed"] = Route(200, {"Content-Type": content_type}, case_bytes(name))
    result = fetcher.fetch(http_server.url("/feed"))
    return parse_feed(result.content, result.content_type, result.final_url, **hints)


@pytest.mark.parametrize(
    ("content_type", "mismatch"),
    [
        ("application/rss+xml", None),
        (
            "application/rss+xml; charset=utf-8",
            "encoding mismatch: HTTP header says utf-8, decoded as windows-1256",
        ),
        (
            "text/html; charset=ISO-8859-1",
            "encoding mismatch: HTTP header says iso-8859-1, decoded as windows-1256",
        ),
    ],
    ids=["a", "b", "c"],
)
def test_case01_windows1256_feed_under_three_headers(http_server, fetcher, detector, content_type, mismatch):
    """Case 01: Arabic titles exactly, encoding windows-1256, a mismatch warning for b and c, language ar."""
    feed = serve_and_parse(http_server, fetcher, "01-feed-windows1256-arabic.xml", content_type)
    title = "مجلس الأمن يدين الهجوم على القافلة الإنسانية"
    assert (feed.title, feed.entries[0].title, feed.encoding) == (
        "وكالة الأنباء التجريبية",
        title,
        "windows-1256",
    )
    assert [w for w in feed.warnings if w.startswith("encoding mismatch")] == ([mismatch] if mismatch else [])
    assert detector.detect(feed.entries[0].title, feed.entries[0].summary or "").code == "ar"


def test_case03_text_xml_without_charset(http_server, fetcher):
    """Case 03: text/xml without charset is fine: 1 entry, exact title, U+2019 kept, no warning."""
    feed = serve_and_parse(http_server, fetcher, "03-feed-textxml-no-charset.xml", "text/xml")
    assert [e.title for e in feed.entries] == ["Négociations à Genève : reprise du dialogue"]
    assert "d\u2019interruption" in (feed.entries[0].summary or "")
    assert feed.warnings == []


def test_case04a_feed_served_as_html_is_kept(http_server, fetcher):
    """Case 04a: an Atom feed as text/html gives its entry and the warning 'served as text/html'."""
    feed = serve_and_parse(http_server, fetcher, "04-feed-served-as-html.xml", "text/html; charset=utf-8")
    entry = feed.entries[0]
    assert (entry.title, entry.link) == (
        "Déclaration conjointe sur la sécurité maritime",
        "https://diplomatie.example.fr/communiques/2024/0512",
    )
    assert "served as text/html (not an XML media type)" in feed.warnings


def test_case04b_bot_check_page_is_not_a_feed(http_server, fetcher):
    """Case 04b: the 'Just a moment...' page is a failure 'not a feed: HTML page', never a feed."""
    with pytest.raises(NotAFeedError, match="not a feed: HTML page"):
        serve_and_parse(http_server, fetcher, "04-feed-served-as-html.b.html", "text/html; charset=UTF-8")


def test_case05_html_named_entities(http_server, fetcher):
    """Case 05: exact title with NBSP, exact description, warning 'undefined entity (recovered)', with
    where the parser stopped."""
    feed = serve_and_parse(http_server, fetcher, "05-feed-html-named-entities.xml", "application/rss+xml")
    entry = feed.entries[0]
    assert entry.title == "L’ONU appelle à un cessez-le-feu\u00a0immédiat"
    assert entry.summary == "«\u00a0Il faut agir maintenant\u00a0», a déclaré le porte-parole."
    assert feed.warnings == ["malformed XML: undefined entity (recovered) at line 6, column 22"]


def test_case07_double_encoded_titles(http_server, fetcher):
    """Case 07: double-escaped titles decoded, '<' kept, no text lost."""
    feed = serve_and_parse(http_server, fetcher, "07-feed-double-encoded-title.xml", "application/rss+xml")
    assert [(e.guid, e.title) for e in feed.entries] == [
        ("gd-5001", 'Talks on "border security" resume in Doha'),
        ("gd-5002", "Minister's visit to Muscat postponed"),
        ("gd-5003", "Inflation < 2 % : la banque centrale maintient ses taux"),
    ]
    assert feed.entries[0].summary == "Delegations meet again after the minister's visit."


def test_case07b_html_title_is_not_over_decoded(http_server, fetcher):
    """Case 07b: '<dialog>' stays as text in the title; the content renders to 'std::vector<int>'."""
    feed = serve_and_parse(http_server, fetcher, "07-feed-double-encoded-title.b.xml", "application/atom+xml")
    entry = feed.entries[0]
    assert entry.title == "Why the <dialog> element matters for accessible alerts"
    assert entry.content == "Use std::vector<int> here."


def test_case09_dates_without_hint(http_server, fetcher):
    """Case 09: d-1 UTC assumed, d-2/d-3/d-5 localized names read, d-4 AST not guessed, d-6 no date."""
    feed = serve_and_parse(
        http_server, fetcher, "09-feed-date-missing-tz-localized.xml", "application/rss+xml"
    )
    got = {e.guid: (e.published, e.timezone_assumed, e.date_unparsed) for e in feed.entries}
    assert got == {
        "d-1": ("2024-05-12T10:00:00Z", "UTC", False),
        "d-2": ("2024-05-12T07:00:00Z", None, False),
        "d-3": ("2024-05-12T08:00:00Z", None, False),
        "d-4": (None, None, True),
        "d-5": ("2024-05-12T08:00:00Z", None, False),
        "d-6": (None, None, True),
    }


def test_case09_ast_with_a_gulf_timezone_hint(http_server, fetcher):
    """Case 09 d-4: with the per-source hint Asia/Riyadh, AST is +03:00 -> 07:00Z, never Atlantic 14:00Z."""
    feed = serve_and_parse(
        http_server,
        fetcher,
        "09-feed-date-missing-tz-localized.xml",
        "application/rss+xml",
        timezone_hint="Asia/Riyadh",
    )
    d4 = next(e for e in feed.entries if e.guid == "d-4")
    assert (d4.published, d4.timezone_assumed) == ("2024-05-12T07:00:00Z", "Asia/Riyadh")


def test_case10_duplicate_guid(http_server, fetcher):
    """Case 10: 3 distinct entries with their links, distinct keys, a non_unique_guid warning."""
    feed = serve_and_parse(http_server, fetcher, "10-feed-duplicate-guid.xml", "application/rss+xml")
    assert [e.link.rsplit("/press/", 1)[1] for e in feed.entries] == [
        "2024/05/12/raid",
        "2024/05/11/visa",
        "2024/05/10/chiefs",
    ]
    assert len({e.key for e in feed.entries}) == 3
    assert [w for w in feed.warnings if w.startswith("non_unique_guid")] == [
        "non_unique_guid: 3 entries share 1 GUID(s); their identity falls back to the link"
    ]


def test_case12_atom_entry_xml_base():
    """Case 12 Atom: entry-level xml:base gives the link and the image URL."""
    feed = parse_feed(
        case_bytes("12-feed-relative-links-xml-base.xml"),
        "application/atom+xml",
        "https://analysis.example.net/feed",
    )
    entry = feed.entries[0]
    assert entry.link == "https://analysis.example.net/briefings/2024/05/12/ceasefire-talks-resume"
    assert entry.image == "https://analysis.example.net/briefings/img/map-4711.png"


def test_case12_rss_root_relative_links_use_the_final_url():
    """Case 12 RSS: link, GUID and image resolve against https://www.journal.example.fr/rss/une.xml."""
    base = "https://www.journal.example.fr/rss/une.xml"
    entry = parse_feed(
        case_bytes("12-feed-relative-links-xml-base.b.xml"), "application/rss+xml", base
    ).entries[0]
    assert entry.link == entry.guid == "https://www.journal.example.fr/fr/2024/05/12/sommet.html"
    assert entry.image == "https://www.journal.example.fr/img/sommet.jpg"


def test_case13_redirect_script(http_server, fetcher):
    """Case 13: 301/308 move the feed, 302/303 do not, parking page is not a feed; final-URL links."""
    body = case_bytes("12-feed-relative-links-xml-base.b.xml")
    moved = body.replace(b"<guid>/", b"<guid>https://news.example.org/")
    steps = [
        Route(301, {"Location": "/feeds/world.xml"}),
        Route(302, {"Location": "/tmp/world.xml?sig=abc123"}),
        Route(303, {"Location": "/feeds/world.xml"}),
        Route(307, {"Location": "/parking/?domain=www.example.org"}),
        Route(308, {"Location": "/rss/world"}),
    ]
    rss = {"Content-Type": "application/rss+xml; charset=utf-8"}
    http_server.routes.update(
        {
            "/world.rss": lambda handler: steps.pop(0),
            "/feeds/world.xml": Route(200, rss, body),
            "/tmp/world.xml": Route(200, rss, body),
            "/parking/": Route(
                200,
                {"Content-Type": "text/html"},
                b"<html><head><title>This domain may be for sale</title>"
                b"</head><body><p>Buy this domain</p></body></html>",
            ),
            "/rss/world": Route(200, rss, moved),
        }
    )
    url = http_server.url("/world.rss")

    def poll() -> tuple[FetchResult, ParsedFeed]:
        result = fetcher.fetch(url)
        return result, parse_feed(result.content, result.content_type, result.final_url)

    result, feed = poll()
    assert result.permanent_redirect == http_server.url("/feeds/world.xml")
    assert feed.entries[0].link == http_server.url("/fr/2024/05/12/sommet.html")
    assert [poll()[0].permanent_redirect for _ in range(2)] == [None, None]
    with pytest.raises(NotAFeedError, match="not a feed: HTML page"):
        poll()
    result, feed = poll()
    assert result.permanent_redirect == http_server.url("/rss/world")
    assert feed.entries[0].guid == "https://news.example.org/fr/2024/05/12/sommet.html"
    assert feed.entries[0].link == http_server.url("/fr/2024/05/12/sommet.html")


def _manifest_counts() -> dict[str, int]:
    text = shared_path("corpus", "MANIFEST.md").read_text(encoding="utf-8")
    return {
        m.group(1): int(m.group(2)) for m in re.finditer(r"^\| feeds/(\S+) \|.*?\[(\d+) items", text, re.M)
    }


CORPUS_FEEDS = sorted(p.name for p in (SHARED / "corpus" / "feeds").glob("*.xml")) or ["absent.xml"]
EXACT_TITLES = {
    "ar-justselective-rss.xml": "يونيك - توب شوب ربيع/صيف 2012 في أسبوع لندن للأزياء",
    "fr-lemonde-une-rss.xml": "JO d’hiver 2018 : pas de médaille pour Martin Fourcade",
    "fr-leparisien-une-rss-mojibake.xml": "Neige et pluie verglaçante : alerte étendue à 37 départements",
    "fr-cerclepsy-rss-iso88591-nodecl.xml": "Perturbateurs endocriniens : quels effets sur le cerveau ?",
    "pt-jornaldenoticias-rss-iso88591.xml": "Mãe de utente é a nova presidente da Raríssimas",
    "fr-rue89-une-rss.xml": (
        "Quand Jérôme Cahuzac trouvait que «\u00a0sa présence finissait par rejaillir sur...\u00a0»"
    ),
    "ru-ibash-rss-windows1251.xml": "Цитата #17703",
}


@pytest.mark.parametrize("name", CORPUS_FEEDS)
def test_feeds_check_reads_every_recorded_feed(http_server, monkeypatch, name):
    """`feeds check --json` exits 0 with the MANIFEST's entry count, titles as the publisher wrote them."""
    path = shared_path("corpus", "feeds", name)
    monkeypatch.setenv("MONITOR_LOG_FORMAT", "json")
    http_server.routes["/" + name] = Route(200, {"Content-Type": "application/xml"}, path.read_bytes())
    result = CliRunner().invoke(
        app, ["feeds", "check", http_server.url("/" + name), "--json", "--allow-private"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    skipped = sum(int(w.split()[1]) for w in data["warnings"] if w.startswith("empty_entry:"))
    assert len(data["entries"]) + skipped == _manifest_counts()[name]
    assert len(data["entries"]) > 0
    assert all(e["title"] and e["link"] and e["published"] for e in data["entries"])
    assert not any("Ã" in e["title"] or "\ufffd" in e["title"] for e in data["entries"])
    if name in EXACT_TITLES:
        assert data["entries"][0]["title"] == EXACT_TITLES[name]
