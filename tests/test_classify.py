"""Topic rules on short texts in the three languages (pure, no Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import Classifier, load_countries
from monitor.config import Config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(Config.load(ROOT / "config").topics, load_countries())


def test_arabic_terms_match_through_clitics(classifier: Classifier) -> None:
    """وبالإرهاب / للإرهابيين / والتطرف match the terms إرهاب, إرهابي and تطرف."""
    result = classifier.classify(
        "هجوم إرهابي في سيناء",
        "أعلنت السلطات أن خلية إرهابية نفذت الهجوم، وتعهدت بملاحقة الإرهابيين ومكافحة التطرف والإرهاب.",
        "ar",
    )
    assert "counter-terrorism" in result.labels
    terms = {ev.term for ev in result.evidence["counter-terrorism"]}
    assert {"هجوم إرهابي", "خلية إرهابية"} <= terms


def test_english_inflections_and_evidence_place(classifier: Classifier) -> None:
    """terrorist*/bombing* catch inflections; a title match is reported as such."""
    result = classifier.classify(
        "Suicide bombing kills 12 at checkpoint",
        "Police said the terrorists belonged to a militant group; counter-terrorism units were deployed.",
        "en",
    )
    assert result.labels == ["counter-terrorism"]
    where = {(ev.term, ev.where) for ev in result.evidence["counter-terrorism"]}
    assert ("suicide bomb*", "title") in where
    assert ("terrorist*", "body") in where


def test_french_diplomacy(classifier: Classifier) -> None:
    """A French official visit with talks is diplomacy, not counter-terrorism."""
    result = classifier.classify(
        "Visite officielle du ministre des Affaires étrangères à Alger",
        "Le ministre a rencontré son homologue algérien pour des pourparlers sur la coopération bilatérale.",
        "fr",
    )
    assert result.labels == ["diplomacy"]
    assert result.countries.get("DZ") == 2


def test_false_friends_do_not_fire(classifier: Classifier) -> None:
    """A 'bombshell' announcement and a 'diplomatic answer' are excluded phrases."""
    result = classifier.classify(
        "Club makes bombshell announcement",
        "The coach gave a diplomatic answer about the striker and the summit of the league table.",
        "en",
    )
    assert result.labels == []


def test_economy_text_gets_no_topic(classifier: Classifier) -> None:
    """Case 17's article, without its teaser list, is about wheat prices only."""
    result = classifier.classify(
        "Le prix du blé recule",
        "Le cours du blé a baissé de 4 % cette semaine. Les meuniers attendent une stabilisation du prix "
        "de la farine d'ici l'été.",
        "fr",
    )
    assert result.labels == []
