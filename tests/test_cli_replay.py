"""``monitor replay`` as a user runs it: inline, through RQ, and with bad documents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.helpers import json_lines, run_monitor

SEED = "seeds/000_6e8e5aea7d05e096.txt"
TITLE = "تعزيز التعاون الأمني بين مصر والاتحاد الأوروبي"

pytestmark = pytest.mark.integration


def test_replay_inline_json_prints_contract_then_duplicate(env: dict[str, str]) -> None:
    """The seed prints language ar, both topics, one alert; the second run prints a duplicate and no alert."""
    first = run_monitor("replay", "--inline", "--json", SEED, env=env)
    assert first.returncode == 0, first.stderr
    [doc] = json_lines(first.stdout)
    assert doc["source"] == SEED
    assert doc["title"] == TITLE
    assert doc["language"] == "ar"
    assert {"counter-terrorism", "diplomacy"} <= set(doc["topics"])
    assert doc["labels"] == ["counter-terrorism", "diplomacy"]
    assert "مكافحة الإرهاب" in [ev["term"] for ev in doc["evidence"]["counter-terrorism"]]
    assert "زر الذهاب إلى الأعلى" not in doc["text"]
    assert doc["duplicate_of"] is None
    assert doc["alerts"] == ["security-desk"]

    second = run_monitor("replay", "--inline", "--json", SEED, env=env)
    assert second.returncode == 0, second.stderr
    [again] = json_lines(second.stdout)
    assert again["duplicate_of"] == doc["id"]
    assert again["alerts"] == []


def test_replay_inline_tries_a_draft_config_folder(env: dict[str, str], tmp_path: Path) -> None:
    """``--config-dir`` runs the seed under a draft's alert rules (an analyst trying a rule before
    saving it over the live file); without ``--inline`` it is refused, as queued jobs run under the
    workers' config."""
    import shutil

    draft = tmp_path / "draft"
    shutil.copytree(Path(env["MONITOR_CONFIG_DIR"]), draft)
    (draft / "alerts.yaml").write_text(
        "channels:\n  desk: log://\nrules:\n  - name: egypt-desk\n    topics: [diplomacy]\n"
        "    countries: [EG]\n    channels: [desk]\n",
        encoding="utf-8",
    )
    result = run_monitor("replay", "--inline", "--json", "--config-dir", str(draft), SEED, env=env)
    assert result.returncode == 0, result.stderr
    [doc] = json_lines(result.stdout)
    assert doc["alerts"] == ["egypt-desk"]
    queued = run_monitor("replay", "--config-dir", str(draft), SEED, env=env)
    assert queued.returncode == 2
    assert "error: --config-dir needs --inline (queued jobs use the workers' config)" in queued.stderr


def test_replay_through_rq_worker_gives_same_result(env: dict[str, str], redis_client: redis.Redis) -> None:
    """`monitor replay` enqueues; `monitor worker --burst` processes; the job result matches inline."""
    enq = run_monitor("replay", "--json", SEED, env=env)
    assert enq.returncode == 0, enq.stderr
    [queued] = json_lines(enq.stdout)
    work = run_monitor("worker", "--burst", env=env)
    assert work.returncode == 0, work.stderr
    job = Job.fetch(queued["job_id"], connection=redis_client, serializer=JSONSerializer)
    result = job.return_value()
    assert result["title"] == TITLE
    assert result["language"] == "ar"
    assert result["labels"] == ["counter-terrorism", "diplomacy"]
    assert result["alerts"] == ["security-desk"]
    # the alert was delivered by the same burst (alerts queue) and recorded as delivered
    prefix = env["MONITOR_KEY_PREFIX"]
    [alert_id] = result["alert_ids"]
    assert redis_client.hgetall(f"{prefix}:alert:{alert_id}:delivery") == {b"log": b"delivered"}


def test_bad_documents_are_named_and_the_rest_processed(env: dict[str, str], tmp_path: Path) -> None:
    """Empty, binary, invalid UTF-8, 50 MB and JSON Lines files (by suffix or by content) each get a
    one-line error; the seed still goes through."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64))
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Réunion à Genève sur la sécurité régionale et la coopération.".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    items = tmp_path / "export.jsonl"
    items.write_text('{"id": "1", "title": "Talks in Cairo", "text": ""}\n', encoding="utf-8")
    renamed = tmp_path / "export.txt"  # the same export under a text suffix
    renamed.write_text('{"id": "1", "title": "Talks in Cairo", "text": ""}\n', encoding="utf-8")
    seed = Path(__file__).resolve().parent.parent / SEED
    paths = [str(p) for p in (empty, binary, latin, huge, items, renamed, seed)]
    proc = run_monitor("replay", "--inline", "--json", *paths, env=env)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 6
    assert any(str(empty) in e and "empty" in e for e in errors)
    assert any(str(binary) in e and "binary" in e for e in errors)
    assert any(str(latin) in e and "UTF-8" in e for e in errors)
    assert any(str(huge) in e and "limit" in e for e in errors)
    for export in (items, renamed):
        assert f"error: {export}: JSON items, not an article: classify them with monitor classify < FILE" in errors
    [doc] = json_lines(proc.stdout)
    assert doc["title"] == TITLE


def test_bad_setting_is_named(env: dict[str, str]) -> None:
    """An invalid MONITOR_REDIS_URL gives exit 2 and an error naming the variable."""
    proc = run_monitor("replay", "--inline", SEED, env={**env, "MONITOR_REDIS_URL": "http://nope"})
    assert proc.returncode == 2
    assert "MONITOR_REDIS_URL" in proc.stderr
