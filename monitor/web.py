"""A small HTTP server (stdlib ``wsgiref``, one thread per request) for the alerts feed.

Routes are exact paths mapped to handlers; adding one is one line::

    app.route("/healthz", lambda request: Response(200, "text/plain", b"ok"))

Served on ``MONITOR_HTTP_HOST``:``MONITOR_HTTP_PORT`` (loopback by default) by ``monitor serve``
or, later, by the daemon. Routes of :func:`add_alert_routes`: ``/alerts.atom`` (Atom 1.0) and
``/alerts.json`` (a JSON list; ``?id=ID`` for one alert; ``?limit=N``).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, cast
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog

from monitor.alert_feed import alert_view, atom_feed
from monitor.alerts import AlertRecorder

log = structlog.get_logger(__name__)

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    """What a handler sees: the path, the query (name -> values) and the server's base URL."""

    path: str
    query: dict[str, list[str]]
    base_url: str


@dataclass(frozen=True)
class Response:
    """What a handler returns: HTTP status, Content-Type and body bytes."""

    status: int
    content_type: str
    body: bytes


Handler = Callable[[Request], Response]


class WebApp:
    """A WSGI application dispatching GET requests on exact paths."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}

    def route(self, path: str, handler: Handler) -> None:
        """Serve ``handler`` on ``path`` (exact match, e.g. ``/metrics``)."""
        self.routes[path] = handler

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.routes.get(environ.get("PATH_INFO") or "/")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            response = Response(405, "text/plain; charset=utf-8", b"only GET\n")
        elif handler is None:
            response = Response(404, "text/plain; charset=utf-8", b"not found\n")
        else:
            host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
            request = Request(
                environ.get("PATH_INFO", "/"),
                parse_qs(environ.get("QUERY_STRING", "")),
                f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
            )
            try:
                response = handler(request)
            except Exception as exc:  # the server's outer loop: one bad request must not stop it
                log.exception("http_handler_failed", path=request.path, error=str(exc))
                response = Response(500, "text/plain; charset=utf-8", b"internal error\n")
        status = f"{response.status} {_REASONS.get(response.status, '')}".strip()
        start_response(
            status, [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))]
        )
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]


def _limit(request: Request, default: int) -> int:
    try:
        return max(1, min(int(request.query.get("limit", [default])[0]), 1000))
    except ValueError:
        return default


def add_alert_routes(app: WebApp, recorder: AlertRecorder, feed_size: int, feed_id: str) -> None:
    """Mount ``/alerts.atom`` and ``/alerts.json`` on ``app``.

    Args:
        feed_size: default number of recent alerts listed. feed_id: the Atom feed's permanent IRI.
    """

    def alerts_json(request: Request) -> Response:
        if "id" in request.query:
            alert = recorder.get(request.query["id"][0])
            if alert is None:
                return Response(404, "application/json", b'{"error": "unknown alert"}\n')
            data: Any = alert_view(alert, recorder.deliveries(alert.id))
        else:
            data = [
                alert_view(a, recorder.deliveries(a.id)) for a in recorder.recent(_limit(request, feed_size))
            ]
        return Response(200, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode())

    def alerts_atom(request: Request) -> Response:
        body = atom_feed(
            recorder.recent(_limit(request, feed_size)),
            feed_id,
            request.base_url + request.path,
            request.base_url,
            "news-monitor alerts",
        )
        return Response(200, "application/atom+xml; charset=utf-8", body)

    app.route("/alerts.json", alerts_json)
    app.route("/alerts.atom", alerts_atom)


def feed_id_for(key_prefix: str) -> str:
    """A permanent Atom feed id for a deployment (a name-based UUID of its key prefix)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"news-monitor:{key_prefix}:alerts").urn


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Access lines are not logged (a feed reader polls often); handler errors are."""


class WebServer:
    """Serves a :class:`WebApp` in a background thread. Args: app, host, port (0: any free port)."""

    def __init__(self, app: WebApp, host: str, port: int) -> None:
        self._server = make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8787``."""
        host, port = self._server.server_address[:2]
        return f"http://{cast(str, host)}:{port}"

    def start(self) -> WebServer:
        """Start serving in the background; returns self."""
        self._thread.start()
        log.info("http_serving", url=self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
