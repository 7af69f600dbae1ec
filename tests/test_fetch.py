"""The fetch layer against real HTTP servers on 127.0.0.1: limits, redirects, compression, statuses."""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from monitor import USER_AGENT
from monitor.errors import PermanentFetchError, TransientFetchError
from monitor.fetch import Fetcher, FetchPolicy, Validators, address_is_public, parse_retry_after
from tests.conftest import FIXTURES, Route

FEED = (FIXTURES / "feeds" / "fr-utf8.xml").read_bytes()
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=2.0, connect_timeout=1.0)) as f:
        yield f


def test_plain_fetch_returns_body_headers_and_validators(http_server, fetcher):
    """A 200 gives the exact body, lower-case headers, ETag/Last-Modified and our User-Agent."""
    http_server.routes["/feed.xml"] = Route(
        200, {**RSS, "ETag": '"v1"', "Last-Modified": "Sun, 02 Jun 2024 18:00:00 GMT"}, FEED
    )
    result = fetcher.fetch(http_server.url("/feed.xml"))
    assert (result.status, result.content, result.content_type) == (200, FEED, RSS["Content-Type"])
    assert result.validators == Validators('"v1"', "Sun, 02 Jun 2024 18:00:00 GMT")
    assert result.headers["etag"] == '"v1"'
    assert (result.not_modified, result.permanent_redirect, result.redirects) == (False, None, ())
    assert http_server.requests[0][2]["User-Agent"] == USER_AGENT


def test_conditional_get_sends_validators_and_304_is_not_modified(http_server, fetcher):
    """Stored validators go out as If-None-Match / If-Modified-Since; a 304 is returned with no body."""
    http_server.routes["/feed.xml"] = Route(304, {"ETag": '"v1"'}, b"")
    result = fetcher.fetch(http_server.url("/feed.xml"), Validators('"v1"', "Sun, 02 Jun 2024 18:00:00 GMT"))
    sent = http_server.requests[0][2]
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', "Sun, 02 Jun 2024 18:00:00 GMT")
    assert (result.status, result.not_modified, result.content) == (304, True, b"")


def test_ignore_validators_sends_an_unconditional_get(http_server, fetcher):
    """With ignore_validators the request carries no conditional headers (servers whose validators lie)."""
    http_server.routes["/feed.xml"] = Route(200, RSS, FEED)
    fetcher.fetch(http_server.url("/feed.xml"), Validators('"v1"', "x"), ignore_validators=True)
    assert "If-None-Match" not in http_server.requests[0][2]
    assert "If-Modified-Since" not in http_server.requests[0][2]


def test_gzip_body_is_decompressed(http_server, fetcher):
    """A Content-Encoding: gzip body comes back decompressed, byte for byte."""
    http_server.routes["/gz"] = Route(200, {**RSS, "Content-Encoding": "gzip"}, gzip.compress(FEED))
    assert fetcher.fetch(http_server.url("/gz")).content == FEED


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib-wrapped", "raw"])
def test_deflate_body_is_decompressed_in_both_wrappings(http_server, fetcher, wbits):
    """Content-Encoding: deflate is read whether the server sends zlib-wrapped or raw deflate data."""
    comp = zlib.compressobj(wbits=wbits)
    http_server.routes["/df"] = Route(
        200, {**RSS, "Content-Encoding": "deflate"}, comp.compress(FEED) + comp.flush()
    )
    assert fetcher.fetch(http_server.url("/df")).content == FEED


def test_truncated_gzip_body_is_an_error_not_an_empty_feed(http_server, fetcher):
    """A gzip stream cut before its end marker is a permanent error naming the URL."""
    http_server.routes["/cut"] = Route(
        200, {**RSS, "Content-Encoding": "gzip"}, gzip.compress(FEED * 20)[:-40]
    )
    url = http_server.url("/cut")
    with pytest.raises(PermanentFetchError, match="truncated gzip body") as info:
        fetcher.fetch(url)
    assert info.value.url == url


def test_corrupt_gzip_body_is_an_error(http_server, fetcher):
    """Bytes that start like gzip but are garbage raise 'corrupt gzip body'."""
    http_server.routes["/bad"] = Route(
        200, {**RSS, "Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00garbage-not-deflate"
    )
    with pytest.raises(PermanentFetchError, match="corrupt gzip body"):
        fetcher.fetch(http_server.url("/bad"))


def test_body_labelled_gzip_but_plain_is_read_as_is_with_a_warning(http_server, fetcher):
    """A plain body under Content-Encoding: gzip is recognised and read unchanged, with a warning."""
    http_server.routes["/lie"] = Route(200, {**RSS, "Content-Encoding": "gzip"}, FEED)
    result = fetcher.fetch(http_server.url("/lie"))
    assert result.content == FEED
    assert result.warnings == ("body labelled Content-Encoding gzip is not compressed; read as-is",)


def test_gzip_body_without_label_is_decompressed_with_a_warning(http_server, fetcher):
    """A gzip body served without Content-Encoding (a .xml.gz file) is recognised and decompressed."""
    http_server.routes["/feed.xml.gz"] = Route(
        200, {"Content-Type": "application/x-gzip"}, gzip.compress(FEED)
    )
    result = fetcher.fetch(http_server.url("/feed.xml.gz"))
    assert result.content == FEED
    assert result.warnings == ("gzip-compressed body without Content-Encoding; decompressed",)


def test_declared_length_over_the_cap_fails_before_reading(http_server):
    """A Content-Length above max_bytes ends the fetch with an error naming the cap."""
    http_server.routes["/big"] = Route(200, RSS, b"x" * 5000)
    with Fetcher(FetchPolicy(allow_private_addresses=True, max_bytes=4096)) as f:
        with pytest.raises(PermanentFetchError, match="5000 bytes is larger than the byte cap of 4096 bytes"):
            f.fetch(http_server.url("/big"))


def test_undeclared_body_over_the_cap_stops_the_read(raw_server):
    """A body without Content-Length is cut off once it passes max_bytes, with a clear error."""

    def endless(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n")
        for _ in range(100):
            conn.sendall(b"<item>" + b"x" * 1024 + b"</item>")

    base = raw_server(endless)
    with Fetcher(FetchPolicy(allow_private_addresses=True, max_bytes=8192)) as f:
        with pytest.raises(PermanentFetchError, match="body larger than the byte cap of 8192 bytes"):
            f.fetch(base + "/feed")


def test_gzip_bomb_is_capped_after_decompression(http_server):
    """A small gzip body that inflates past max_bytes is stopped by the cap on decompressed bytes."""
    bomb = gzip.compress(b"\0" * 1_000_000)
    http_server.routes["/bomb"] = Route(200, {**RSS, "Content-Encoding": "gzip"}, bomb)
    with Fetcher(FetchPolicy(allow_private_addresses=True, max_bytes=65536)) as f:
        with pytest.raises(PermanentFetchError, match="byte cap of 65536"):
            f.fetch(http_server.url("/bomb"))


def test_tarpit_that_never_answers_times_out_within_the_deadline(raw_server):
    """A server that accepts and never answers ends in a transient 'timeout' at the overall deadline."""
    base = raw_server(lambda conn: time.sleep(5))
    with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=1.0)) as f:
        started = time.monotonic()
        with pytest.raises(TransientFetchError, match="timeout"):
            f.fetch(base + "/feed")
    assert 0.9 <= time.monotonic() - started < 2.0


def test_trickled_body_is_stopped_by_the_overall_deadline(raw_server):
    """A body trickled one byte at a time, each byte inside any read timeout, is stopped by the deadline."""

    def trickle(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            conn.sendall(b"x")
            time.sleep(0.2)

    base = raw_server(trickle)
    with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=1.5)) as f:
        started = time.monotonic()
        with pytest.raises(
            TransientFetchError, match="timeout: no complete response within the 1.5 s deadline"
        ):
            f.fetch(base + "/feed")
    assert 1.4 <= time.monotonic() - started < 2.5


def test_body_shorter_than_its_content_length_is_a_transient_error(raw_server):
    """A connection closed before Content-Length bytes arrived is an error, never a short feed."""

    def short(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n<rss>"
        )

    base = raw_server(short)
    with Fetcher(FetchPolicy(allow_private_addresses=True, total_timeout=2.0)) as f:
        with pytest.raises(TransientFetchError, match="connection broken"):
            f.fetch(base + "/feed")


def test_loopback_address_is_refused_by_default(http_server):
    """Without allow_private_addresses a loopback target is refused, naming the address and how to
    allow it (a trial tried ``feeds check`` on loopback and did not find ``--allow-private``)."""
    http_server.routes["/feed.xml"] = Route(200, RSS, FEED)
    with Fetcher(FetchPolicy()) as f:
        with pytest.raises(
            PermanentFetchError,
            match=r"refused: 127\.0\.0\.1 is a private, loopback or reserved address \(to fetch it anyway: "
            r"MONITOR_ALLOW_PRIVATE_ADDRESSES=true, or --allow-private for 'feeds check'\)",
        ):
            f.fetch(http_server.url("/feed.xml"))
    assert http_server.requests == []


def test_non_http_url_is_refused(fetcher):
    """A file: URL is not fetched."""
    with pytest.raises(PermanentFetchError, match="not an http\\(s\\) URL"):
        fetcher.fetch("file:///etc/passwd")


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (404, PermanentFetchError, "not found \\(HTTP 404\\)"),
        (410, PermanentFetchError, "gone \\(HTTP 410\\)"),
        (403, PermanentFetchError, "HTTP 403 Forbidden"),
        (500, TransientFetchError, "HTTP 500"),
        (502, TransientFetchError, "HTTP 502"),
    ],
)
def test_error_statuses_map_to_permanent_or_transient(http_server, fetcher, status, error, text):
    """4xx are permanent (410 says gone), 5xx transient; each error names the URL and keeps the status."""
    http_server.routes["/f"] = Route(status, {"Content-Type": "text/plain"}, b"no")
    with pytest.raises(error, match=text) as info:
        fetcher.fetch(http_server.url("/f"))
    assert (info.value.status, info.value.url) == (status, http_server.url("/f"))


def test_429_with_retry_after_seconds_is_transient_with_the_delay(http_server, fetcher):
    """429 Too Many Requests with Retry-After: 120 gives a transient error with retry_after=120."""
    http_server.routes["/f"] = Route(429, {"Retry-After": "120"}, b"")
    with pytest.raises(TransientFetchError, match="HTTP 429") as info:
        fetcher.fetch(http_server.url("/f"))
    assert info.value.retry_after == 120.0


def test_503_with_retry_after_http_date_gives_seconds_until_then(http_server, fetcher):
    """503 with Retry-After as an HTTP-date 10 minutes ahead gives retry_after of about 600 s."""
    when = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    http_server.routes["/f"] = Route(503, {"Retry-After": when}, b"")
    with pytest.raises(TransientFetchError) as info:
        fetcher.fetch(http_server.url("/f"))
    assert info.value.retry_after is not None and 590 <= info.value.retry_after <= 600


def test_retry_after_parsing_rejects_garbage_and_clamps_past_dates():
    """Unreadable Retry-After values give None; a date in the past gives 0."""
    assert parse_retry_after("soon") is None
    assert (
        parse_retry_after("Sun, 02 Jun 2024 18:00:00 GMT", now=datetime(2024, 6, 3, tzinfo=UTC).timestamp())
        == 0.0
    )
    assert parse_retry_after(" 30 ") == 30.0


def _redirect(status: int, location: str) -> Route:
    return Route(status, {"Location": location}, b"")


def test_chain_of_301_and_308_is_a_permanent_redirect(http_server, fetcher):
    """When every hop is 301/308, permanent_redirect is the final URL (redirect history, not final status)."""
    http_server.routes["/old"] = _redirect(301, "/mid")
    http_server.routes["/mid"] = _redirect(308, "/new.xml")
    http_server.routes["/new.xml"] = Route(200, RSS, FEED)
    result = fetcher.fetch(http_server.url("/old"))
    assert result.permanent_redirect == http_server.url("/new.xml") == result.final_url
    assert result.redirects == ((301, http_server.url("/mid")), (308, http_server.url("/new.xml")))


def test_a_temporary_hop_in_the_chain_means_no_permanent_redirect(http_server, fetcher):
    """301 then 302: followed, but the stored URL must not change (permanent_redirect is None)."""
    http_server.routes["/old"] = _redirect(301, "/mid")
    http_server.routes["/mid"] = _redirect(302, "/tmp.xml?sig=1")
    http_server.routes["/tmp.xml"] = Route(200, RSS, FEED)
    result = fetcher.fetch(http_server.url("/old"))
    assert (result.final_url, result.permanent_redirect) == (http_server.url("/tmp.xml?sig=1"), None)


def test_redirect_loop_fails_fast(http_server, fetcher):
    """A redirect cycle ends at once with 'redirect loop', not after the timeout."""
    http_server.routes["/a"] = _redirect(302, "/b")
    http_server.routes["/b"] = _redirect(302, "/a")
    started = time.monotonic()
    with pytest.raises(PermanentFetchError, match="redirect loop"):
        fetcher.fetch(http_server.url("/a"))
    assert time.monotonic() - started < 0.5
    assert len(http_server.requests) == 2


def test_more_than_five_redirects_fail(http_server, fetcher):
    """A chain of 6 distinct redirects exceeds max_redirects=5."""
    for i in range(6):
        http_server.routes[f"/r{i}"] = _redirect(302, f"/r{i + 1}")
    http_server.routes["/r6"] = Route(200, RSS, FEED)
    with pytest.raises(PermanentFetchError, match="more than 5 redirects"):
        fetcher.fetch(http_server.url("/r0"))


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
    ],
)
def test_address_check_refuses_private_loopback_and_link_local(ip, public):
    """The per-connection address check (run on every hop, each hop opens its own connection)."""
    assert address_is_public(ip) is public


def test_policy_from_settings_takes_caps_timeouts_and_the_private_switch():
    """FetchPolicy.from_settings reads the byte cap, timeouts and allow_private_addresses; overrides win."""
    from monitor.settings import Settings

    settings = Settings.load(max_document_bytes=2048, fetch_total_timeout=12.5, allow_private_addresses=True)
    policy = FetchPolicy.from_settings(settings, connect_timeout=3.0)
    assert (policy.max_bytes, policy.total_timeout, policy.connect_timeout) == (2048, 12.5, 3.0)
    assert (policy.allow_private_addresses, policy.max_redirects, policy.user_agent) == (True, 5, USER_AGENT)


def test_redirect_to_a_non_http_scheme_is_refused(http_server, fetcher):
    """A Location pointing at file:// (or any non-http scheme) ends the fetch with a permanent error
    that says a redirect was refused and quotes the Location as sent."""
    http_server.routes["/f"] = _redirect(302, "file:///etc/passwd")
    with pytest.raises(
        PermanentFetchError, match=r"redirect to 'file:///etc/passwd' refused: not an http\(s\) URL \(file scheme\)"
    ):
        fetcher.fetch(http_server.url("/f"))
