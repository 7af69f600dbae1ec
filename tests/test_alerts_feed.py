"""Alerts as a feed: Atom 1.0 and JSON over the project's small HTTP server, and `alerts show`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
import redis
from lxml import etree

from monitor.extract import read_document
from monitor.pipeline import Pipeline
from monitor.web import Response, WebApp, WebServer, add_alert_routes, feed_id_for
from tests.alert_support import SEED, TITLE, config_dir, make_pipeline
from tests.helpers import run_monitor

pytestmark = pytest.mark.integration

LOG_ONLY = """
channels:
  log: "log://"
rules:
  - name: security-desk
    topics: [counter-terrorism, diplomacy]
    channels: [log]
"""


@pytest.fixture
def seeded(env: dict[str, str], tmp_path: Path, redis_client: redis.Redis) -> Pipeline:
    """A pipeline whose Redis holds the seed's alert, delivered to the log channel."""
    pipeline = make_pipeline(env, config_dir(tmp_path, LOG_ONLY), redis_client)
    for alert in pipeline.process(read_document(SEED, 10**7)).alerts:
        pipeline.deliver(alert)
    return pipeline


@pytest.fixture
def server(seeded: Pipeline) -> Iterator[WebServer]:
    app = WebApp()
    add_alert_routes(app, seeded.alerts, 50, feed_id_for(seeded.settings.key_prefix))
    web = WebServer(app, "127.0.0.1", 0).start()
    yield web
    web.stop()


def test_atom_feed_parses_as_atom10_and_lists_the_seed_alert(server: WebServer, seeded: Pipeline) -> None:
    """GET /alerts.atom: feedparser sees atom10 without bozo, one entry titled with the Arabic headline."""
    resp = httpx.get(server.url + "/alerts.atom")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(resp.content)
    assert parsed.version == "atom10"
    assert parsed.bozo is False
    assert parsed.feed.title == "news-monitor alerts"
    [alert] = seeded.alerts.recent(5)
    [entry] = parsed.entries
    assert entry.title == TITLE
    assert (
        entry.id
        == f"urn:uuid:{alert.id[:8]}-{alert.id[8:12]}-{alert.id[12:16]}-{alert.id[16:20]}-{alert.id[20:]}"
    )
    assert [t.term for t in entry.tags] == ["counter-terrorism", "diplomacy"]
    assert entry.link == f"{server.url}/alerts.json?id={alert.id}"
    assert '<p dir="rtl" lang="ar"><strong>' + TITLE in entry.content[0].value
    assert entry.summary.startswith("rule security-desk: counter-terrorism ")


def test_atom_feed_has_the_elements_rfc4287_requires(server: WebServer) -> None:
    """The feed has id, title, updated, author, self link; each entry id, title, updated, link, content."""
    root = etree.fromstring(httpx.get(server.url + "/alerts.atom").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for path in ("a:id", "a:title", "a:updated", "a:author/a:name", "a:link[@rel='self']"):
        assert len(root.findall(path, ns)) == 1, path
    [entry] = root.findall("a:entry", ns)
    for path in ("a:id", "a:title", "a:updated", "a:link[@rel='alternate']", "a:content[@type='html']"):
        assert len(entry.findall(path, ns)) == 1, path
    assert entry.find("a:title", ns).get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"


def test_json_list_shows_alert_with_delivery_state(server: WebServer, seeded: Pipeline) -> None:
    """GET /alerts.json lists the seed alert with its log channel delivered; ?id= returns that one alert."""
    [listed] = httpx.get(server.url + "/alerts.json").json()
    assert (listed["title"], listed["rule"], listed["language"]) == (TITLE, "security-desk", "ar")
    assert (listed["deliveries"], listed["delivery"], listed["outlets"]) == (
        {"log": "delivered"},
        "delivered",
        1,
    )
    one = httpx.get(server.url + "/alerts.json", params={"id": listed["id"]}).json()
    assert one == listed
    assert httpx.get(server.url + "/alerts.json", params={"id": "nope"}).status_code == 404


def test_a_route_is_added_with_one_line(server: WebServer) -> None:
    """Another route (as /healthz will be) is one `route` call; unknown paths answer 404."""
    app = WebApp()
    app.route("/healthz", lambda request: Response(200, "text/plain", b"ok"))
    web = WebServer(app, "127.0.0.1", 0).start()
    try:
        assert httpx.get(web.url + "/healthz").text == "ok"
        assert httpx.get(web.url + "/missing").status_code == 404
    finally:
        web.stop()


def test_alerts_show_prints_the_evidence(seeded: Pipeline, env: dict[str, str], tmp_path: Path) -> None:
    """`monitor alerts show ID` prints the headline, each evidence term with its count, and the delivery."""
    [alert] = seeded.alerts.recent(5)
    env = {**env, "MONITOR_CONFIG_DIR": str(tmp_path / "config")}
    proc = run_monitor("alerts", "show", alert.id, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == TITLE
    assert any(line.strip().startswith("مكافحة الإرهاب ×") for line in lines)
    assert "delivery: log: delivered" in lines
    shown = json.loads(run_monitor("alerts", "show", alert.id, "--json", env=env).stdout)
    assert shown["evidence"] == json.loads(json.dumps(alert.to_dict()["evidence"], ensure_ascii=False))
    missing = run_monitor("alerts", "show", "0" * 32, env=env)
    assert missing.returncode == 1 and "not found" in missing.stderr
