"""Classification speed: documents per second on one core, default rules and ten times as many terms.

Documents are ~3 KB articles assembled from the project's own development texts
(tests/data/dev_*.jsonl), each in one language. The "10x" rule set adds nine synthetic terms
per real term (single words, two-word phrases and prefix terms, in the same script as the
language) so the term dictionary is ten times larger; per-document cost should barely move,
since lookups are memoized per token (goal: well under 2x the time).

Figures are documents per CPU-second of this process (one core). Each is the best of
``--repeat`` timed passes over ``--docs`` documents, after one
warm-up pass (so the per-token memo is warm, as in a long-running worker); the cold figure
(fresh classifier, first pass) is printed too.

Run: ``python bench/classify_bench.py [--docs 2000] [--repeat 3]`` (prints figures, asserts nothing).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from monitor.classify import Classifier, load_countries
from monitor.config import TopicConfig, TopicsFile, load_yaml_model

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_BYTES = 3000
_ALPHABETS = {
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "en": "abcdefghijklmnopqrstuvwxyz",
    "fr": "abcdefghijklmnopqrstuvwxyzéè",
}


def articles(count: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """``count`` (title, ~3 KB body, language) triples built from the development texts."""
    rng = random.Random(seed)
    by_lang: dict[str, list[dict[str, str]]] = {}
    for path in sorted((ROOT / "tests" / "data").glob("dev_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            by_lang.setdefault(row["language"], []).append(row)
    out = []
    langs = sorted(by_lang)
    for i in range(count):
        lang = langs[i % len(langs)]
        rows = by_lang[lang]
        title = rng.choice(rows)["title"]
        body = ""
        while len(body.encode("utf-8")) < ARTICLE_BYTES:
            body += rng.choice(rows)["text"] + "\n\n"
        out.append((title, body, lang))
    return out


def inflate(topics: TopicsFile, factor: int, seed: int = 11) -> TopicsFile:
    """A copy of ``topics`` with ``factor - 1`` synthetic terms added per real term."""
    rng = random.Random(seed)

    def word(lang: str) -> str:
        return "".join(rng.choice(_ALPHABETS[lang]) for _ in range(rng.randint(5, 9)))

    new_topics = {}
    for name, topic in topics.topics.items():
        languages = {}
        for lang, rules in topic.languages.items():
            terms = dict(rules.terms)
            for _ in range((len(rules.terms) + len(rules.context)) * (factor - 1)):
                kind = rng.random()
                term = word(lang) + ("*" if kind < 0.2 else (" " + word(lang) if kind < 0.5 else ""))
                terms[term] = 1.0
            languages[lang] = rules.model_copy(update={"terms": terms})  # every other section kept
        new_topics[name] = TopicConfig(**{**topic.model_dump(), "languages": languages})
    return TopicsFile(topics=new_topics)


def term_count(topics: TopicsFile) -> int:
    """Positive rule terms (``terms`` and ``context``) over all topics and languages."""
    return sum(len(r.terms) + len(r.context) for t in topics.topics.values() for r in t.languages.values())


def measure(
    classifiers: dict[str, Classifier], docs: list[tuple[str, str, str]], repeat: int
) -> dict[str, float]:
    """Best docs per CPU-second of each classifier over ``repeat`` interleaved passes.

    CPU time of this process (``time.process_time``), not wall time: the figure is per core.
    Passes of the classifiers alternate, so a slow spell of a shared machine hits both alike.
    """
    best = dict.fromkeys(classifiers, float("inf"))
    for _ in range(repeat):
        for label, classifier in classifiers.items():
            start = time.process_time()
            for title, body, lang in docs:
                classifier.classify(title, body, lang)
            best[label] = min(best[label], time.process_time() - start)
    return {label: len(docs) / seconds for label, seconds in best.items()}


def cold(classifier: Classifier, docs: list[tuple[str, str, str]]) -> float:
    """Docs per CPU-second of the first pass of a fresh classifier (memo empty)."""
    start = time.process_time()
    for title, body, lang in docs:
        classifier.classify(title, body, lang)
    return len(docs) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    docs = articles(args.docs)
    countries = load_countries()
    base = load_yaml_model(ROOT / "config" / "topics.yaml", TopicsFile)
    big = inflate(base, 10)
    avg_kb = sum(len(b.encode("utf-8")) for _, b, _ in docs) / len(docs) / 1024
    print(f"{len(docs)} documents, average body {avg_kb:.1f} KiB, one process (one core)")
    rule_sets = {"default rules": base, "10x terms": big}
    classifiers = {label: Classifier(topics, countries) for label, topics in rule_sets.items()}
    cold_rates = {label: cold(c, docs) for label, c in classifiers.items()}  # also warms the memo
    results = measure(classifiers, docs, args.repeat)
    for label, topics in rule_sets.items():
        print(
            f"{label:14} {term_count(topics):6} terms: {results[label]:8.0f} docs/s warm, "
            f"{cold_rates[label]:8.0f} docs/s cold"
        )
    ratio = results["default rules"] / results["10x terms"]
    print(f"time ratio 10x terms / default: {ratio:.2f} (goal: well under 2)")


if __name__ == "__main__":
    main()
