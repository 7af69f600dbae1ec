"""One feed poll (`workers.polls.poll_feed`) against a real HTTP server and Redis: what is
requested, what is enqueued on `entries`, and what the feed's state records."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

from monitor.feedstate import FeedState, FeedStateStore
from monitor.keys import Keys
from tests.conftest import LoopbackServer, Route
from tests.feed_helpers import RSS_HEADERS, rss, write_config
from tests.helpers import json_lines, run_monitor
from workers.polls import poll_feed

pytestmark = pytest.mark.integration

ITEMS = [
    ("urn:example:1", "https://wire.example.com/a/1", "Talks resume in Geneva"),
    ("urn:example:2", "https://wire.example.com/a/2", "Ceasefire holds for a second week"),
]


@pytest.fixture
def feeds(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write feeds.yaml with the given feeds (interval 600 s) and point MONITOR_CONFIG_DIR at it."""
    monkeypatch.setenv("MONITOR_HOST_MIN_START_INTERVAL", "0")

    def make(*specs: dict[str, Any]) -> None:
        rows = [{"interval": 600, "min_interval": 60, **spec} for spec in specs]
        monkeypatch.setenv("MONITOR_CONFIG_DIR", str(write_config(tmp_path / "config", rows)))

    return make


def _state(client: redis.Redis, env: dict[str, str], feed_id: str) -> FeedState:
    return FeedStateStore(client, Keys(env["MONITOR_KEY_PREFIX"]), 86400).load(feed_id)


def _entry_jobs(client: redis.Redis, env: dict[str, str]) -> list[dict[str, Any]]:
    q = Queue(Keys(env["MONITOR_KEY_PREFIX"]).queue("entries"), connection=client, serializer=JSONSerializer)
    return [job.args[0] for job in q.get_jobs()]


def _gets(server: LoopbackServer, path: str) -> list[dict[str, str]]:
    return [headers for method, p, headers in server.requests if p == path]


def test_conditional_get_and_304_enqueue_nothing(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """Poll 1 enqueues 2 entries and stores ETag/Last-Modified; poll 2 sends them, gets 304, enqueues 0."""
    feeds({"id": "wire", "url": http_server.url("/wire.xml"), "language": "en"})
    lm = "Sun, 12 May 2024 09:00:00 GMT"

    def route(handler: Any) -> Route:
        if handler.headers.get("If-None-Match") == '"v1"':
            return Route(304, {"ETag": '"v1"'})
        return Route(200, {**RSS_HEADERS, "ETag": '"v1"', "Last-Modified": lm}, rss(ITEMS))

    http_server.routes["/wire.xml"] = route
    first = poll_feed("wire", 1)
    assert (first["status"], first["entries"], first["new"]) == (200, 2, 2)
    jobs = _entry_jobs(redis_client, env)
    assert sorted(j["link"] for j in jobs) == ["https://wire.example.com/a/1", "https://wire.example.com/a/2"]
    assert {j["feed_id"] for j in jobs} == {"wire"}
    assert {j["language_hint"] for j in jobs} == {"en"}
    second = poll_feed("wire", 2)
    assert (second["status"], second["entries"], second["new"]) == (304, 0, 0)
    [_, again] = _gets(http_server, "/wire.xml")
    assert again["If-None-Match"] == '"v1"'
    assert again["If-Modified-Since"] == lm
    assert len(_entry_jobs(redis_client, env)) == 2
    state = _state(redis_client, env, "wire")
    assert (state.last_status, state.entries_found, state.etag, state.last_modified) == (304, 2, '"v1"', lm)
    assert state.health == "ok"


def test_ignore_validators_sends_no_conditional_headers(feeds, http_server: LoopbackServer) -> None:
    """With ignore_validators the second GET carries neither If-None-Match nor If-Modified-Since."""
    feeds({"id": "liar", "url": http_server.url("/liar.xml"), "ignore_validators": True})
    http_server.routes["/liar.xml"] = Route(
        200, {**RSS_HEADERS, "ETag": '"same"', "Last-Modified": "Sun, 12 May 2024 09:00:00 GMT"}, rss(ITEMS)
    )
    poll_feed("liar", 1)
    poll_feed("liar", 2)
    second = _gets(http_server, "/liar.xml")[1]
    assert "If-None-Match" not in second and "If-Modified-Since" not in second


def test_duplicate_guid_feed_yields_every_entry_once(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """Three entries sharing one GUID are enqueued 3 times on the first poll and 0 times on the second."""
    feeds({"id": "dup", "url": http_server.url("/dup.xml")})
    items = [("same-guid", f"https://wire.example.com/d/{i}", f"Story number {i}") for i in range(3)]
    http_server.routes["/dup.xml"] = Route(200, RSS_HEADERS, rss(items))
    assert poll_feed("dup", 1)["new"] == 3
    assert poll_feed("dup", 2)["new"] == 0
    assert sorted(j["title"] for j in _entry_jobs(redis_client, env)) == [
        "Story number 0",
        "Story number 1",
        "Story number 2",
    ]


def test_410_disables_the_feed_with_the_reason(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """A 410 disables the feed (reason kept, health disabled); the next poll sends no request."""
    feeds({"id": "gone", "url": http_server.url("/gone.xml")})
    http_server.routes["/gone.xml"] = Route(410, {"Content-Type": "text/plain"}, b"gone")
    out = poll_feed("gone", 1)
    assert out["status"] == 410
    state = _state(redis_client, env, "gone")
    assert state.health == "disabled"
    assert state.disabled_reason and state.disabled_reason.startswith("410 Gone: gone (HTTP 410)")
    assert poll_feed("gone", 2)["skipped"].startswith("disabled: 410 Gone")
    assert len(_gets(http_server, "/gone.xml")) == 1


def test_429_retry_after_backs_off_the_feed_and_its_host(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """429 with Retry-After: 120 holds the feed 120 s; a second feed of the host is not requested
    and returns at a de-synchronised time between 120 and 180 s from now."""
    feeds(
        {"id": "busy", "url": http_server.url("/busy.xml")},
        {"id": "sibling", "url": http_server.url("/sib.xml")},
    )
    http_server.routes["/busy.xml"] = Route(
        429, {"Retry-After": "120", "Content-Type": "text/plain"}, b"slow down"
    )
    http_server.routes["/sib.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    before = time.time()
    out = poll_feed("busy", 1)
    assert out["status"] == 429
    busy = _state(redis_client, env, "busy")
    assert busy.consecutive_errors == 1
    assert 119 <= busy.backoff_until - before <= 122
    sib = poll_feed("sibling", 1)
    assert sib["skipped"] == "host 127.0.0.1 asked us to wait (429)"
    assert _gets(http_server, "/sib.xml") == []
    sib_state = _state(redis_client, env, "sibling")
    assert busy.backoff_until <= sib_state.backoff_until <= busy.backoff_until + 61
    assert poll_feed("busy", 2)["skipped"] == "backing off"
    assert len(_gets(http_server, "/busy.xml")) == 1


def test_a_feed_refused_again_and_again_waits_longer_but_holds_its_host_for_retry_after_only(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """A feed answering 429 (Retry-After: 120) for good came back every 120 s and each time closed
    its host for 120 s more, so the host's other feeds were skipped for as long as it lasted (a
    bad-input trial). Its own wait now grows (120, then its 600 s interval, then 1,200 s) while the
    host is marked for the 120 s it asked each time."""
    feeds({"id": "refused", "url": http_server.url("/refused.xml"), "adaptive": False})
    http_server.routes["/refused.xml"] = Route(429, {"Retry-After": "120", "Content-Type": "text/plain"}, b"no")
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    store = FeedStateStore(redis_client, keys, 86400)
    feed_waits, host_waits = [], []
    for slot in range(3):
        poll_feed("refused", slot)
        state = store.load("refused")
        feed_waits.append(round(state.backoff_until - state.last_poll_at))
        host_waits.append(round(float(redis_client.get(keys.host_backoff("127.0.0.1"))) - state.last_poll_at))
        state.backoff_until = time.time() - 1  # as if the back-off had passed
        store.save("refused", state)
        redis_client.delete(keys.host_backoff("127.0.0.1"))
    assert feed_waits == [120, 600, 1200]
    assert host_waits == [120, 120, 120]
    # a feed polled every 30 s: refused again, it comes back after the host's other feeds, which
    # return within 120-180 s (a trial saw it re-close the host each time they came back)
    feeds({"id": "refused", "url": http_server.url("/refused.xml"), "adaptive": False, "interval": 30})
    redis_client.delete(keys.feed_state("refused"))
    waits = []
    for slot in range(10, 15):
        poll_feed("refused", slot)
        state = store.load("refused")
        waits.append(round(state.backoff_until - state.last_poll_at))
        state.backoff_until = time.time() - 1
        store.save("refused", state)
        redis_client.delete(keys.host_backoff("127.0.0.1"))
    assert waits == [120, 180, 180, 180, 240]


def test_backoff_grows_then_resets_on_success(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """Three 500s give back-offs of 600, 1200, 2400 s and health failing; one 200 resets to ok."""
    feeds({"id": "flaky", "url": http_server.url("/flaky.xml"), "adaptive": False})
    http_server.routes["/flaky.xml"] = Route(500, {"Content-Type": "text/plain"}, b"oops")
    delays, healths = [], []
    store = FeedStateStore(redis_client, Keys(env["MONITOR_KEY_PREFIX"]), 86400)
    for slot in range(3):
        poll_feed("flaky", slot)
        state = store.load("flaky")
        delays.append(round(state.backoff_until - state.last_poll_at))
        healths.append(state.health)
        state.backoff_until = time.time() - 1  # as if the back-off had passed
        store.save("flaky", state)
    assert delays == [600, 1200, 2400]
    assert healths == ["degraded", "degraded", "failing"]
    assert store.load("flaky").last_error == "HTTP 500 Internal Server Error"
    http_server.routes["/flaky.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    assert poll_feed("flaky", 4)["new"] == 2
    state = store.load("flaky")
    assert (state.consecutive_errors, state.backoff_until, state.last_error, state.health) == (
        0,
        None,
        None,
        "ok",
    )


def test_redirect_bookkeeping_and_guid_churn(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """301 updates the stored URL, 302 and 303 do not, a 307 to a parking page is a "not a feed"
    failure keeping the seen entries, and a 308 to a host that rewrote every GUID and link host
    gives 0 new entries."""
    feeds({"id": "moved", "url": http_server.url("/old.rss")})
    moved_items = [
        (
            f"https://news.example.org/{g.split(':')[-1]}",
            link.replace("wire.example.com", "news.example.org"),
            t,
        )
        for g, link, t in ITEMS
    ]
    http_server.routes["/old.rss"] = Route(301, {"Location": "/feeds/world.xml"})
    http_server.routes["/feeds/world.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    http_server.routes["/tmp.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    http_server.routes["/parking"] = Route(
        200,
        {"Content-Type": "text/html"},
        b"<html><head><title>For sale</title></head><body><p>Buy</p></body></html>",
    )
    http_server.routes["/rss/world"] = Route(200, RSS_HEADERS, rss(moved_items))
    stored = http_server.url("/feeds/world.xml")

    assert poll_feed("moved", 1)["new"] == 2
    assert _state(redis_client, env, "moved").url == stored
    http_server.routes["/feeds/world.xml"] = Route(302, {"Location": "/tmp.xml?sig=abc123"})
    assert poll_feed("moved", 2)["status"] == 200
    http_server.routes["/feeds/world.xml"] = Route(303, {"Location": "/tmp.xml"})
    assert poll_feed("moved", 3)["status"] == 200
    assert _state(redis_client, env, "moved").url == stored
    http_server.routes["/feeds/world.xml"] = Route(307, {"Location": "/parking"})
    parked = poll_feed("moved", 4)
    assert parked["error"].startswith("not a feed")
    state = _state(redis_client, env, "moved")
    assert (state.url, state.consecutive_errors, state.last_status, state.entries_found) == (
        stored,
        1,
        200,
        2,
    )
    state.backoff_until = None
    FeedStateStore(redis_client, Keys(env["MONITOR_KEY_PREFIX"]), 86400).save("moved", state)
    http_server.routes["/feeds/world.xml"] = Route(308, {"Location": "/rss/world"})
    final = poll_feed("moved", 5)
    assert (final["status"], final["entries"], final["new"]) == (200, 2, 0)
    assert _state(redis_client, env, "moved").url == http_server.url("/rss/world")
    assert len(_entry_jobs(redis_client, env)) == 2


def test_html_page_at_feed_url_is_a_failure_that_keeps_known_entries(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """A bot-check HTML page is "not a feed": errors 1, no entry enqueued; the feed back gives 0 new."""
    feeds({"id": "guarded", "url": http_server.url("/g.xml")})
    http_server.routes["/g.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    poll_feed("guarded", 1)
    http_server.routes["/g.xml"] = Route(
        200,
        {"Content-Type": "text/html; charset=UTF-8"},
        b"<html><head><title>Just a moment...</title></head>"
        b"<body><h1>Checking your browser</h1></body></html>",
    )
    out = poll_feed("guarded", 2)
    assert out["error"].startswith("not a feed") and out["new"] == 0
    state = _state(redis_client, env, "guarded")
    assert (state.health, state.title, state.entries_found) == ("degraded", "Example wire", 2)
    state.backoff_until = None
    FeedStateStore(redis_client, Keys(env["MONITOR_KEY_PREFIX"]), 86400).save("guarded", state)
    http_server.routes["/g.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    assert poll_feed("guarded", 3)["new"] == 0
    assert len(_entry_jobs(redis_client, env)) == 2


def test_validators_of_a_body_that_is_no_feed_are_not_kept(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """An HTML page with an ETag at the feed URL fails the poll; its ETag is not stored, so the next
    poll asks unconditionally and a 304 cannot make the broken feed look healthy (a bad-input trial)."""
    feeds({"id": "html", "url": http_server.url("/h.xml")})
    http_server.routes["/h.xml"] = Route(
        200, {"Content-Type": "text/html; charset=UTF-8", "ETag": '"page-1"', "Last-Modified": "Mon, 30 Nov 2026"
              " 05:00:00 GMT"}, b"<html><head><title>Maintenance</title></head><body><p>Back soon.</p></body></html>",
    )
    assert poll_feed("html", 1)["error"].startswith("not a feed")
    state = _state(redis_client, env, "html")
    assert (state.etag, state.last_modified, state.health) == (None, None, "degraded")
    state.backoff_until = None
    FeedStateStore(redis_client, Keys(env["MONITOR_KEY_PREFIX"]), 86400).save("html", state)
    poll_feed("html", 2)
    last = _gets(http_server, "/h.xml")[-1]
    assert "if-none-match" not in {k.lower() for k in last} and "if-modified-since" not in {k.lower() for k in last}


def test_charset_bozo_is_a_warning_not_an_error(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """text/xml without charset and a feed served as text/html: entries read, health ok, warning kept."""
    feeds({"id": "asxml", "url": http_server.url("/x.xml")})
    http_server.routes["/x.xml"] = Route(200, {"Content-Type": "text/html; charset=utf-8"}, rss(ITEMS))
    out = poll_feed("asxml", 1)
    assert (out["new"], out["error"]) == (2, None)
    state = _state(redis_client, env, "asxml")
    assert (state.health, state.consecutive_errors) == ("ok", 0)
    assert any("text/html" in w for w in state.warnings)


def test_feeds_list_json_shows_state(feeds, http_server: LoopbackServer, env: dict[str, str]) -> None:
    """`feeds list --json` prints one object per feed: health, status, entries, new, errors,
    last error in words, next poll, and the stored URL after a permanent redirect."""
    feeds(
        {"id": "ok", "url": http_server.url("/old.xml"), "tags": ["en"]},
        {"id": "broken", "url": http_server.url("/broken.xml")},
        {"id": "never", "url": http_server.url("/never.xml")},
        {"id": "secret", "url": http_server.url("/never.xml").replace("http://", "http://reader:s3cret@")},
    )
    http_server.routes["/old.xml"] = Route(308, {"Location": "/new.xml"})
    http_server.routes["/new.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    http_server.routes["/broken.xml"] = Route(404, {"Content-Type": "text/plain"}, b"no")
    poll_feed("ok", 1)
    poll_feed("broken", 1)
    proc = run_monitor(
        "feeds", "list", "--json", env={**env, "MONITOR_CONFIG_DIR": os.environ["MONITOR_CONFIG_DIR"]}
    )
    assert proc.returncode == 0, proc.stderr
    rows = {row["id"]: row for row in json_lines(proc.stdout)}
    ok, broken, never = rows["ok"], rows["broken"], rows["never"]
    assert (ok["health"], ok["status"], ok["entries"], ok["new"], ok["consecutive_errors"]) == (
        "ok",
        200,
        2,
        2,
        0,
    )
    assert ok["stored_url"] == http_server.url("/new.xml") and ok["url"] == http_server.url("/old.xml")
    assert ok["tags"] == ["en"] and ok["title"] == "Example wire"
    assert ok["next_poll"] > ok["last_poll"]
    assert (broken["health"], broken["status"], broken["consecutive_errors"]) == ("degraded", 404, 1)
    # a feed URL's password is not printed (a bad-input trial read it in the listing)
    assert rows["secret"]["url"] == http_server.url("/never.xml").replace("http://", "http://reader:***@")
    assert "s3cret" not in proc.stdout
    assert broken["last_error"] == "not found (HTTP 404)"
    assert (never["health"], never["last_poll"], never["status"]) == ("new", None, None)


def test_server_ttl_and_max_age_bound_the_next_interval(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """A feed with <ttl>60</ttl> (minutes) is next polled after 3600 s, not its configured 600 s;
    Cache-Control max-age=7200 raises it to 7200 s."""
    feeds({"id": "ttl", "url": http_server.url("/ttl.xml")}, {"id": "cc", "url": http_server.url("/cc.xml")})
    http_server.routes["/ttl.xml"] = Route(200, RSS_HEADERS, rss(ITEMS, ttl=60))
    http_server.routes["/cc.xml"] = Route(
        200, {**RSS_HEADERS, "Cache-Control": "public, max-age=7200"}, rss(ITEMS)
    )
    poll_feed("ttl", 1)
    poll_feed("cc", 1)
    assert _state(redis_client, env, "ttl").interval == 3600
    assert _state(redis_client, env, "cc").interval == 7200


def test_entries_sharing_one_link_are_not_hidden_by_it(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """Items that all link to the home page are 2 new entries, and a third one added later is new too."""
    feeds({"id": "home", "url": http_server.url("/home.xml")})
    items = [(f"urn:home:{i}", "https://wire.example.com/", f"Communiqué {i}") for i in range(2)]
    http_server.routes["/home.xml"] = Route(200, RSS_HEADERS, rss(items))
    assert poll_feed("home", 1)["new"] == 2
    items.append(("urn:home:2", "https://wire.example.com/", "Communiqué 2"))
    http_server.routes["/home.xml"] = Route(200, RSS_HEADERS, rss(items))
    assert poll_feed("home", 2)["new"] == 1
    assert len(_entry_jobs(redis_client, env)) == 3


def test_new_entries_after_or_between_seen_ones_are_all_new(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """A feed that appends its new items at the end, or puts one between seen items, yields each new
    entry once. A bad-input trial found them all dropped and marked seen: the seen check read one
    entry's aliases as the next entry's scores once a seen entry stopped its ``all()`` early."""
    feeds({"id": "grow", "url": http_server.url("/grow.xml")})
    items = [(f"urn:grow:{i}", f"https://wire.example.com/grow/{i}", f"Story {i}") for i in range(2)]
    http_server.routes["/grow.xml"] = Route(200, RSS_HEADERS, rss(items))
    assert poll_feed("grow", 1)["new"] == 2
    later = [(f"urn:grow:{i}", f"https://wire.example.com/grow/{i}", f"Story {i}") for i in (2, 3)]
    middle = ("urn:grow:mid", "https://wire.example.com/grow/mid", "Story in the middle")
    http_server.routes["/grow.xml"] = Route(200, RSS_HEADERS, rss([items[0], middle, items[1], *later]))
    assert poll_feed("grow", 2)["new"] == 3
    links = [job["link"] for job in _entry_jobs(redis_client, env)]
    assert sorted(links) == sorted(
        [link for _, link, _ in items] + [middle[1]] + [link for _, link, _ in later]
    )
    assert poll_feed("grow", 3)["new"] == 0


def test_feeds_reset_re_enables_a_gone_feed(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """After a 410, `feeds reset` clears the disabled reason; the next poll requests the feed again."""
    feeds({"id": "back", "url": http_server.url("/back.xml")})
    http_server.routes["/back.xml"] = Route(410, {"Content-Type": "text/plain"}, b"gone")
    poll_feed("back", 1)
    assert _state(redis_client, env, "back").health == "disabled"
    proc = run_monitor(
        "feeds", "reset", "back", env={**env, "MONITOR_CONFIG_DIR": os.environ["MONITOR_CONFIG_DIR"]}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "back: reset"
    http_server.routes["/back.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    assert poll_feed("back", 2)["new"] == 2
    assert _state(redis_client, env, "back").health == "ok"


def test_poll_uses_the_feed_config_sent_with_the_job(
    feeds, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """A poll job carrying its feed's config polls it without the feed being in feeds.yaml."""
    feeds({"id": "other", "url": http_server.url("/other.xml")})
    http_server.routes["/carried.xml"] = Route(200, RSS_HEADERS, rss(ITEMS))
    carried = {"id": "carried", "url": http_server.url("/carried.xml"), "interval": 600, "language": "fr"}
    out = poll_feed("carried", 1, carried)
    assert (out["status"], out["entries"], out["new"]) == (200, 2, 2)
    assert {j["language_hint"] for j in _entry_jobs(redis_client, env)} == {"fr"}
    assert [p for _, p, _ in http_server.requests] == ["/carried.xml"]
