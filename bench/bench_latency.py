"""Latency: from an entry appearing in a feed to the webhook receiving its alert (p50, p95).

The demo set-up: ``monitor run`` (supervisor, scheduler, 2 workers) on the private Redis, a feed
and its article pages on a loopback HTTP server, one alert rule (counter-terrorism or diplomacy)
delivering to a ``json://`` webhook on the same server. Entries are added to the feed one by one
at random moments; each article is a distinct counter-terrorism story with a unique token, so each
raises its own alert, and the webhook request carrying that token ends the measurement.

Two figures: ``appear_to_webhook`` (what an analyst sees: includes waiting for the next poll, so
about half the poll interval on average) and ``poll_to_webhook`` (from the first feed request
that could see the entry: fetch, parse, enqueue, page fetch, pipeline, alert, delivery).
The feed is polled every ``INTERVAL`` seconds (the demo uses 60 s; shorter here so that enough
entries fit in the run); default politeness limits apply.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from benchkit import CONFIG_DIR, ROOT, Ctx, median, pct, stop_process, vocabulary

INTERVAL = 10
PREFIX = "bench"
_TOKEN = re.compile(rb"QZ(\d+)X")
_CT = [
    "Police said the suspected terrorist cell had planned a bombing at the central station.",
    "Counter-terrorism officers arrested two men accused of plotting a terror attack.",
    "The Islamic State group claimed responsibility for the suicide bombing near the border.",
    "Prosecutors charged the militants with terrorism and financing a terrorist organisation.",
    "Security forces defused an explosive device and raised the terrorism threat level.",
]


class Site:
    """The feed, the article pages and the webhook, on one loopback server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[int] = []
        self.feed_gets: list[float] = []
        self.hooks: dict[int, float] = {}
        self.rng = random.Random(5)
        self.vocab = vocabulary(3000, seed=13)
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith("/feed.xml"):
                    with site.lock:
                        site.feed_gets.append(time.time())
                        body = site.feed()
                    self._send(200, "application/rss+xml; charset=utf-8", body)
                elif self.path.startswith("/a/"):
                    self._send(200, "text/html; charset=utf-8", site.article(int(self.path[3:])))
                else:
                    self._send(404, "text/plain", b"not found")

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                with site.lock:
                    for m in _TOKEN.finditer(body):
                        site.hooks.setdefault(int(m.group(1)), now)
                self._send(200, "application/json", b"{}")

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Security alert QZ{k}X: arrests after bomb plot</title>"
            f"<link>{self.base}/a/{k}</link>"
            f"<guid isPermaLink=\"false\">lat-{k}</guid><pubDate>{formatdate(usegmt=True)}</pubDate>"
            f"<description>Counter-terrorism arrests in case QZ{k}X.</description></item>"
            for k in reversed(self.entries)
        )
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Latency</title>'
                f"<link>{self.base}/</link><description>bench</description><language>en</language>{items}"
                "</channel></rss>").encode()

    def article(self, k: int) -> bytes:
        rng = random.Random(k)
        paras = []
        for i in range(6):
            filler = " ".join(rng.choice(self.vocab) for _ in range(45))
            paras.append(f"<p>{_CT[(k + i) % len(_CT)]} Case QZ{k}X, report {k}-{i}: {filler}.</p>")
        return (f"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Security alert QZ{k}X</title></head>"
                f"<body><article><h1>Security alert QZ{k}X: arrests after bomb plot</h1>{''.join(paras)}"
                "</article></body></html>").encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _config(ctx: Ctx, site: Site, interval: int) -> Path:
    d = ctx.tmp / "latency-config"
    d.mkdir(parents=True, exist_ok=True)
    (d / "topics.yaml").write_text((CONFIG_DIR / "topics.yaml").read_text())
    feeds = {"feeds": [{"id": "lat", "url": f"{site.base}/feed.xml", "interval": interval, "min_interval": 1,
                        "adaptive": False, "language": "en"}]}
    alerts = {"channels": {"hook": f"json://127.0.0.1:{site.port}/hook"},
              "rules": [{"name": "desk", "topics": ["counter-terrorism", "diplomacy"], "match": "any",
                         "channels": ["hook"]}]}
    (d / "feeds.yaml").write_text(yaml.safe_dump(feeds))
    (d / "alerts.yaml").write_text(yaml.safe_dump(alerts))
    return d


def run(ctx: Ctx) -> dict[str, Any]:
    """Measure the figure; see the module docstring."""
    try:
        import monitor.scheduler  # noqa: F401
        import monitor.supervisor  # noqa: F401
    except ImportError as exc:
        return {"status": f"unavailable: monitor run / scheduler not landed ({exc})"}
    from rq import Worker

    n = 2 if ctx.quick else 16
    interval = 2 if ctx.quick else INTERVAL
    ctx.flush()
    site = Site()
    env = {**os.environ, "MONITOR_REDIS_URL": ctx.redis_url, "MONITOR_KEY_PREFIX": PREFIX,
           "MONITOR_CONFIG_DIR": str(_config(ctx, site, interval)),
           "MONITOR_STATE_DIR": str(ctx.tmp / "state"),
           "MONITOR_LOG_FORMAT": "json", "MONITOR_ALLOW_PRIVATE_ADDRESSES": "true"}
    log = (ctx.tmp / "latency-run.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--workers", "2"], env=env,
                            stdout=log, stderr=log, cwd=ROOT)
    appear: dict[int, float] = {}
    try:
        conn = ctx.client()
        deadline = time.monotonic() + 90
        while Worker.count(connection=conn) < 2 or not site.feed_gets:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"monitor run did not start; see {ctx.tmp / 'latency-run.log'}")
            time.sleep(0.2)
        rng = random.Random(3)
        for k in range(n):
            time.sleep(rng.uniform(0.3, 1.0) * interval)
            with site.lock:
                site.entries.append(k)
                appear[k] = time.time()
        deadline = time.monotonic() + 2 * interval + (20 if ctx.quick else 60)
        while len(site.hooks) < n and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop_process(proc, 30)
        log.close()
        site.close()
    total, after_poll = [], []
    for k, t_appear in appear.items():
        if k not in site.hooks:
            continue
        total.append(site.hooks[k] - t_appear)
        first_get = next((t for t in site.feed_gets if t >= t_appear), None)
        if first_get is not None:
            after_poll.append(site.hooks[k] - first_get)
    if not total:
        return {"status": f"error: no alert reached the webhook; see {ctx.tmp / 'latency-run.log'}",
                "entries": n}
    return {
        "appear_to_webhook_p50_s": round(median(total), 2),
        "appear_to_webhook_p95_s": round(pct(total, 0.95), 2),
        "poll_to_webhook_p50_s": round(median(after_poll), 2),
        "poll_to_webhook_p95_s": round(pct(after_poll, 0.95), 2),
        "entries": n,
        "alerts_received": len(total),
        "poll_interval_s": interval,
    }
