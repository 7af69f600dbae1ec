"""Test support for alerts: an HTTP receiver on 127.0.0.1 that records POSTs, config folders, workers."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from monitor.config import Config
from monitor.keys import Keys
from monitor.pipeline import Pipeline
from monitor.settings import Settings
from workers import context

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_6e8e5aea7d05e096.txt"
TITLE = "تعزيز التعاون الأمني بين مصر والاتحاد الأوروبي"


@dataclass
class Receiver:
    """A webhook target: records every POST body (parsed JSON) and answers ``status``."""

    status: int = 200
    delay: float = 0.0  #: seconds to wait before answering (a slow channel)
    posts: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def url(self, path: str = "/hook", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"json://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                time.sleep(receiver.delay)
                if 200 <= receiver.status < 300:
                    receiver.posts.append(json.loads(body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_dir(tmp_path: Path, alerts_yaml: str, extra_files: dict[str, str] | None = None) -> Path:
    """A config folder with the repository's feeds/topics and the given ``alerts.yaml``."""
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    for name in ("feeds.yaml", "topics.yaml"):
        shutil.copy(ROOT / "config" / name, folder / name)
    (folder / "alerts.yaml").write_text(alerts_yaml, encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_pipeline(env: dict[str, str], folder: Path, connection: redis.Redis, **settings: Any) -> Pipeline:
    """A pipeline on the test Redis and key prefix, with ``folder`` as config; also the RQ job context."""
    values = Settings.load(config_dir=folder, **settings)
    config = Config.load(folder)
    context.init(values, config)
    return Pipeline(values, config, connection)


def run_alert_jobs(connection: redis.Redis, prefix: str) -> None:
    """Run the ``alerts`` queue to empty in this process (due scheduled jobs first)."""
    queue_name = Keys(prefix).queue("alerts")
    from rq import Queue

    q = Queue(queue_name, connection=connection, serializer=JSONSerializer)
    SimpleWorker([q], connection=connection, serializer=JSONSerializer).work(
        burst=True, with_scheduler=True, logging_level="WARNING"
    )
