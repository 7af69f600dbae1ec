"""The demo's news sites: feeds and article pages served on 127.0.0.1 from ``monitor/demo_data``.

Outlets and articles come from ``demo_data/articles.yaml`` (written for the demo) plus the
repository's seed document; pages are rendered as plain HTML5 articles, feeds as RSS 2.0 or Atom
1.0 whose entries link to those pages. Nothing leaves the machine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

import yaml

from monitor.errors import ConfigError

DATA_PACKAGE = "monitor.demo_data"


@dataclass(frozen=True)
class DemoArticle:
    """One demo article: where it is served and what it says."""

    outlet: str
    slug: str
    published: datetime
    title: str
    paragraphs: tuple[str, ...]
    asides: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.slug}.html"


@dataclass(frozen=True)
class DemoOutlet:
    """One demo outlet and its feed format (``rss`` or ``atom``)."""

    id: str
    name: str
    language: str
    format: str

    @property
    def feed_path(self) -> str:
        return f"/{self.id}/feed.{'xml' if self.format == 'rss' else 'atom'}"


def _text_article(raw: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Title, paragraphs and short page furniture of a plain-text document (first long line = title)."""
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
    title_at = next(i for i, ln in enumerate(lines) if len(ln.split()) >= 3)
    rest = lines[title_at + 1 :]
    paragraphs = tuple(ln for ln in rest if len(ln.split()) >= 8)
    asides = tuple(ln for ln in lines if ln not in paragraphs and ln != lines[title_at])
    return lines[title_at], paragraphs, asides


def load_demo_data() -> tuple[list[DemoOutlet], list[DemoArticle]]:
    """Outlets and articles of the demo, from the package data.

    Raises:
        ConfigError: ``articles.yaml`` is malformed (names the article at fault).
    """
    root = resources.files(DATA_PACKAGE)
    data = yaml.safe_load(root.joinpath("articles.yaml").read_text(encoding="utf-8"))
    outlets = [DemoOutlet(**o) for o in data["outlets"]]
    articles = []
    for entry in data["articles"]:
        try:
            published = datetime.fromisoformat(entry["published"])
            if "file" in entry:
                title, paragraphs, asides = _text_article(
                    root.joinpath(entry["file"]).read_text(encoding="utf-8")
                )
            else:
                title, paragraphs, asides = entry["title"], tuple(entry["body"]), ()
            articles.append(DemoArticle(entry["outlet"], entry["slug"], published, title, paragraphs, asides))
        except (KeyError, ValueError, StopIteration) as exc:
            raise ConfigError(f"demo_data/articles.yaml: article {entry.get('slug')!r}: {exc}") from exc
    return outlets, articles


def render_page(outlet: DemoOutlet, article: DemoArticle, base: str) -> bytes:
    """The article's HTML page (UTF-8), with a canonical link, site name and date metadata."""
    rtl = ' dir="rtl"' if outlet.language == "ar" else ""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    aside = "".join(f"<li>{escape(a)}</li>" for a in article.asides)
    html = f"""<!DOCTYPE html>
<html lang="{outlet.language}"{rtl}><head><meta charset="utf-8">
<title>{escape(article.title)} | {escape(outlet.name)}</title>
<link rel="canonical" href="{base}{article.path}">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:site_name" content="{escape(outlet.name)}">
<meta property="article:published_time" content="{article.published.isoformat()}">
</head><body>
<header><nav><a href="/">{escape(outlet.name)}</a></nav></header>
<main><article><h1>{escape(article.title)}</h1>
<time datetime="{article.published.isoformat()}">{article.published:%Y-%m-%d %H:%M}</time>
{body}
</article></main>
<aside><ul>{aside}</ul></aside>
<footer><p>© {escape(outlet.name)} (demo outlet)</p></footer>
</body></html>
"""
    return html.encode("utf-8")


def render_feed(outlet: DemoOutlet, articles: list[DemoArticle], base: str) -> bytes:
    """The outlet's feed (RSS 2.0 or Atom 1.0, UTF-8), newest entry first."""
    mine = sorted((a for a in articles if a.outlet == outlet.id), key=lambda a: a.published, reverse=True)
    if outlet.format == "rss":
        items = "".join(
            f"<item><title>{escape(a.title)}</title><link>{base}{a.path}</link>"
            f'<guid isPermaLink="false">{outlet.id}-{a.slug}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<description>{escape(a.paragraphs[0] if a.paragraphs else '')}</description></item>"
            for a in mine
        )
        xml = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(outlet.name)}</title><link>{base}/{outlet.id}/</link>"
            f"<language>{outlet.language}</language><description>demo outlet</description>{items}"
            "</channel></rss>"
        )
    else:
        entries = "".join(
            f'<entry><title>{escape(a.title)}</title><link href="{base}{a.path}"/>'
            f"<id>urn:demo:{outlet.id}:{a.slug}</id><updated>{a.published.isoformat()}</updated>"
            f"<summary>{escape(a.paragraphs[0] if a.paragraphs else '')}</summary></entry>"
            for a in mine
        )
        updated = mine[0].published.isoformat() if mine else "2026-01-01T00:00:00Z"
        xml = (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="{outlet.language}"><title>{escape(outlet.name)}</title>'
            f"<id>urn:demo:{outlet.id}</id><updated>{updated}</updated>"
            f'<link href="{base}/{outlet.id}/"/>{entries}</feed>'
        )
    return xml.encode("utf-8")


class DemoSite:
    """The demo outlets served over HTTP on 127.0.0.1 (an OS-chosen port) from a daemon thread."""

    def __init__(self) -> None:
        self.outlets, self.articles = load_demo_data()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def start(self) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:<port>``)."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, ctype, body = site.respond(self.path.split("?")[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="demo-site", daemon=True).start()
        return self.base_url

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a request path."""
        for outlet in self.outlets:
            if path == outlet.feed_path:
                ctype = "application/rss+xml" if outlet.format == "rss" else "application/atom+xml"
                return 200, f"{ctype}; charset=utf-8", render_feed(outlet, self.articles, self.base_url)
        outlets = {o.id: o for o in self.outlets}
        for article in self.articles:
            if path == article.path:
                return (
                    200,
                    "text/html; charset=utf-8",
                    render_page(outlets[article.outlet], article, self.base_url),
                )
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        return 404, "text/plain", b"not found"

    def feed_urls(self) -> dict[str, str]:
        """Outlet id -> feed URL."""
        return {o.id: self.base_url + o.feed_path for o in self.outlets}

    def stop(self) -> None:
        """Stop serving."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
