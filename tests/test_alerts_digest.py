"""Digest rules gather their alerts into one message per channel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from monitor.keys import Keys
from monitor.model import Document
from tests.alert_support import Receiver, config_dir, make_pipeline, run_alert_jobs
from tests.helpers import json_lines, run_monitor
from workers.jobs import enqueue_deliveries

pytestmark = pytest.mark.integration

TOWNS = ("Northport", "Eastvale", "Southmere")

DIGEST = """
channels:
  hook: "{url}"
rules:
  - name: ct-digest
    topics: [counter-terrorism]
    channels: [hook]
    mode: digest
    digest_minutes: {minutes}
"""


STORIES = {
    "Northport": (
        "Police in the fictional city of Northport arrested three militants suspected of planning a bombing "
        "near the central station, officials said. The counter-terrorism unit said the suspects belonged "
        "to an extremist cell and had gathered material for an explosive device."
    ),
    "Eastvale": (
        "A suicide bomber was stopped at a checkpoint outside Eastvale on Tuesday after guards noticed a "
        "wire under his coat. Prosecutors opened a terrorism investigation and said the jihadist group "
        "behind the attempt had recruited him online within weeks."
    ),
    "Southmere": (
        "Counter-terrorism officers in Southmere seized weapons and forged passports in a dawn raid on a "
        "warehouse used by a militant network. Two men were charged with terrorist financing for moving "
        "money to fighters abroad through a chain of small shops."
    ),
}


def story(town: str) -> Document:
    """An invented English counter-terrorism report about ``town`` (each a different story)."""
    text = (
        f"Police arrest militants planning a bombing in {town}\n\n{STORIES[town]}\n\n"
        f"Investigators in {town} said the terrorism inquiry would continue for several weeks.\n"
    )
    return Document(source=f"tests/{town.lower()}.txt", content=text.encode())



def test_three_alerts_become_one_message_when_the_window_closes(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """Three alerts of a digest rule schedule one flush job; when it runs, one POST carries all three.

    The window is 6 seconds: long enough that processing three stories on a slow CI machine
    (about 1 s there) cannot close it before the first run, short enough to wait for.
    """
    folder = config_dir(tmp_path, DIGEST.format(url=receiver.url(), minutes=0.1))
    pipeline = make_pipeline(env, folder, redis_client)
    alert_ids = []
    for town in TOWNS:
        outcome = pipeline.process(story(town))
        assert outcome.to_json()["alerts"] == ["ct-digest"]
        alert_ids += [a.id for a in outcome.alerts]
        enqueue_deliveries(pipeline, outcome.alerts)
    queue_name = Keys(env["MONITOR_KEY_PREFIX"]).queue("alerts")
    scheduled = ScheduledJobRegistry(queue_name, connection=redis_client, serializer=JSONSerializer)
    [flush_job] = scheduled.get_job_ids()
    due = scheduled.get_scheduled_time(flush_job).timestamp()
    assert due > time.time(), "the digest window closed before the first run; the test machine is too slow"
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    assert receiver.posts == []
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": "digest"}] * 3

    time.sleep(max(0.0, due - time.time()) + 0.5)
    run_alert_jobs(redis_client, env["MONITOR_KEY_PREFIX"])
    [post] = receiver.posts
    assert post["title"] == "ct-digest: 3 alerts"
    for town in TOWNS:
        assert f"Police arrest militants planning a bombing in {town}" in post["message"]
    assert [pipeline.alerts.deliveries(i) for i in alert_ids] == [{"hook": "delivered"}] * 3
    assert pipeline.digests.pending("ct-digest", "hook") == 0


def test_flush_digests_command_sends_an_open_window_now(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis, receiver: Receiver
) -> None:
    """`monitor alerts flush-digests` sends a 60-minute digest at once; a second flush sends nothing."""
    folder = config_dir(tmp_path, DIGEST.format(url=receiver.url(), minutes=60))
    pipeline = make_pipeline(env, folder, redis_client)
    for town in TOWNS[:2]:
        pipeline.process(story(town))
    assert pipeline.flush_digests() == []  # the window is still open
    env = {**env, "MONITOR_CONFIG_DIR": str(folder)}
    proc = run_monitor("alerts", "flush-digests", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json_lines(proc.stdout) == [
        {"rule": "ct-digest", "channel": "hook", "alerts": 2, "state": "delivered"}
    ]
    assert [p["title"] for p in receiver.posts] == ["ct-digest: 2 alerts"]
    again = run_monitor("alerts", "flush-digests", "--json", env=env)
    assert (again.returncode, again.stdout, len(receiver.posts)) == (0, "", 1)
