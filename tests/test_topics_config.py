"""Invalid topic rules in topics.yaml are refused with the file, line, topic and term named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.config import Config
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write_topics(tmp_path: Path, body: str) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    (target / "alerts.yaml").write_text("rules: []\n", encoding="utf-8")
    (target / "topics.yaml").write_text(body, encoding="utf-8")
    return target


def test_short_prefix_term_names_topic_and_term(tmp_path: Path) -> None:
    """'ab*' under topic 'security' is reported with its own line (7, not its section's), the topic
    path and the term."""
    config_dir = write_topics(
        tmp_path,
        "topics:\n  security:\n    languages:\n      en:\n"
        "        terms:\n          bomb: 2\n          ab*: 1\n",
    )
    with pytest.raises(
        ConfigError, match=r"topics\.yaml:7: topics\.security\.languages\.en\.terms: .*'ab\*'.*3 letters"
    ):
        Config.load(config_dir)


def test_star_inside_a_term_is_refused(tmp_path: Path) -> None:
    """A '*' in the middle of a term is an error naming the term."""
    config_dir = write_topics(
        tmp_path, "topics:\n  t:\n    languages:\n      fr:\n        terms:\n          'atten*tat': 2\n"
    )
    with pytest.raises(
        ConfigError, match=r"topics\.t\.languages\.fr\.terms: .*'atten\*tat'.*only allowed once, at the end"
    ):
        Config.load(config_dir)


def test_negative_weight_is_refused(tmp_path: Path) -> None:
    """Weights must be positive; counter-evidence goes under 'against'."""
    config_dir = write_topics(
        tmp_path, "topics:\n  t:\n    languages:\n      ar:\n        terms:\n          إرهاب: -1\n"
    )
    with pytest.raises(ConfigError, match=r"languages\.ar\.terms: .*'إرهاب': weight must be a number > 0, not -1"):
        Config.load(config_dir)


def test_exclusion_without_letters_is_refused(tmp_path: Path) -> None:
    """An exclusion made only of punctuation names the bad entry."""
    config_dir = write_topics(tmp_path, "topics:\n  t:\n    languages:\n      en:\n        exclude: ['--']\n")
    with pytest.raises(ConfigError, match=r"topics\.t\.languages\.en\.exclude: .*'--' has no letters"):
        Config.load(config_dir)


def test_context_term_is_validated_like_a_term(tmp_path: Path) -> None:
    """A context term with a zero weight is refused, naming the section and the term."""
    config_dir = write_topics(
        tmp_path, "topics:\n  t:\n    languages:\n      fr:\n        context:\n          Quai d'Orsay: 0\n"
    )
    with pytest.raises(ConfigError, match=r"languages\.fr\.context: .*\"Quai d'Orsay\": weight must be a number > 0"):
        Config.load(config_dir)


def test_relation_term_and_min_sides_are_validated(tmp_path: Path) -> None:
    """A relation term with a short prefix names the section and the term; min_sides 1 while
    countries are sides (any country beside a verb) names the topic."""
    config_dir = write_topics(
        tmp_path, "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n        relations: ['ur*']\n"
    )
    with pytest.raises(ConfigError, match=r"topics\.t\.languages\.en\.relations: .*'ur\*'.*3 letters"):
        Config.load(config_dir)
    config_dir = write_topics(
        tmp_path / "b",
        "topics:\n  t:\n    min_sides: 1\n    relation_weight: 3\n    languages:\n      en:\n"
        "        terms: {talks: 1}\n        relations: [urges]\n",
    )
    with pytest.raises(ConfigError, match=r"topics\.yaml:2: topics\.t: min_sides 1 needs country_sides: false"):
        Config.load(config_dir)


def test_party_code_is_validated(tmp_path: Path) -> None:
    """A party's code must be a short identifier; the error names the party and the code."""
    config_dir = write_topics(
        tmp_path,
        "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n"
        "        parties:\n          NATO: 'the alliance'\n",
    )
    with pytest.raises(ConfigError, match=r"topics\.t\.languages\.en\.parties: .*'NATO': code 'the alliance'"):
        Config.load(config_dir)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # a second block of one topic (or language) would silently replace the first
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "  t:\n    languages:\n      en:\n        terms:\n          embassy: 3\n",
            r"topics\.yaml:7:3: invalid YAML: key 't' repeated \(first on line 2\)",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n          talks: 1\n",
            r"topics\.yaml:7:11: invalid YAML: key 'talks' repeated \(first on line 6\)",
        ),
        # a language that is not an ISO 639-1 code would only apply to items of unknown language
        (
            "topics:\n  t:\n    languages:\n      fre:\n        terms:\n          traité: 2\n",
            r"topics\.t\.languages: language 'fre': write its ISO 639-1 code 'fr'",
        ),
        (
            "topics:\n  t:\n    languages:\n      EN:\n        terms:\n          talks: 2\n",
            r"language 'EN': write 'en'",
        ),
        # rules that could never do anything
        ("topics:\n  t:\n    languages: {}\n", r"topics\.t: no terms in any language"),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "        relations: [urges]\n",
            r"topics\.t: relations, roles, meetings or parties are given but relation_weight is 0",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "        roles: [envoy*]\n",
            r"topics\.t: relations, roles, meetings or parties are given but relation_weight is 0",
        ),
        (
            "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n        terms:\n          talks: 2\n",
            r"topics\.t: relation_weight is set but no language has relations, roles or meetings",
        ),
        (
            "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "        meetings: [meeting]\n",
            r"topics\.yaml:8: topics\.t: languages\.en\.meetings: meetings score only between two actors .* no "
            r"actor_relation_weight: set it or remove the meetings",
        ),
        (
            "topics:\n  t:\n    actor_relation_weight: 7\n    languages:\n"
            "      en:\n        terms:\n          talks: 2\n",
            r"topics\.yaml:3: topics\.t: actor_relation_weight: is set but relation_weight is 0 or missing",
        ),
        (
            "topics:\n  t:\n    title_relation_weight: 4.5\n    languages:\n"
            "      en:\n        terms:\n          talks: 2\n",
            r"topics\.yaml:3: topics\.t: title_relation_weight: is set but relation_weight is 0 or missing",
        ),
        # one term under terms and context: two weights, one would count
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          piracy: 4\n"
            "        context:\n          Piracy: 2\n",
            r"topics\.yaml:8: topics\.t\.languages\.en: context: term 'Piracy' is also under terms \(as 'piracy'\)",
        ),
        # an Arabic term under en: (an analyst's trial lost its English labels without a word)
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          piracy: 2\n          قرصنة: 4\n",
            r"topics\.yaml:7: topics\.t\.languages: en\.terms: term 'قرصنة' is in Arabic script under 'en'.*"
            r"move it under 'ar:'",
        ),
        (
            "topics:\n  t:\n    relation_weight: 3\n    min_sides: 1\n    country_sides: false\n"
            "    title_adjacent_relation_weight: 5\n    languages:\n"
            "      en:\n        terms:\n          talks: 2\n        relations: [warns]\n",
            r"topics\.t: title_adjacent_relation_weight: is set but country_sides is off",
        ),
        # actors: a code that is not a country, a language that is not ISO 639-1, one name under two states
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "actors:\n  France: {en: [Macron]}\n",
            r"topics\.yaml:8: actors: France: 'France' is not a two-letter country code",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "actors:\n  FR: {fre: [Macron]}\n",
            r"actors: FR: language 'fre': write its ISO 639-1 code 'fr'",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "actors:\n  FR: {en: [Macron]}\n  DZ: {en: [macron]}\n",
            r"topics\.yaml:9: actors: DZ\.en: 'macron' \(en\) is listed under both FR and DZ",
        ),
        # weights that are not numbers
        ("topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: .nan\n", r"'talks': weight must"),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: yes\n",
            r"'talks': weight True is not a number \(YAML reads yes/no",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks:\n",
            r"topics\.yaml:6: .*'talks': the weight is missing",
        ),
        # one term written twice in another case or with other accents or Arabic letter forms
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          piracy: 3\n          Piracy: 2\n",
            r"topics\.yaml:7: .*term 'Piracy' is 'piracy' again once case, accents and Arabic letter forms are folded",
        ),
        (
            "topics:\n  t:\n    languages:\n      fr:\n        terms:\n          piraterie: 3\n"
            "          pîraterie: 3\n",
            r"topics\.yaml:7: .*term 'pîraterie' is 'piraterie' again",
        ),
        (
            "topics:\n  t:\n    languages:\n      ar:\n        terms:\n          قرصنة: 3\n          قرصنه: 3\n",
            r"topics\.yaml:7: .*term 'قرصنه' is 'قرصنة' again",
        ),
        # a term YAML reads as a number, an empty list, a list where term: weight lines belong
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n          1982: 2\n",
            r"topics\.yaml:7: .*terms: term '1982' is a number in YAML: quote it \('1982': 2\)",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n          yes: 2\n",
            r"topics\.yaml:5: .*terms: a term written as yes/no/on/off/true/false/null is read by YAML as True: "
            r"quote the word \('yes': 2\)",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n        context:\n          navy: 1\n",
            r"topics\.yaml:5: .*en\.terms: the list is empty: write 'term: weight' lines under it, or remove the key",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          - piracy\n          - hijack*\n",
            r"topics\.yaml:5: .*en\.terms: write 'term: weight' lines \(piracy: 3\), not a list of '- term' lines",
        ),
        # indentation slips, reported by the parser on the line after: the message says to look there too
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n           summit: 3\n",
            r"topics\.yaml:7:18: invalid YAML: mapping values .* \(check the indentation of this line and the line",
        ),
        # an exclusion given a weight, or a word YAML reads as a boolean or a number
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          attack: 3\n"
            "        exclude:\n          - heart attack\n          - bombshell: 2\n",
            r"topics\.yaml:9: .*en\.exclude\[1\]: entries of this list are phrases without a weight: "
            r"write '- bombshell' \(weights belong under terms, context or against\)",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          attack: 3\n"
            "        negated_by:\n          - no\n",
            r"topics\.yaml:8: .*en\.negated_by\[0\]: YAML reads this entry as False: quote the word",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          attack: 3\n"
            "        exclude:\n          - 1982\n",
            r"topics\.yaml:8: .*en\.exclude\[0\]: YAML reads this entry as the number 1982: quote it \('1982'\)",
        ),
        # a list entry indented under the previous one becomes "defied - agree*"
        (
            "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "        relations:\n          - defied\n           - agree*\n",
            r"topics\.yaml:9: .*relations: term 'defied - agree\*' looks like two list entries joined",
        ),
    ],
)
def test_rules_that_would_be_silently_wrong_are_refused(tmp_path: Path, body: str, error: str) -> None:
    """Mistakes an analyst makes in topics.yaml that YAML or a lenient loader would accept and that
    would switch rules off without a word: each is refused, naming the line or topic at fault."""
    with pytest.raises(ConfigError, match=error):
        Config.load(write_topics(tmp_path, body))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # a region (or a body) under a country's code would merge with that country as one side
        (
            "topics:\n  t:\n    relation_weight: 3\n    min_sides: 1\n    country_sides: false\n    languages:\n"
            "      en:\n        terms:\n          attack*: 2\n        relations: [attack]\n        parties:\n"
            "          Sinai: SINAI\n          Mocimboa da Praia: MZ\n",
            r"topics\.yaml:13: topics\.t\.languages\.en\.parties: party 'Mocimboa da Praia' has the code 'MZ', "
            r"which is a country's in the gazetteer, .* give it a code of its own",
        ),
        # an actor under a code no country name carries, and one named like a country
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "actors:\n  FR:\n    fr: [Macron]\n  QQ:\n    en: [Nobody]\n",
            r"topics\.yaml:10: actors\.QQ: 'QQ' is not a country code of the gazetteer",
        ),
        (
            "topics:\n  t:\n    languages:\n      en:\n        terms:\n          talks: 2\n"
            "actors:\n  FR:\n    fr: [Macron, Hollande]\n",
            r"topics\.yaml:9: actors\.FR\.fr: 'Hollande' is also a country name of the gazetteer \(NL\)",
        ),
        # party_countries: a party code no topic has, a country code the gazetteer lacks
        (
            "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n        terms:\n          attack: 2\n"
            "        relations: [attack]\n        parties:\n          Houthis: HOUTHI\n"
            "party_countries:\n  HOUTHI: YE\n  HOUTIH: YE\n  HOUTHI2: YE\n",
            r"topics\.yaml:13: party_countries\.HOUTIH: 'HOUTIH' is no party code of any topic's parties",
        ),
        (
            "topics:\n  t:\n    relation_weight: 3\n    languages:\n      en:\n        terms:\n          attack: 2\n"
            "        relations: [attack]\n        parties:\n          Houthis: HOUTHI\n"
            "party_countries:\n  HOUTHI: Yemen\n",
            r"topics\.yaml:12: party_countries\.HOUTHI: 'Yemen' is not a country code of the gazetteer",
        ),
    ],
)
def test_gazetteer_conflicts_name_the_file_and_line(tmp_path: Path, body: str, error: str) -> None:
    """Checks that need the country gazetteer (party codes, actors) run when the file is loaded, so
    their errors name the file and the line like every other config error (an analyst trial found
    them reported with neither)."""
    with pytest.raises(ConfigError, match=error):
        Config.load(write_topics(tmp_path, body))
