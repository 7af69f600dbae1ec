"""classify_docs_per_s: the topics work's own ``classify_bench`` (3 KB articles, one core), as a figure.

All the measuring is ``classify_bench``'s (documents from the development texts, CPU time of
this process, best of N warm passes, default rules and a 10x-terms copy); this module only
returns its numbers as a dict. Goal: at least 2,000 documents per second with the default rules.
"""

from __future__ import annotations

from typing import Any

from benchkit import Ctx


def run(ctx: Ctx) -> dict[str, Any]:
    """Measure the figure; see the module docstring."""
    try:
        import classify_bench as cb
    except ImportError as exc:
        return {"status": f"unavailable: bench/classify_bench.py (topics work) not landed ({exc})"}
    from monitor.classify import Classifier, load_countries
    from monitor.config import TopicsFile, load_yaml_model

    n_docs, repeat = (200, 1) if ctx.quick else (2000, 3)
    docs = cb.articles(n_docs)
    countries = load_countries()
    base = load_yaml_model(cb.ROOT / "config" / "topics.yaml", TopicsFile)
    big = cb.inflate(base, 10)
    # as classify_bench.main(): a cold first pass (which warms the memo), then interleaved passes
    classifiers = {"default": Classifier(base, countries), "10x": Classifier(big, countries)}
    cold_rate = cb.cold(classifiers["default"], docs)
    cb.cold(classifiers["10x"], docs)
    rates = cb.measure(classifiers, docs, repeat)
    default_rate, big_rate = rates["default"], rates["10x"]
    avg_bytes = sum(len(body.encode("utf-8")) for _, body, _ in docs) / len(docs)
    return {
        "classify_docs_per_s": round(default_rate),
        "goal": ">= 2000",
        "met": default_rate >= 2000,
        "cold_first_pass_docs_per_s": round(cold_rate),
        "docs_per_s_10x_terms": round(big_rate),
        "ms_per_doc": round(1000 / default_rate, 3),
        "ms_per_doc_10x_terms": round(1000 / big_rate, 3),
        "time_ratio_10x_over_default": round(default_rate / big_rate, 3),
        "terms_default": cb.term_count(base),
        "terms_10x": cb.term_count(big),
        "docs": n_docs,
        "avg_body_bytes": round(avg_bytes),
    }
