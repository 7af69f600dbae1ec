"""extract_ratio: items/s through the whole worker pipeline over items/s of bare trafilatura.extract.

Pipeline side: each page is staged and enqueued on the ``entries`` RQ queue
(``workers.jobs.enqueue_document``) and an RQ ``SimpleWorker`` runs the burst in this process
(``workers.jobs.process_document``: extract, language, dedup, classify, store, alert rules, delivery
jobs enqueued). The clock runs from the first enqueue to the end of the last job (its RQ
``ended_at``); the burst worker's exit after it is reported apart. Baseline side:
``trafilatura.extract(page_bytes)`` on the same pages, in the same process. Rounds alternate
(baseline, pipeline, baseline, ...) and the private Redis is flushed before each pipeline round,
so every item is new each time. Goal: ratio >= 0.8.

A per-stage split of one in-process pass says where the pipeline's extra time goes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from benchkit import CONFIG_DIR, Ctx, load_pages, median


def _docs(pages: list[tuple[str, bytes]]) -> list[Any]:
    from monitor.model import Document, EntryInfo

    docs = []
    for name, content in pages:
        url = f"https://news.example.org/bench/{name}"
        docs.append(Document(source=url, content=content, content_type="text/html", url=url,
                             entry=EntryInfo(feed_id="bench", key=url, link=url)))
    return docs


def _baseline(pages: list[tuple[str, bytes]]) -> float:
    import trafilatura

    t0 = time.perf_counter()
    for _, content in pages:
        trafilatura.extract(content)
    return time.perf_counter() - t0


def _pipeline_round(ctx: Ctx, pipeline: Any, docs: list[Any]) -> tuple[float, float, int, int]:
    """One timed round through RQ: from the first enqueue to the end of the last job (its
    ``ended_at``). The burst worker's exit after that (unsubscribing, joining its pub/sub thread:
    0.1-0.4 s a round, once per worker life in a deployed worker) is measured apart.

    Returns:
        (seconds, seconds of worker exit after the last job, finished jobs, failed jobs).
    """
    from rq import SimpleWorker
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    from workers.jobs import enqueue_document

    ctx.flush()
    conn, keys = pipeline.connection, pipeline.keys
    t0 = time.time()
    job_ids = [enqueue_document(conn, keys, doc, pipeline.settings.job_timeout) for doc in docs]
    worker = SimpleWorker([keys.queue("entries")], connection=conn, serializer=JSONSerializer)
    worker.work(burst=True, logging_level="WARNING")
    t_exit = time.time()
    jobs = [Job.fetch(j, connection=conn, serializer=JSONSerializer) for j in job_ids]
    last_end = max((_epoch(j.ended_at) for j in jobs if j.ended_at), default=t_exit)
    finished = sum(j.get_status() == JobStatus.FINISHED for j in jobs)
    return last_end - t0, t_exit - last_end, finished, len(jobs) - finished


def _epoch(moment: datetime) -> float:
    """Unix seconds of an RQ timestamp (UTC, naive or aware)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _stage_split(pipeline: Any, docs: list[Any], ctx: Ctx) -> dict[str, float]:
    """Seconds per page spent in each stage, from one in-process pass (Redis flushed first)."""
    from monitor.errors import DocumentError
    from monitor.extract import extract

    ctx.flush()
    totals = dict.fromkeys(("extract", "language", "dedup", "classify"), 0.0)
    n = 0
    for doc in docs:
        t0 = time.perf_counter()
        try:
            article = extract(doc)
        except DocumentError:
            continue
        t1 = time.perf_counter()
        lang = pipeline.language.detect(article.title, article.text)
        t2 = time.perf_counter()
        pipeline.dedup.check(article.text, article.canonical_url)
        t3 = time.perf_counter()
        pipeline.classifier.classify(article.title, article.text, lang.code)
        t4 = time.perf_counter()
        for k, v in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            totals[k] += v
        n += 1
    return {f"{k}_ms_per_page": round(1000 * v / max(n, 1), 2) for k, v in totals.items()}


def run(ctx: Ctx) -> dict[str, Any]:
    """Measure the figure; see the module docstring."""
    from monitor.config import Config
    from monitor.settings import Settings
    from workers import context

    pages, source = load_pages(4 if ctx.quick else None)
    rounds = 1 if ctx.quick else 3
    settings = Settings.load(redis_url=ctx.redis_url, key_prefix="bench", config_dir=CONFIG_DIR,
                             allow_private_addresses=True)
    pipeline = context.init(settings, Config.load(CONFIG_DIR))
    docs = _docs(pages)
    # Warm both sides on every page first: a long-running worker has its lazily built caches
    # (htmldate/dateparser compile per-locale regexes on first use) warm; see "cold_first_pass".
    cold_s, _, _, _ = _pipeline_round(ctx, pipeline, docs)
    _baseline(pages)
    base_s, pipe_s, exit_s, finished, failed = [], [], [], 0, 0
    for _ in range(rounds):
        base_s.append(_baseline(pages))
        seconds, exited, finished, failed = _pipeline_round(ctx, pipeline, docs)
        pipe_s.append(seconds)
        exit_s.append(exited)
    base_ips = len(pages) / median(base_s)
    pipe_ips = len(pages) / median(pipe_s)
    ratio = pipe_ips / base_ips
    return {
        "extract_ratio": round(ratio, 3),
        "goal": ">= 0.8",
        "met": ratio >= 0.8,
        "pipeline_items_per_s": round(pipe_ips, 2),
        "trafilatura_items_per_s": round(base_ips, 2),
        "pages": len(pages),
        "rounds": rounds,
        "jobs_finished": finished,
        "jobs_failed": failed,
        "cold_first_pass_items_per_s": round(len(pages) / cold_s, 2),
        "worker_exit_s_not_counted": round(median(exit_s), 3),
        "pages_source": source,
        "stage_split": _stage_split(pipeline, docs, ctx),
    }
