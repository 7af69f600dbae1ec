"""The redirect script of case 13 on our own fixtures: which redirects move the feed, and which fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.errors import NotAFeedError
from monitor.feeds import ParsedFeed, parse_feed
from monitor.fetch import Fetcher, FetchPolicy, FetchResult
from tests.conftest import FIXTURES, Route

FEEDS = FIXTURES / "feeds"
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=3.0)) as f:
        yield f


def poll(fetcher: Fetcher, url: str) -> tuple[FetchResult, ParsedFeed]:
    result = fetcher.fetch(url)
    return result, parse_feed(result.content, result.content_type, result.final_url)


@pytest.fixture
def site(http_server):
    """The subscribed URL /world.rss answers each poll with the next step of the script."""
    steps = [
        Route(301, {"Location": "/feeds/world.xml"}),
        Route(302, {"Location": "/tmp/world.xml?sig=abc123"}),
        Route(303, {"Location": "/feeds/world.xml"}),
        Route(307, {"Location": "/parking/?domain=www.example.org"}),
        Route(308, {"Location": "/rss/world"}),
    ]
    http_server.routes["/world.rss"] = lambda handler: steps.pop(0)
    body = (FEEDS / "rss-root-relative.xml").read_bytes()
    http_server.routes["/feeds/world.xml"] = Route(200, RSS, body)
    http_server.routes["/tmp/world.xml"] = Route(200, RSS, body)
    http_server.routes["/parking/"] = Route(
        200, {"Content-Type": "text/html"}, (FEEDS / "parking.html").read_bytes()
    )
    http_server.routes["/rss/world"] = Route(200, RSS, (FEEDS / "rss-root-relative-moved.xml").read_bytes())
    return http_server


def test_redirect_script_moves_the_feed_only_on_permanent_redirects(site, fetcher):
    """301 and 308 report the new URL; 302/303 are followed without it; a parking page is not a feed."""
    url = site.url("/world.rss")
    result, feed = poll(fetcher, url)
    first = feed.entries[0]
    assert result.permanent_redirect == site.url("/feeds/world.xml")
    assert feed.entries[0].link == site.url("/fr/2024/06/06/conference.html")

    result, feed = poll(fetcher, url)
    assert (result.final_url, result.permanent_redirect) == (site.url("/tmp/world.xml?sig=abc123"), None)
    assert feed.entries[0].link == site.url("/fr/2024/06/06/conference.html")

    result, feed = poll(fetcher, url)
    assert (result.status, result.permanent_redirect, len(feed.entries)) == (200, None, 1)

    with pytest.raises(NotAFeedError, match="not a feed: HTML page") as info:
        poll(fetcher, url)
    assert info.value.url == site.url("/parking/?domain=www.example.org")

    result, feed = poll(fetcher, url)
    assert result.permanent_redirect == site.url("/rss/world")
    entry = feed.entries[0]
    assert entry.guid == "https://news.example.org/fr/2024/06/06/conference.html"
    assert entry.link == site.url("/fr/2024/06/06/conference.html")
    assert entry.key != first.key and entry.link_key == first.link_key
