"""Every fixture in seeds/ meets the expectations written beside it (seeds/NAME.expect.json).

Adding a regression case is adding two files, not code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from monitor.config import Config
from monitor.extract import read_document
from monitor.pipeline import Pipeline
from monitor.settings import Settings

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CASES = sorted(p for p in SEEDS.iterdir() if p.name.endswith(".expect.json"))


@pytest.mark.integration
@pytest.mark.parametrize("expect_path", CASES, ids=[p.name.removesuffix(".expect.json") for p in CASES])
def test_seed_meets_expectations(expect_path: Path, env: dict[str, str], redis_client: redis.Redis) -> None:
    """The seed comes out with its title, language, topics, countries and evidence, alerts once."""
    expect = json.loads(expect_path.read_text(encoding="utf-8"))
    doc_path = expect_path.with_name(expect_path.name.removesuffix(".expect.json"))
    settings = Settings.load()
    pipeline = Pipeline(settings, Config.load(settings.config_dir), redis_client)

    first = pipeline.process(read_document(doc_path, settings.max_document_bytes))
    item = first.item
    assert item.title == expect["title"]
    assert item.language == expect["language"]
    assert item.labels == expect["labels"]
    assert set(expect["countries_include"]) <= set(item.countries)
    for topic, terms in expect["evidence_include"].items():
        assert set(terms) <= {ev.term for ev in item.evidence[topic]}
    for text in expect["text_includes"]:
        assert text in item.text
    for text in expect["text_excludes"]:
        assert text not in item.text and text not in item.title
    assert [a.rule for a in first.alerts] == expect["alerts"]
    assert item.duplicate_of is None

    again = pipeline.process(read_document(doc_path, settings.max_document_bytes))
    assert [a.rule for a in again.alerts] == expect["alerts_on_replay"]
    assert again.item.duplicate_of == item.id
    assert again.item.story_id == item.story_id
