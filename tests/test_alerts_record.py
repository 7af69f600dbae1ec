"""AlertRecorder on real Redis: one alert per rule and story, atomic updates, escalation exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from monitor.alerts import AlertRecorder
from monitor.config import AlertRule, AlertsFile
from monitor.keys import Keys
from monitor.model import Evidence, Item
from tests.alert_support import ROOT

pytestmark = pytest.mark.integration


def item(story_id: str, url: str) -> Item:
    """An invented English item of ``story_id`` labelled counter-terrorism."""
    return Item(
        id=uuid.uuid4().hex,
        story_id=story_id,
        source=url,
        title="Militants arrested in Northport",
        text="...",
        language="en",
        language_confidence=0.99,
        topics={"counter-terrorism": 12.0},
        labels=["counter-terrorism"],
        evidence={
            "counter-terrorism": [
                Evidence("militant*", 2, "title", 2.0),
                Evidence("terroris*", 1, "body", 3.0, negated=True),
            ]
        },
        countries={},
        duplicate_of=None,
        dedup="new",
        url=url,
    )


def recorder(client: redis.Redis, prefix: str, escalate: int | None) -> AlertRecorder:
    rules = (AlertRule(name="desk", topics=("counter-terrorism",), escalate_at_outlets=escalate),)
    return AlertRecorder(client, Keys(prefix), AlertsFile(rules=rules), 3600, 1000)


def test_racing_items_of_one_story_record_one_alert_and_escalate_once(redis_client: redis.Redis) -> None:
    """Eight items of one story recorded at once: one new alert, one escalation, eight item ids, 8 outlets."""
    rec = recorder(redis_client, "race", escalate=3)
    items = [item("story-1", f"https://outlet{n}.example.com/a") for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda pair: rec.record(pair[1], outlets=pair[0] + 1), enumerate(items)))
    notified = [a for batch in results for a in batch]
    assert sorted(a.escalated_at is not None for a in notified) == [False, True]
    [stored] = rec.recent(10)
    assert stored.outlets == 8
    assert sorted(stored.item_ids) == sorted(i.id for i in items)
    assert stored.escalated_at is not None


def test_the_same_item_twice_is_counted_once(redis_client: redis.Redis) -> None:
    """Recording an item again (a retried job) neither notifies nor adds its id twice; the stored
    alert lists the evidence that fired it."""
    rec = recorder(redis_client, "again", escalate=None)
    first = item("story-2", "https://a.example.com/x")
    assert [a.rule for a in rec.record(first, outlets=1)] == ["desk"]
    assert rec.record(first, outlets=1) == []
    [stored] = rec.recent(10)
    assert stored.item_ids == [first.id]
    # the alert keeps the evidence that fired it, not the negated match
    assert stored.evidence == {"counter-terrorism": [Evidence("militant*", 2, "title", 2.0)]}
    assert stored.reason == "rule desk: counter-terrorism 12.0 (militant* ×2)"


def test_a_rule_that_does_not_match_records_nothing(redis_client: redis.Redis) -> None:
    """An item whose topic the rule excludes records no alert and writes no stream entry."""
    rules = (AlertRule(name="desk", exclude_topics=("counter-terrorism",)),)
    rec = AlertRecorder(redis_client, Keys("none"), AlertsFile(rules=rules), 3600, 1000)
    assert rec.record(item("story-3", "https://a.example.com/y")) == []
    assert redis_client.exists(Keys("none").alerts_stream()) == 0


def test_a_fallback_rule_fires_only_for_stories_no_rule_above_it_fired_for(redis_client: redis.Redis) -> None:
    """"A digest of the rest" (an analyst's trial could not write one): the fallback rule below an
    English-only rule records the French story, not the English one, nor a later French item of a
    story the English rule already alerted (a translation joining its story)."""
    import dataclasses

    rules = (
        AlertRule(name="english-desk", topics=("counter-terrorism",), languages=("en",)),
        AlertRule(name="the-rest", fallback=True, mode="digest"),
    )
    rec = AlertRecorder(redis_client, Keys("fallback"), AlertsFile(rules=rules), 3600, 1000)
    english = item("story-en", "https://a.example.com/en")
    french = dataclasses.replace(item("story-fr", "https://b.example.com/fr"), language="fr")
    assert [a.rule for a in rec.record(english)] == ["english-desk"]
    assert [a.rule for a in rec.record(french)] == ["the-rest"]
    translation = dataclasses.replace(item("story-en", "https://c.example.com/fr"), language="fr")
    assert rec.record(translation) == []
    assert [a.rule for a in rec.recent(10)] == ["the-rest", "english-desk"]


def test_monitor_serve_answers_on_the_configured_port(env: dict[str, str], tmp_path: Path) -> None:
    """`monitor serve --port 0` prints where it listens and serves an empty Atom feed there."""
    with subprocess.Popen(
        [sys.executable, "-m", "monitor", "serve", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stderr is not None
            line = ""
            for line in proc.stderr:
                if line.startswith("serving "):
                    break
            base = line.split()[1].rsplit("/", 1)[0]
            assert base.startswith("http://127.0.0.1:")
            resp = httpx.get(base + "/alerts.atom", timeout=5)
            assert resp.status_code == 200
            assert b"<title>news-monitor alerts</title>" in resp.content
            assert httpx.get(base + "/alerts.json", timeout=5).json() == []
        finally:
            proc.terminate()
            proc.wait(timeout=10)
