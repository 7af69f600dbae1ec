"""Topic classification with weighted term rules (config/topics.yaml).

How a text is scored, per topic:

1. Title and body are normalized (:func:`monitor.textnorm.normalize`) and tokenized.
2. Each token is expanded to lookup forms: Arabic tokens lose one proclitic and/or one
   suffix (:func:`monitor.textnorm.arabic_variants`); Latin tokens also lose a plural ``s``.
3. Forms are looked up in one dictionary built at start-up from every rule term: single
   words, prefix terms (``terroris*``), and the first word of multi-word phrases, whose
   following words are then checked against the next tokens' forms. Lookups are memoized
   per token, so the cost per document depends on its length, not on the number of terms.
4. Words covered by an exclusion phrase never count.
5. A term's contribution is ``weight * (1 + ln(count))`` (sublinear tf scaling, Manning,
   Raghavan & Schütze, *Introduction to Information Retrieval*, 2008, §6.4.1), multiplied by
   the topic's ``title_weight`` for title matches. A topic is a label when its score reaches
   ``threshold`` with at least ``min_distinct_terms`` different terms.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from monitor.config import TopicsFile
from monitor.errors import ConfigError
from monitor.model import Classification, Evidence
from monitor.textnorm import arabic_variants, is_arabic_letter, normalize, tokens

_MIN_PREFIX = 3


@dataclass(frozen=True)
class _Rule:
    topic: str
    language: str
    term: str  # as written in topics.yaml
    words: tuple[str, ...]  # normalized words; the last may be a prefix
    prefix: bool
    weight: float
    exclusion: bool = False


def token_forms(token: str) -> frozenset[str]:
    """Lookup forms of one normalized token (Arabic clitics/suffixes off, Latin plural ``s`` off)."""
    if token and is_arabic_letter(token[0]):
        return frozenset(arabic_variants(token))
    if len(token) > 3 and token.endswith("s"):
        return frozenset((token, token[:-1]))
    return frozenset((token,))


class Classifier:
    """Compiled topic rules; call :meth:`classify` many times.

    Args:
        topics: validated ``topics.yaml``.
        countries: language -> {country name or demonym -> code (ISO 3166-1 alpha-2 or ``EU``)};
            see :func:`load_countries`.

    Raises:
        ConfigError: a term that normalizes to nothing, naming the topic and the term.
    """

    def __init__(self, topics: TopicsFile, countries: dict[str, dict[str, str]] | None = None) -> None:
        self._topics = topics.topics
        self._exact: dict[str, list[_Rule]] = defaultdict(list)
        self._prefix: dict[str, list[_Rule]] = defaultdict(list)
        self._languages: set[str] = set()
        for name, topic in topics.topics.items():
            for lang, rules in topic.languages.items():
                self._languages.add(lang)
                for term, weight in rules.terms.items():
                    self._add(_compile(name, lang, term, weight, exclusion=False))
                for term in rules.exclude:
                    self._add(_compile(name, lang, term, 0.0, exclusion=True))
        # language -> first word -> [(words, code)]
        self._country_index: dict[str, dict[str, list[tuple[tuple[str, ...], str]]]] = {}
        for lang, names in (countries or {}).items():
            index = self._country_index.setdefault(lang, defaultdict(list))
            for name, code in names.items():
                words = tuple(tokens(normalize(name)))
                if words:
                    index[words[0]].append((words, code))
        self._lookup = lru_cache(maxsize=200_000)(self._lookup_uncached)
        self._forms = lru_cache(maxsize=200_000)(token_forms)

    def _add(self, rule: _Rule) -> None:
        table = self._prefix if rule.prefix and len(rule.words) == 1 else self._exact
        table[rule.words[0]].append(rule)

    def _lookup_uncached(self, token: str) -> tuple[_Rule, ...]:
        found: list[_Rule] = []
        for form in token_forms(token):
            found.extend(self._exact.get(form, ()))
            for k in range(_MIN_PREFIX, len(form) + 1):
                found.extend(self._prefix.get(form[:k], ()))
        return tuple(dict.fromkeys(found))

    def _matches(self, toks: list[str], language: str | None) -> dict[_Rule, int]:
        """Count rule matches in one token list, exclusions applied."""
        hits: list[tuple[int, int, _Rule]] = []
        for i, tok in enumerate(toks):
            for rule in self._lookup(tok):
                if language in self._languages and rule.language != language:
                    continue
                n = len(rule.words)
                if n > 1 and not self._phrase_at(toks, i, rule):
                    continue
                hits.append((i, i + n, rule))
        excluded: set[int] = set()
        for start, end, rule in hits:
            if rule.exclusion:
                excluded.update(range(start, end))
        # Per topic, each token counts once: longer phrases first, then heavier terms, so
        # "مكافحة الإرهاب" is not also counted as "إرهاب", nor "إرهابية" as "إرهاب".
        hits.sort(key=lambda h: (-(h[1] - h[0]), -h[2].weight, -len(h[2].term)))
        covered: dict[str, set[int]] = defaultdict(set)
        counts: dict[_Rule, int] = defaultdict(int)
        for start, end, rule in hits:
            span = range(start, end)
            if rule.exclusion or excluded.intersection(span) or covered[rule.topic].intersection(span):
                continue
            covered[rule.topic].update(span)
            counts[rule] += 1
        return counts

    def _phrase_at(self, toks: list[str], i: int, rule: _Rule) -> bool:
        words = rule.words
        if i + len(words) > len(toks):
            return False
        for j in range(1, len(words)):
            forms = self._forms(toks[i + j])
            word = words[j]
            if rule.prefix and j == len(words) - 1:
                if not any(f.startswith(word) for f in forms):
                    return False
            elif word not in forms:
                return False
        return True

    def classify(self, title: str, text: str, language: str | None = None) -> Classification:
        """Score ``title`` and ``text`` against every topic.

        Args:
            language: ISO 639-1 code; when the rules have this language, only its rules apply,
                otherwise the rules of every language do.

        Returns:
            :class:`~monitor.model.Classification` with scores rounded to 2 decimals,
            labels in config order, evidence sorted by contribution.
        """
        title_toks = tokens(normalize(title))
        body_toks = tokens(normalize(text))
        scores: dict[str, float] = {name: 0.0 for name in self._topics}
        evidence: dict[str, list[Evidence]] = {name: [] for name in self._topics}
        distinct: dict[str, set[str]] = {name: set() for name in self._topics}
        for where, toks in (("title", title_toks), ("body", body_toks)):
            for rule, count in self._matches(toks, language).items():
                factor = self._topics[rule.topic].title_weight if where == "title" else 1.0
                contribution = rule.weight * (1.0 + math.log(count)) * factor
                scores[rule.topic] += contribution
                distinct[rule.topic].add(rule.term)
                evidence[rule.topic].append(Evidence(rule.term, count, where, rule.weight))  # type: ignore[arg-type]
        labels = [
            name
            for name, topic in self._topics.items()
            if scores[name] >= topic.threshold and len(distinct[name]) >= topic.min_distinct_terms
        ]
        for evs in evidence.values():
            evs.sort(key=lambda e: (-e.weight * e.count, e.term))
        return Classification(
            topics={k: round(v, 2) for k, v in scores.items()},
            labels=labels,
            evidence={k: v for k, v in evidence.items() if v},
            countries=self.countries(title_toks + body_toks, language),
        )

    def countries(self, toks: list[str], language: str | None = None) -> dict[str, int]:
        """Count country mentions (names and demonyms) in normalized tokens.

        Uses the names of ``language`` when the gazetteer has it, otherwise of every language.

        Returns:
            code -> mentions, most mentioned first.
        """
        counts: dict[str, int] = defaultdict(int)
        langs = [language] if language in self._country_index else list(self._country_index)
        indexes = [self._country_index[lang] for lang in langs]
        for i, tok in enumerate(toks):
            matched: set[str] = set()
            for form in self._forms(tok):
                for words, code in (m for index in indexes for m in index.get(form, ())):
                    if code not in matched and self._words_follow(toks, i, words):
                        matched.add(code)
                        counts[code] += 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def _words_follow(self, toks: list[str], i: int, words: tuple[str, ...]) -> bool:
        if i + len(words) > len(toks):
            return False
        return all(w in self._forms(toks[i + j]) for j, w in enumerate(words[1:], 1))


def _compile(topic: str, language: str, term: str, weight: float, exclusion: bool) -> _Rule:
    prefix = term.endswith("*")
    words = tuple(tokens(normalize(term.rstrip("*"))))
    if not words:
        raise ConfigError(f"topics.yaml: topic {topic!r}, language {language!r}: term {term!r} has no words")
    return _Rule(topic, language, term, words, prefix, weight, exclusion)


def load_countries(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Read the country gazetteer (default: ``monitor/data/countries.yaml``).

    Returns:
        language -> {name or demonym -> code}.

    Raises:
        ConfigError: the file is unreadable or not of the form ``CODE: {lang: [names]}``.
    """
    path = path or Path(__file__).parent / "data" / "countries.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for code, by_lang in data.items():
            for lang, names in by_lang.items():
                for name in names:
                    out[lang][str(name)] = str(code)
        return dict(out)
    except (OSError, yaml.YAMLError, AttributeError, TypeError) as exc:
        raise ConfigError(f"{path}: invalid country gazetteer: {exc}") from exc
