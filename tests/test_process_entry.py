"""process_entry through a real loopback server and real Redis: page fetched through the fetch
layer, fallbacks to the entry's text, and no second alert for a replayed entry."""

from __future__ import annotations

from dataclasses import replace

import pytest
import redis

from monitor.config import Config
from monitor.errors import TransientFetchError
from monitor.model import Document, EntryInfo
from monitor.pipeline import Pipeline
from monitor.settings import Settings
from tests.conftest import LoopbackServer, Route
from workers import context
from workers.entries import process_entry
from workers.jobs import DOCUMENT_TTL, load_document, process_document, stage_document

PARAS = (
    "Police in the port city of Example Bay said on Friday that they had foiled an attack plot against "
    "the central railway station and arrested three suspects linked to a terrorist cell.",
    "The counter-terrorism unit said the men had gathered materials for an explosive device in a rented "
    "garage and had been under surveillance for several months after a tip from a neighbour.",
    "Investigators are examining whether the cell received money from abroad. The interior minister "
    "praised the security forces and said the threat level would remain high over the holidays.",
    "The three suspects, aged between 22 and 31, will appear before an investigating judge on Monday. "
    "Their lawyers have not commented on the accusations of terrorism brought against them.",
)
TITLE = "Police foil attack plot against Example Bay railway station"
PAGE = (f"<html lang='en'><head><meta charset='utf-8'><title>{TITLE}</title>"
        "<meta property='og:site_name' content='Example Bay Herald'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{TITLE}</h1>" + "".join(f"<p>{p}</p>" for p in PARAS) +
        "</article><footer>Example Bay Herald</footer></body></html>").encode("utf-8")
SUMMARY = ("A regional court in Example Valley ruled on Thursday that the dam project may go ahead, "
           "rejecting an appeal by farmers who said the reservoir would flood their land and the old mill. ")


@pytest.fixture
def pipeline(env: dict[str, str], redis_client: redis.Redis) -> Pipeline:
    settings = Settings.load()
    return context.init(settings, Config.load(settings.config_dir))


def _entry(server: LoopbackServer, path: str, guid: str = "guid-1", **extra: str) -> dict[str, str | None]:
    return {"feed_id": "example-bay", "key": guid, "guid": guid, "link": server.url(path),
            "title": TITLE, "summary": "Police foiled an attack plot.", **extra}


def _page_requests(server: LoopbackServer) -> int:
    return sum(1 for _m, path, _h in server.requests if path.startswith("/news/plot"))


def test_entry_page_is_fetched_extracted_and_alerted(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """The page body (not the summary) becomes the item, with its site name, language and one alert."""
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    out = process_entry(_entry(http_server, "/news/plot"))
    assert out["extraction_source"] == "trafilatura"
    assert out["text"].startswith("Police in the port city of Example Bay")
    assert (out["language"], out["declared_language"], out["sitename"]) == ("en", "en", "Example Bay Herald")
    assert out["dedup"] == "new" and out["guid"] == "guid-1"
    assert "counter-terrorism" in out["labels"]
    assert out["alerts"] == ["security-desk"]
    story = pipeline.items.story(out["story_id"])
    assert story["items"] == [out["id"]] and story["outlets"] == ["Example Bay Herald"]


def test_replay_with_tracking_parameters_raises_no_second_alert(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """The same link with utm_* and fbclid is the same item: no fetch, no alert."""
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    first = process_entry(_entry(http_server, "/news/plot"))
    tracked = "/news/plot?utm_source=rss&utm_medium=feed&fbclid=XYZ"
    again = process_entry(_entry(http_server, tracked, "guid-2"))
    assert again["id"] == first["id"] and again["dedup"] == "url"
    assert again["alerts"] == []
    assert _page_requests(http_server) == 1


def test_replay_under_a_new_guid_raises_no_second_alert(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """A new GUID for the same link is the same item again."""
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    first = process_entry(_entry(http_server, "/news/plot", "guid-1"))
    again = process_entry(_entry(http_server, "/news/plot", "guid-99"))
    assert (again["id"], again["alerts"]) == (first["id"], [])


def test_republished_under_a_new_url_joins_the_story_without_a_second_alert(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """The same article at another address is a new item in the same story; the rule fires once per story."""
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    http_server.routes["/mirror/plot-story"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    first = process_entry(_entry(http_server, "/news/plot"))
    second = process_entry(_entry(http_server, "/mirror/plot-story", "mirror-guid"))
    assert second["id"] != first["id"] and second["story_id"] == first["story_id"]
    assert second["dedup"] == "text" and second["alerts"] == []


def test_redirected_link_records_the_final_url(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """A link that redirects is stored under the page's final URL; the final URL is then known too."""
    http_server.routes["/r/123"] = Route(301, {"Location": "/news/plot"}, b"")
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    out = process_entry(_entry(http_server, "/r/123"))
    assert out["url"] == http_server.url("/news/plot")
    assert out["entry_link"] == http_server.url("/r/123")
    again = process_entry(_entry(http_server, "/news/plot", "other-guid"))
    assert again["id"] == out["id"] and again["alerts"] == []


def test_missing_page_falls_back_to_the_entry_summary(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """A 404 is permanent: the entry's summary becomes the body and the source says so."""
    entry = _entry(http_server, "/gone", title="Court allows dam project", summary=SUMMARY)
    out = process_entry(entry)
    assert out["extraction_source"] == "entry-summary"
    assert out["text"] == SUMMARY.strip()
    assert out["title"] == "Court allows dam project"
    assert any("404" in w for w in out["warnings"])


def test_a_binary_page_served_as_html_falls_back_to_the_entry_summary(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """Random bytes labelled text/html hold no article text: the entry's short summary is the body
    (a bad-input trial saw the entry lost after three retries)."""
    http_server.routes["/binary"] = Route(200, {"Content-Type": "text/html"}, bytes(range(256)) * 800)
    entry = _entry(http_server, "/binary", title="Court allows dam project", summary="The dam may go ahead.")
    out = process_entry(entry)
    assert (out["extraction_source"], out["title"], out["text"]) == (
        "entry-summary", "Court allows dam project", "The dam may go ahead."
    )
    assert any(w.startswith("page not used: ") and w.endswith("/binary: a binary file served as text/html")
               for w in out["warnings"])


def test_an_empty_page_is_said_to_be_empty_not_to_be_no_html(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """A 200 with no bytes was logged as ``page_not_html (text/html)``, which sent readers to the
    content type (a bad-input trial); it is an empty page, and the entry's summary is the body."""
    http_server.routes["/blank"] = Route(200, {"Content-Type": "text/html"}, b"  \n")
    entry = _entry(http_server, "/blank", title="Court allows dam project", summary="The dam may go ahead.")
    out = process_entry(entry)
    assert (out["extraction_source"], out["text"]) == ("entry-summary", "The dam may go ahead.")
    assert any(w.endswith("/blank: the page is empty (HTTP 200, no text at all)") for w in out["warnings"])


def test_a_page_with_no_text_falls_back_to_the_entry(pipeline: Pipeline, http_server: LoopbackServer) -> None:
    """An HTML page of scripts and images only gives no body: the entry's summary is used."""
    http_server.routes["/shell"] = Route(
        200, {"Content-Type": "text/html"}, b"<html><body><script>app()</script><img src='a.png'></body></html>"
    )
    entry = _entry(http_server, "/shell", title="Court allows dam project", summary="The dam may go ahead.")
    out = process_entry(entry)
    assert (out["extraction_source"], out["text"]) == ("entry-summary", "The dam may go ahead.")
    assert any("no article text in the page; body from the feed entry" in w for w in out["warnings"])


def test_a_headline_only_entry_behind_an_unavailable_page_is_kept_and_classified(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """A title-and-link entry whose page is gone (a paywall's 403, a 404) is an item of its headline,
    classified on it, and alerted: the feed said it, and the analyst can open the link."""
    http_server.routes["/paywalled"] = Route(403, {"Content-Type": "text/html"}, b"subscribe")
    title = "Suicide bomber kills 12 at army checkpoint; Islamic State claims the attack"
    out = process_entry(_entry(http_server, "/paywalled", title=title, summary=None))
    assert (out["extraction_source"], out["title"], out["text"]) == ("entry-title", title, title)
    assert out["labels"] == ["counter-terrorism"]
    assert all(e["where"] == "title" for e in out["evidence"]["counter-terrorism"])
    assert any("its headline alone" in w for w in out["warnings"])
    assert out["alerts"]


def test_an_entry_with_nothing_fails_without_retries(
    pipeline: Pipeline, http_server: LoopbackServer, redis_client: redis.Redis, env: dict[str, str]
) -> None:
    """No page, no title, no summary: a DocumentError that RQ does not retry (the same bytes give
    the same error), run through a real RQ worker."""
    from rq import Queue, SimpleWorker
    from rq.serializers import JSONSerializer

    from monitor.keys import Keys
    from workers.polls import ENTRY_RETRY

    http_server.routes["/empty"] = Route(404, {"Content-Type": "text/html"}, b"")
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    q = Queue(keys.queue("entries"), connection=redis_client, serializer=JSONSerializer)
    job = q.enqueue(process_entry, _entry(http_server, "/empty", title="", summary=None), retry=ENTRY_RETRY)
    SimpleWorker([q], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    job.refresh()
    assert job.get_status() == "failed" and not job.retries_left
    assert "and the entry has no title, content or summary" in (job.latest_result().exc_string or "")


def test_article_pages_keep_the_per_host_limits_and_a_429_holds_the_host(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of one host start at least MONITOR_HOST_MIN_START_INTERVAL apart, as feed polls do; a
    429 on a page marks the host, so the next entry of that host is not fetched but retried later."""
    import time

    monkeypatch.setenv("MONITOR_HOST_MIN_START_INTERVAL", "0.8")
    settings = Settings.load()
    context.init(settings, Config.load(settings.config_dir))
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    http_server.routes["/news/plot2"] = Route(200, {"Content-Type": "text/html"}, PAGE.replace(b"three", b"four"))
    process_entry(_entry(http_server, "/news/plot"))
    started = time.monotonic()
    process_entry(_entry(http_server, "/news/plot2", guid="guid-2"))
    assert time.monotonic() - started >= 0.7
    http_server.routes["/busy"] = Route(429, {"Retry-After": "120"}, b"slow down")
    with pytest.raises(TransientFetchError):
        process_entry(_entry(http_server, "/busy", guid="guid-3"))
    requests_before = len(http_server.requests)
    with pytest.raises(TransientFetchError, match=r"host 127\.0\.0\.1 asked us to wait \(429\)"):
        process_entry(_entry(http_server, "/news/plot3", guid="guid-4"))
    assert len(http_server.requests) == requests_before


def test_a_page_whose_turn_at_its_host_is_far_off_is_put_back_for_then(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one page per 30 s at a host, the second entry's turn is 30 s off: its job is scheduled
    for then instead of holding a worker (a backlog of one host kept other feeds' entries waiting
    over an hour in a bad-input trial), and the scheduled job fetches the page when it runs."""
    import time

    from rq import Queue
    from rq.registry import ScheduledJobRegistry
    from rq.serializers import JSONSerializer

    from monitor.keys import Keys

    monkeypatch.setenv("MONITOR_HOST_MIN_START_INTERVAL", "30")
    settings = Settings.load()
    context.init(settings, Config.load(settings.config_dir))
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    http_server.routes["/news/plot2"] = Route(200, {"Content-Type": "text/html"}, PAGE.replace(b"three", b"four"))
    assert process_entry(_entry(http_server, "/news/plot"))["extraction_source"] == "trafilatura"
    started = time.time()
    second = _entry(http_server, "/news/plot2", guid="guid-2")
    deferred = process_entry(second)
    assert set(deferred) == {"deferred_until", "job_id"} and time.time() - started < 2
    assert _page_requests(http_server) == 1
    q = Queue(Keys(env["MONITOR_KEY_PREFIX"]).queue("entries"), connection=redis_client, serializer=JSONSerializer)
    registry = ScheduledJobRegistry(queue=q)
    assert registry.get_job_ids() == [deferred["job_id"]]
    job = q.fetch_job(deferred["job_id"])
    entry, turn = job.args
    assert entry == second and 25 < turn - started < 35
    assert job.get_status() == "scheduled"
    redis_client.delete(Keys(env["MONITOR_KEY_PREFIX"]).host_last_start("127.0.0.1"))  # as 30 s later
    out = process_entry(entry, turn - 60)  # its turn has come
    assert out["extraction_source"] == "trafilatura" and _page_requests(http_server) == 2


def test_an_endless_headline_is_cut(pipeline: Pipeline, http_server: LoopbackServer) -> None:
    """A 100 KB title went whole into the webhook message (a bad-input trial): it is cut to 500
    characters, with a warning."""
    from monitor.pipeline import MAX_TITLE_CHARS

    out = process_entry(_entry(http_server, "/gone", title="Attaque " * 12_500, summary=SUMMARY))
    assert len(out["title"]) <= MAX_TITLE_CHARS == 500 and out["title"].endswith("…")
    assert "title cut to 500 characters" in out["warnings"]


def test_server_error_is_raised_for_rq_to_retry(
    pipeline: Pipeline, http_server: LoopbackServer
) -> None:
    """A 503 is transient: the job fails with TransientFetchError so RQ retries it later."""
    http_server.routes["/busy"] = Route(503, {"Retry-After": "120"}, b"busy")
    with pytest.raises(TransientFetchError):
        process_entry(_entry(http_server, "/busy", summary=SUMMARY))


def test_loopback_link_is_refused_unless_allowed(
    env: dict[str, str], redis_client: redis.Redis, http_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With MONITOR_ALLOW_PRIVATE_ADDRESSES false a 127.0.0.1 link is not fetched; the entry text is used."""
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_ADDRESSES", "false")
    settings = Settings.load()
    context.init(settings, Config.load(settings.config_dir))
    http_server.routes["/news/plot"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    out = process_entry(_entry(http_server, "/news/plot", summary=SUMMARY))
    assert _page_requests(http_server) == 0
    assert out["extraction_source"] == "entry-summary"


def test_staged_document_keeps_its_bytes_and_is_processed_once(pipeline: Pipeline) -> None:
    """A replay document is staged as raw bytes (not valid UTF-8 here), processed by its job, then removed."""
    content = "<html><body><p>مثال</p></body></html>".encode("windows-1256") + bytes(range(128, 256))
    entry = EntryInfo(feed_id="replay", key="k1", link="https://news.example.org/a/1", title="T")
    doc = Document(source="a.html", content=content, content_type="text/html", url=entry.link, entry=entry)
    doc_id = stage_document(pipeline.connection, pipeline.keys, doc)
    assert load_document(pipeline.connection, pipeline.keys, doc_id) == doc
    assert 0 < pipeline.connection.ttl(pipeline.keys.staged_document(doc_id)) <= DOCUMENT_TTL
    staged = stage_document(pipeline.connection, pipeline.keys, replace(doc, content=PAGE))
    out = process_document(staged)
    assert (out["title"], out["source"], out["dedup"]) == (TITLE, "a.html", "new")
    with pytest.raises(LookupError, match=f"staged document {staged} is gone"):
        load_document(pipeline.connection, pipeline.keys, staged)


def test_document_staged_as_one_json_string_is_still_read(pipeline: Pipeline) -> None:
    """A document staged before the HASH layout (JSON with base64 content) loads as it was."""
    import base64
    import json

    entry = EntryInfo(feed_id="replay", key="k2")
    payload = {"source": "b.html", "content": base64.b64encode(PAGE).decode("ascii"), "content_type": "text/html",
               "url": None, "entry": entry.__dict__}
    pipeline.connection.set(pipeline.keys.staged_document("old1"), json.dumps(payload))
    doc = load_document(pipeline.connection, pipeline.keys, "old1")
    assert doc == Document(source="b.html", content=PAGE, content_type="text/html", url=None, entry=entry)
