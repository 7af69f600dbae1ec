"""Rule edits reach a running worker: topics.yaml and alerts.yaml are re-read before the next job
(real Redis, a real forking RQ worker), and an edit that does not validate is reported once while
the worker keeps the rules it had."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer
from structlog.testing import capture_logs

from monitor.config import Config
from monitor.keys import Keys
from monitor.rqworker import MonitorWorker
from monitor.settings import Settings
from workers import context

TOPICS = """topics:
  watch:
    threshold: 4
    languages:
      en:
        terms:
          zeppelin: 5
{extra}"""
ALERTS = """channels:
  desk: log://
rules:
  - name: airships
    topics: [watch]
    channels: [desk]
"""


def write_rules(directory: Path, extra: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "topics.yaml").write_text(TOPICS.format(extra=extra), encoding="utf-8")
    (directory / "alerts.yaml").write_text(ALERTS, encoding="utf-8")


@pytest.fixture
def config_dir(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    write_rules(directory)
    monkeypatch.setenv("MONITOR_CONFIG_DIR", str(directory))
    settings = Settings.load()
    context.init(settings, Config.load(settings.config_dir))
    return directory


def labels_of(title: str) -> list[str]:
    """RQ job: the labels this process's pipeline gives ``title``."""
    return context.get().classifier.classify(title, "", "en").labels


def test_an_edited_topics_file_is_used_from_the_next_call(config_dir: Path) -> None:
    """A new term applies after :func:`context.refresh`; an unchanged file is not re-read."""
    before = context.get()
    assert labels_of("Balloon over the harbour") == []
    assert context.refresh() is False and context.get() is before
    write_rules(config_dir, "          balloon: 5\n")
    with capture_logs() as logs:
        assert context.refresh() is True
    assert labels_of("Balloon over the harbour") == ["watch"]
    [event] = [e for e in logs if e["event"] == "config_reloaded"]
    assert event["topics"] == ["watch"] and event["alert_rules"] == ["airships"]


def test_an_edit_that_does_not_validate_keeps_the_old_rules_and_is_reported_once(config_dir: Path) -> None:
    """A weight 'yes' is refused with the file and line; the worker classifies as before, and the
    error is logged once for that edit, not before every job; the fixed file is then loaded."""
    write_rules(config_dir, "          balloon: yes\n")
    with capture_logs() as logs:
        assert context.refresh() is False
        assert context.refresh() is False
    [event] = [e for e in logs if e["event"] == "config_reload_failed"]
    assert "topics.yaml:8:" in event["error"] and "'balloon': weight True is not a number" in event["error"]
    assert labels_of("Zeppelin over the harbour") == ["watch"]
    write_rules(config_dir, "          balloon: 5\n")
    assert context.refresh() is True
    assert labels_of("Balloon over the harbour") == ["watch"]


def test_a_failed_reload_is_shown_by_healthz_and_status_until_the_file_is_mended(
    config_dir: Path, env: dict[str, str], redis_client: redis.Redis
) -> None:
    """The daemon runs on its old rules after a broken edit, so /healthz says "degraded" with the
    error (still 200: it serves), ``monitor status`` says it, and the inspection commands still run
    on the broken folder (an analyst's trial found them all exiting 2 while the daemon ran on).
    Mending the file clears it."""
    from rq import Worker

    from monitor.web_ops import healthz
    from tests.helpers import json_lines, run_monitor

    keys = Keys(env["MONITOR_KEY_PREFIX"])
    worker = Worker([keys.queue("entries")], connection=redis_client, serializer=JSONSerializer)
    worker.register_birth()
    try:
        write_rules(config_dir, "          balloon: yes\n")
        assert context.refresh() is False
        status, body = healthz(redis_client, keys)
        assert (status, body["status"]) == (200, "degraded")
        assert "topics.yaml:8:" in body["config_errors"]["rules"]

        result = run_monitor("status", "--json", env={"MONITOR_CONFIG_DIR": str(config_dir)})
        assert result.returncode == 0, result.stderr
        assert "warning: the config does not load: " in result.stderr and "topics.yaml:8:" in result.stderr
        [data] = json_lines(result.stdout)
        assert data["config"]["ok"] is False and "topics.yaml:8:" in data["config"]["error"]
        assert "'balloon': weight True" in data["config"]["reload_failed"]["rules"]["error"]
        text = run_monitor("status", env={"MONITOR_CONFIG_DIR": str(config_dir)}).stdout
        assert "config: PROBLEM" in text and "rules: a reload failed at " in text
        for command in (("alerts", "list"), ("feeds", "list")):
            listed = run_monitor(*command, env={"MONITOR_CONFIG_DIR": str(config_dir)})
            assert listed.returncode == 0 and "warning: the config does not load" in listed.stderr, command

        write_rules(config_dir, "          balloon: 5\n")
        assert context.refresh() is True
        status, body = healthz(redis_client, keys)
        assert (status, body["status"]) == (200, "ok") and "config_errors" not in body
        assert "config: ok" in run_monitor("status", env={"MONITOR_CONFIG_DIR": str(config_dir)}).stdout
    finally:
        worker.register_death()


def test_an_alert_rule_naming_a_removed_topic_keeps_the_old_config(config_dir: Path) -> None:
    """Renaming the topic in topics.yaml alone would orphan the alert rule: refused, old rules kept."""
    (config_dir / "topics.yaml").write_text(TOPICS.replace("watch:", "airships:").format(extra=""), encoding="utf-8")
    with capture_logs() as logs:
        assert context.refresh() is False
    [event] = [e for e in logs if e["event"] == "config_reload_failed"]
    assert "unknown topic 'watch'" in event["error"]
    assert context.get().config.topics.topics.keys() == {"watch"}


def test_a_running_worker_classifies_the_next_job_with_the_edited_rules(
    config_dir: Path, env: dict[str, str], redis_client: redis.Redis
) -> None:
    """Two jobs through a forking MonitorWorker, topics.yaml edited between them: the worker
    re-reads it before forking the second horse, which labels the item under the new term."""
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    queue = Queue(keys.queue("entries"), connection=redis_client, serializer=JSONSerializer)
    worker = MonitorWorker([queue], connection=redis_client, serializer=JSONSerializer, keys=keys)
    first = queue.enqueue(labels_of, "Balloon over the harbour")
    worker.work(burst=True, logging_level="WARNING")
    write_rules(config_dir, "          balloon: 5\n")
    second = queue.enqueue(labels_of, "Balloon over the harbour")
    worker.work(burst=True, logging_level="WARNING")
    assert first.return_value() == [] and second.return_value() == ["watch"]


def test_an_idle_worker_loads_an_edit_in_its_maintenance_pass(
    config_dir: Path, env: dict[str, str], redis_client: redis.Redis
) -> None:
    """A worker with no job still picks up an edit at its next maintenance pass (every
    MONITOR_MAINTENANCE_INTERVAL seconds), so workers do not drift apart on rules that only the
    busy ones saw; the log line names the worker."""
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    queue = Queue(keys.queue("entries"), connection=redis_client, serializer=JSONSerializer)
    worker = MonitorWorker([queue], connection=redis_client, serializer=JSONSerializer, keys=keys, name="idle-w")
    write_rules(config_dir, "          balloon: 5\n")
    with capture_logs() as logs:
        worker.run_maintenance_tasks()
    assert labels_of("Balloon over the harbour") == ["watch"]
    [event] = [e for e in logs if e["event"] == "config_reloaded"]
    assert event["worker"] == "idle-w"


def test_a_worker_started_on_a_broken_edit_runs_the_last_good_config(
    config_dir: Path, env: dict[str, str], redis_client: redis.Redis
) -> None:
    """A worker restarted while topics.yaml was broken exited 2 until someone mended it, so
    ingestion stopped (a bad-input trial). Each start on files that load copies them to the state
    folder; a start on broken files runs that copy, logs why, and records the error for /healthz.
    With no copy it still exits 2, naming the file."""
    from monitor.config_health import reload_errors
    from tests.helpers import json_lines, run_monitor

    worker_env = {"MONITOR_CONFIG_DIR": str(config_dir)}
    burst = ("worker", "--burst", "--queues", "entries")
    started = run_monitor(*burst, env=worker_env)
    assert started.returncode == 0, started.stderr
    from monitor.config_snapshot import snapshot_dir

    snapshot = snapshot_dir(config_dir, Path(env["MONITOR_STATE_DIR"]))
    assert "zeppelin: 5" in (snapshot / "topics.yaml").read_text(encoding="utf-8")

    write_rules(config_dir, "          balloon: yes\n")
    restarted = run_monitor(*burst, env=worker_env)
    assert restarted.returncode == 0, restarted.stderr
    [event] = [e for e in json_lines(restarted.stdout) if e.get("event") == "config_invalid_running_last_good"]
    assert "topics.yaml:8:" in event["error"] and event["snapshot"] == str(snapshot)
    keys = Keys(env["MONITOR_KEY_PREFIX"])
    assert "topics.yaml:8:" in str(reload_errors(redis_client, keys)["rules"]["error"])
    assert "zeppelin: 5" in (snapshot / "topics.yaml").read_text(encoding="utf-8")
    assert "balloon" not in (snapshot / "topics.yaml").read_text(encoding="utf-8")  # the copy stays good

    import shutil

    shutil.rmtree(snapshot)
    refused = run_monitor(*burst, env=worker_env)
    assert refused.returncode == 2 and "topics.yaml:8:" in refused.stderr
    assert f"no last good copy of this config folder to run instead ({snapshot})" in refused.stderr


def test_the_last_good_config_is_only_used_for_the_folder_it_was_taken_from(
    config_dir: Path, tmp_path: Path
) -> None:
    """Each config folder has its own copy in a shared state folder (a trial's second daemon
    overwrote the first one's): another folder does not get this one's rules, nor replace its copy;
    the copy's config watches the real folder, so mending the real files is picked up."""
    from monitor import config_snapshot

    state = tmp_path / "state-copy"
    assert config_snapshot.save(Config.load(config_dir), state) == config_snapshot.snapshot_dir(config_dir, state)
    other = tmp_path / "other-config"
    write_rules(other, "          balloon: 4\n")
    config_snapshot.save(Config.load(other), state)
    write_rules(other, "          balloon: yes\n")
    config, taken_at = config_snapshot.load_last_good(config_dir, state)  # type: ignore[misc]
    assert config.directory == config_dir and list(config.topics.topics) == ["watch"] and taken_at > 0
    assert "balloon" not in str(config.topics.topics["watch"].languages["en"].terms)
    config, _ = config_snapshot.load_last_good(other, state)  # type: ignore[misc]
    assert config.directory == other and "balloon" in str(config.topics.topics["watch"].languages["en"].terms)
    assert config_snapshot.load_last_good(tmp_path / "never-loaded", state) is None
