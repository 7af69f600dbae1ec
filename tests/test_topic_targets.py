"""The default rules meet the issue's targets on the labelled development sets (tests/data/GUIDELINE.md).

Targets (issue 5): per topic F1 >= 0.85 and precision >= 0.85 overall, F1 >= 0.75 in each
language. Asserted on the committed set (texts written by the project) always, its held-out
slice separately, and on the labels of the real corpus items when ../shared is present. On the
corpus set, languages with fewer than 5 positives of a topic are not scored (one item would
swing F1 between 0 and 1), and the slices measured below target are marked xfail(strict):
they are the rules' known gap on real news, and the test fails as soon as they are met.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import Classifier, load_countries
from monitor.config import Config
from monitor.topic_eval import Report, evaluate, load_items
from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TOPICS = ("counter-terrorism", "diplomacy")
MIN_F1, MIN_PRECISION, MIN_F1_LANGUAGE, MIN_SUPPORT = 0.85, 0.85, 0.75, 5


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(Config.load(ROOT / "config").topics, load_countries())


def own_report(classifier: Classifier, split: str | None = None) -> Report:
    items = [i for path in sorted(DATA.glob("dev_*.jsonl")) for i in load_items(path, split=split)]
    return evaluate(items, classifier.classify, TOPICS)


@pytest.fixture(scope="module")
def corpus_report(classifier: Classifier) -> Report:
    corpus = shared_path("corpus")
    return evaluate(load_items(DATA / "corpus_labels.jsonl", corpus), classifier.classify, TOPICS)


def test_committed_set_has_at_least_150_items_in_three_balanced_languages() -> None:
    """339 written items: 112 to 115 per language, positives, negatives and hard negatives in each."""
    items = [i for path in sorted(DATA.glob("dev_*.jsonl")) for i in load_items(path)]
    assert len(items) >= 335
    for lang in ("ar", "en", "fr"):
        kinds = {i.kind for i in items if i.language == lang}
        assert 110 <= sum(i.language == lang for i in items) <= 118
        assert kinds == {"positive", "negative", "hard_negative"}


@pytest.mark.parametrize("topic", TOPICS)
def test_committed_set_meets_targets(classifier: Classifier, topic: str) -> None:
    """F1 and precision >= 0.85 overall and F1 >= 0.75 in ar, en and fr, on all committed items."""
    scores = own_report(classifier).to_json()["topics"][topic]
    assert scores["all"]["f1"] >= MIN_F1 and scores["all"]["precision"] >= MIN_PRECISION, scores["all"]
    for lang in ("ar", "en", "fr"):
        assert scores[lang]["f1"] >= MIN_F1_LANGUAGE, (lang, scores[lang])


@pytest.mark.parametrize("topic", TOPICS)
def test_heldout_slice_meets_overall_targets(classifier: Classifier, topic: str) -> None:
    """The 30 % held out while tuning reaches F1 and precision >= 0.85 per topic."""
    scores = own_report(classifier, split="heldout").to_json()["topics"][topic]["all"]
    assert scores["f1"] >= MIN_F1 and scores["precision"] >= MIN_PRECISION, scores


def test_seed_kind_and_economy_article_examples(classifier: Classifier) -> None:
    """A wheat-price item with a teaser-free body gets no topic (case 17's article)."""
    result = classifier.classify(
        "Wheat prices slip as harvest outlook improves",
        "Wheat futures fell 4% this week; millers expect flour prices to stabilise.",
        "en",
    )
    assert result.labels == []


# Slices measured below target on the real corpus labels are listed here and marked xfail(strict).
# None since the tenth session: diplomacy precision was 0.83 (four pages dense with the vocabulary
# about something else: an Irish election, a war story, a campaign group urging the UN, a column);
# the length normalization measured on the real sets gave 0.90/0.90/0.90.
_CORPUS_GAPS: set[tuple[str, str, str]] = set()
_CORPUS_CASES = [
    pytest.param(topic, slice_, metric, marks=pytest.mark.xfail(strict=True, reason="known gap on real news"))
    if (topic, slice_, metric) in _CORPUS_GAPS
    else (topic, slice_, metric)
    for topic in TOPICS
    for slice_, metric in (("all", "f1"), ("all", "precision"), ("en", "f1"), ("fr", "f1"), ("ar", "f1"))
]


@pytest.mark.shared
@pytest.mark.parametrize(("topic", "slice_", "metric"), _CORPUS_CASES)
def test_corpus_labels_meet_targets(corpus_report: Report, topic: str, slice_: str, metric: str) -> None:
    """Each topic/language slice with >= 5 positives reaches the target on the real corpus items."""
    scores = corpus_report.to_json()["topics"][topic].get(slice_)
    if scores is None or scores["support"] < MIN_SUPPORT:
        pytest.skip(f"{topic}/{slice_}: fewer than {MIN_SUPPORT} positives in the corpus labels")
    target = MIN_F1 if slice_ == "all" else MIN_F1_LANGUAGE
    assert scores[metric] >= (MIN_PRECISION if metric == "precision" else target), scores


@pytest.mark.shared
@pytest.mark.parametrize(("topic", "floor"), [("counter-terrorism", 0.90), ("diplomacy", 0.85)])
def test_corpus_labels_do_not_regress(corpus_report: Report, topic: str, floor: float) -> None:
    """Overall F1 on the real corpus items stays at least at the level measured when the rules were tuned."""
    assert corpus_report.to_json()["topics"][topic]["all"]["f1"] >= floor
