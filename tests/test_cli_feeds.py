"""``monitor feeds check URL``: one poll, one JSON object, exit codes; no Redis involved."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import FIXTURES, Route

FEEDS = FIXTURES / "feeds"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_LOG_FORMAT", "json")
    monkeypatch.delenv("MONITOR_ALLOW_PRIVATE_ADDRESSES", raising=False)


def run(*args: str):
    return CliRunner().invoke(app, ["feeds", "check", *args])


def test_check_prints_one_json_object_with_the_entries(http_server, cli_env):
    """--json prints url, title, encoding, warnings and entries with guid, link, title, date."""
    http_server.routes["/ar.xml"] = Route(
        200, {"Content-Type": "text/html; charset=ISO-8859-1"}, (FEEDS / "ar-windows1256.xml").read_bytes()
    )
    url = http_server.url("/ar.xml")
    result = run(url, "--json", "--allow-private")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["url"], data["final_url"], data["title"], data["encoding"]) == (
        url,
        url,
        "وكالة أنباء الواحة (مثال)",
        "windows-1256",
    )
    assert data["warnings"] == [
        "encoding mismatch: HTTP header says iso-8859-1, decoded as windows-1256",
        "served as text/html (not an XML media type)",
    ]
    first = data["entries"][0]
    assert {k: first[k] for k in ("guid", "link", "title", "published", "key")} == {
        "guid": "waha-2001",
        "link": "https://wahanews.example.org/ar/2024/06/01/2001",
        "title": "وزير الخارجية يستقبل وفدا دبلوماسيا لبحث التعاون الإقليمي",
        "published": "2024-06-01T06:30:00Z",
        "key": "guid:waha-2001",
    }
    assert len(data["entries"]) == 2


def test_check_of_an_html_page_exits_1_with_a_one_line_error(http_server, cli_env):
    """An HTML page at the URL: exit 1, one 'error:' line naming the URL, empty stdout."""
    http_server.routes["/rss"] = Route(
        200, {"Content-Type": "text/html"}, (FEEDS / "bot-check.html").read_bytes()
    )
    url = http_server.url("/rss")
    result = run(url, "--json", "--allow-private")
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {url}: not a feed: HTML page (it links the feed {http_server.url('/feeds/main.xml')})"
    ]


def test_check_refuses_loopback_without_allow_private(http_server, cli_env):
    """Without --allow-private a 127.0.0.1 URL is refused (exit 1) and never requested."""
    http_server.routes["/f.xml"] = Route(200, {}, (FEEDS / "fr-utf8.xml").read_bytes())
    result = run(http_server.url("/f.xml"), "--json")
    assert result.exit_code == 1
    assert "refused: 127.0.0.1" in result.stderr
    assert http_server.requests == []


def test_check_rejects_an_unknown_timezone_hint(cli_env):
    """A --timezone that zoneinfo does not know exits 2 naming the option."""
    result = run("http://127.0.0.1:9/f.xml", "--timezone", "Mars/Olympus")
    assert result.exit_code == 2
    assert "--timezone: unknown zone 'Mars/Olympus'" in result.stderr
