"""A small, fast loopback HTTP server of generated RSS feeds for the polling benchmark.

    python bench/feedserver.py [--every 5]      # prints the port on stdout, serves until killed

``GET /f/<n>.xml``:

* feeds with ``n % every == 0`` ("changed"): always ``200`` with 50 entries, no validators;
* the others ("unchanged"): ``304`` when ``If-None-Match`` is their ETag ``"e<n>"``, else ``200``
  with one entry and that ETag.

``GET /a/<n>/<k>``: a small article page. A raw asyncio protocol (keep-alive, no framework) so
that the server costs little of the CPU the benchmark measures. Bound to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import re
import sys
from email.utils import formatdate

_PATH = re.compile(rb"^GET (\S+) HTTP/1\.[01]\r\n", re.I)
_INM = re.compile(rb"\r\nif-none-match:\s*(\S+)", re.I)
_DATE = formatdate(1_700_000_000, usegmt=True)


def feed_xml(port: int, n: int, entries: int) -> bytes:
    """RSS 2.0 feed ``n`` with ``entries`` items (GUIDs, links, dates, 300-byte descriptions)."""
    items = []
    for k in range(entries):
        items.append(
            f"<item><title>Feed {n} story {k}: ministers meet on regional security talks</title>"
            f"<link>http://127.0.0.1:{port}/a/{n}/{k}</link><guid isPermaLink=\"false\">f{n}-e{k}</guid>"
            f"<pubDate>{_DATE}</pubDate><description>Officials from several countries met on day {k} "
            f"to discuss cooperation, border controls and the exchange of information about threats. "
            f"The talks in feed {n} continued late into the evening, a spokesperson said, and a joint "
            f"statement is expected after further consultations next week.</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench feed {n}</title>'
        f"<link>http://127.0.0.1:{port}/</link><description>generated</description><language>en</language>"
        + "".join(items) + "</channel></rss>"
    ).encode()


class FeedProtocol(asyncio.Protocol):
    """One connection: parse requests from the buffer, answer each from the (cached) bodies."""

    cache: dict[tuple[int, int], bytes] = {}
    port = 0
    every = 5

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self.respond(head + b"\r\n")

    def respond(self, head: bytes) -> None:
        m = _PATH.match(head)
        path = m.group(1).decode() if m else "/"
        status, headers, body = 404, "Content-Type: text/plain\r\n", b"not found"
        if path.startswith("/f/") and path.endswith(".xml"):
            n = int(path[3:-4])
            headers = "Content-Type: application/rss+xml; charset=utf-8\r\n"
            if n % self.every == 0:
                status, body = 200, self._body(n, 50)
            else:
                etag = f'"e{n}"'
                inm = _INM.search(head)
                if inm and inm.group(1).decode() == etag:
                    status, body = 304, b""
                else:
                    status, body = 200, self._body(n, 1)
                headers += f"ETag: {etag}\r\n"
        elif path.startswith("/a/"):
            status, headers = 200, "Content-Type: text/html; charset=utf-8\r\n"
            body = (f"<html><head><title>Story {path}</title></head><body><article><h1>Story {path}</h1>"
                    + "<p>Ministers met to discuss security cooperation and information exchange. </p>" * 8
                    + "</article></body></html>").encode()
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
        length = "" if status == 304 else f"Content-Length: {len(body)}\r\n"
        head_out = f"HTTP/1.1 {status} {reason}\r\n{headers}{length}Date: {_DATE}\r\n\r\n"
        self.transport.write(head_out.encode() + body)

    def _body(self, n: int, entries: int) -> bytes:
        key = (n, entries)
        if key not in self.cache:
            self.cache[key] = feed_xml(self.port, n, entries)
        return self.cache[key]


async def serve(every: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FeedProtocol, "127.0.0.1", 0, backlog=1024)
    FeedProtocol.port = server.sockets[0].getsockname()[1]
    FeedProtocol.every = every
    print(FeedProtocol.port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    every = int(sys.argv[sys.argv.index("--every") + 1]) if "--every" in sys.argv else 5
    asyncio.run(serve(every))
