"""Alerts reach a real webhook (Apprise ``json://`` on 127.0.0.1) once per rule and story, never lost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from monitor.extract import read_document
from monitor.model import Document, EntryInfo
from tests.alert_support import SEED, TITLE, Receiver, closed_port, config_dir, make_pipeline, run_alert_jobs
from tests.helpers import json_lines, run_monitor
from workers.jobs import enqueue_deliveries

pytestmark = pytest.mark.integration

RULE = """
channels:
  hook: "{url}"
rules:
  - name: security-desk
    topics: [counter-terrorism, diplomacy]
    channels: [hook]
{extra}"""



def other_outlet_copy(tmp_path: Path) -> Path:
    """The seed's exact text under another file name: the same story from another outlet."""
    copy = tmp_path / "other-outlet.txt"
    copy.write_bytes(SEED.read_bytes())
    return copy


def near_duplicate(host: str) -> Document:
    """The seed's text as published at another outlet's URL (text-identical, different source)."""
    url = f"https://{host}/2024/eu-egypt-security"
    return Document(source=url, content=SEED.read_bytes(), url=url, entry=EntryInfo(link=url))


def test_seed_reaches_webhook_once_with_arabic_headline_topics_and_terms(
    env: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    """`replay --inline` of the seed POSTs exactly once: Arabic headline intact, topics, evidence terms."""
    env = {**env, "MONITOR_CONFIG_DIR": str(config_dir(tmp_path, RULE.format(url=receiver.url(), extra="")))}
    proc = run_monitor("replay", "--inline", "--json", str(SEED), env=env)
    assert proc.returncode == 0, proc.stderr
    assert json_lines(proc.stdout)[0]["alerts"] == ["security-desk"]
    [post] = receiver.posts
    assert post["title"] == TITLE
    assert post["type"] == "warning"
    body = post["message"]
    assert body.splitlines()[0] == TITLE
    assert "Topics: counter-terrorism " in body and ", diplomacy " in body
    assert "مكافحة الإرهاب ×" in body
    assert "\u200f" not in body and "\u202e" not in body


def test_replaying_seed_again_or_from_another_outlet_adds_no_post(
    env: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    """The same seed again, then a text-identical copy from another outlet, leave the POST count at one."""
    env = {**env, "MONITOR_CONFIG_DIR": str(config_dir(tmp_path, RULE.format(url=receiver.url(), extra="")))}
    proc = run_monitor(
        "replay", "--inline", "--json", str(SEED), str(SEED), str(other_outlet_copy(tmp_path)), env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert [doc["alerts"] for doc in json_lines(proc.stdout)] == [["security-desk"], [], []]
    assert len(receiver.posts) == 1
    listed = json_lines(run_monitor("alerts", "list", "--json", env=env).stdout)
    assert [(a["title"], a["outlets"], a["delivery"]) for a in listed] == [(TITLE, 2, "delivered")]
    assert len(listed[0]["item_ids"]) == 3


def test_escalation_at_two_outlets_posts_exactly_once_more(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """With escalate_at_outlets: 2 the second outlet POSTs once more; a repeat and a third outlet do not."""
    folder = config_dir(tmp_path, RULE.format(url=receiver.url(), extra="    escalate_at_outlets: 2\n"))
    pipeline = make_pipeline(env, folder, redis_client)
    docs = [
        read_document(SEED, 10**7),
        read_document(SEED, 10**7),
        near_duplicate("news.example.org"),
        near_duplicate("news.example.org"),
        near_duplicate("daily.example.net"),
    ]
    fired = []
    for doc in docs:
        outcome = pipeline.process(doc)
        fired.append(outcome.to_json()["alerts"])
        for alert in outcome.alerts:
            pipeline.deliver(alert)
    assert fired == [["security-desk"], [], ["security-desk"], [], []]
    assert [p["title"] for p in receiver.posts] == [TITLE, f"Now 2 outlets: {TITLE}"]
    assert "https://news.example.org/2024/eu-egypt-security" in receiver.posts[1]["message"]
    [alert] = pipeline.alerts.recent(10)
    assert (alert.outlets, alert.url) == (3, "https://daily.example.net/2024/eu-egypt-security")


def test_alert_is_stored_at_once_and_arrives_once_after_receiver_recovers(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """Receiver answering 500: alert recorded before delivery, retried, delivered once when it answers 200."""
    receiver.status = 500
    folder = config_dir(tmp_path, RULE.format(url=receiver.url(), extra=""))
    pipeline = make_pipeline(env, folder, redis_client, alert_retry_intervals=[1, 1, 1])
    outcome = pipeline.process(read_document(SEED, 10**7))
    [alert] = outcome.alerts
    assert pipeline.alerts.get(alert.id).title == TITLE
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "pending"}

    enqueue_deliveries(pipeline, outcome.alerts)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert (receiver.attempts, receiver.posts) == (1, [])
    state = pipeline.alerts.deliveries(alert.id)["hook"]
    assert state.startswith("retrying: channel 'hook': ") and "500" in state and state.endswith("(3 left)")

    receiver.status = 200
    time.sleep(1.2)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert (receiver.attempts, len(receiver.posts)) == (2, 1)
    assert receiver.posts[0]["title"] == TITLE
    assert pipeline.alerts.deliveries(alert.id) == {"hook": "delivered"}


def test_receiver_that_never_recovers_leaves_alert_listed_failed_until_retry(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """After the last retry the alert lists as failed; `monitor alerts retry ID --inline` then delivers it."""
    receiver.status = 503
    folder = config_dir(tmp_path, RULE.format(url=receiver.url(), extra=""))
    pipeline = make_pipeline(env, folder, redis_client, alert_retry_intervals=[0, 0])
    outcome = pipeline.process(read_document(SEED, 10**7))
    enqueue_deliveries(pipeline, outcome.alerts)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert (receiver.attempts, receiver.posts) == (3, [])

    env = {**env, "MONITOR_CONFIG_DIR": str(folder)}
    [listed] = json_lines(run_monitor("alerts", "list", "--json", env=env).stdout)
    assert listed["id"] == outcome.alerts[0].id
    assert listed["delivery"] == "failed"
    assert listed["deliveries"]["hook"].startswith("failed: channel 'hook': ")
    assert "503" in listed["deliveries"]["hook"]

    receiver.status = 200
    wrong = run_monitor("alerts", "retry", listed["id"], "--channel", "nochan", env=env)
    assert wrong.returncode == 2
    assert "error: --channel nochan: not defined in alerts.yaml (channels: hook)" in wrong.stderr
    retried = run_monitor("alerts", "retry", listed["id"], "--inline", "--json", env=env)
    assert retried.returncode == 0, retried.stderr
    assert json_lines(retried.stdout) == [{"id": listed["id"], "deliveries": {"hook": "delivered"}}]
    assert [p["title"] for p in receiver.posts] == [TITLE]


def test_closed_port_fails_that_channel_and_not_the_other(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A channel whose port is closed ends failed; the other channel's separate job delivers at once."""
    yaml = f"""
channels:
  dead: "json://127.0.0.1:{closed_port()}/hook"
  live: "{receiver.url()}"
rules:
  - name: security-desk
    topics: [counter-terrorism]
    channels: [dead, live]
"""
    pipeline = make_pipeline(env, config_dir(tmp_path, yaml), redis_client, alert_retry_intervals=[0])
    outcome = pipeline.process(read_document(SEED, 10**7))
    enqueue_deliveries(pipeline, outcome.alerts)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    states = pipeline.alerts.deliveries(outcome.alerts[0].id)
    assert states["live"] == "delivered"
    assert states["dead"].startswith("failed: channel 'dead': ")
    assert len(receiver.posts) == 1


def test_slow_channel_times_out_without_holding_the_other(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A channel answering after 5 s is cut off by the 0.5 s delivery timeout; the fast one is delivered."""
    slow = Receiver(delay=5.0).start()
    try:
        yaml = f"""
channels:
  slow: "{slow.url()}"
  fast: "{receiver.url()}"
rules:
  - name: security-desk
    topics: [counter-terrorism]
    channels: [slow, fast]
"""
        folder = config_dir(tmp_path, yaml)
        pipeline = make_pipeline(env, folder, redis_client, alert_timeout=0.5, alert_retry_intervals=[0])
        outcome = pipeline.process(read_document(SEED, 10**7))
        enqueue_deliveries(pipeline, outcome.alerts)
        started = time.monotonic()
        run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
        elapsed = time.monotonic() - started
        states = pipeline.alerts.deliveries(outcome.alerts[0].id)
        assert states["fast"] == "delivered"
        assert states["slow"].startswith("failed: channel 'slow': ")
        assert (slow.attempts, len(receiver.posts)) == (2, 1)
        assert elapsed < 4.0
    finally:
        slow.stop()


def test_markdown_channel_gets_the_markdown_message(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """A channel URL with ?format=markdown receives the Markdown template: bold headline, facts as a list."""
    folder = config_dir(tmp_path, RULE.format(url=receiver.url(format="markdown"), extra=""))
    pipeline = make_pipeline(env, folder, redis_client)
    [alert] = pipeline.process(read_document(SEED, 10**7)).alerts
    assert pipeline.deliver(alert) == {"hook": "delivered"}
    [post] = receiver.posts
    lines = post["message"].splitlines()
    assert (post["title"], lines[0]) == (TITLE, f"**{TITLE}**")
    assert "- Language: ar" in lines
    assert any(line.startswith("- Why: counter-terrorism: ") and "مكافحة الإرهاب ×" in line for line in lines)


def test_alerts_list_on_an_empty_store_says_so_on_stderr(env: dict[str, str]) -> None:
    """No alerts under the prefix: nothing on stdout (--json stays parseable), one line on stderr that
    names the prefix, so an analyst tells "none yet" from a wrong MONITOR_KEY_PREFIX."""
    for args in (("alerts", "list"), ("alerts", "list", "--json")):
        proc = run_monitor(*args, env=env)
        assert (proc.returncode, proc.stdout) == (0, "")
        assert proc.stderr.splitlines()[-1] == (
            f"no alerts under key prefix {env['MONITOR_KEY_PREFIX']!r} (MONITOR_KEY_PREFIX) in the Redis of "
            "MONITOR_REDIS_URL; alerts expire after 180 days"
        )
