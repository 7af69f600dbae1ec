"""``monitor extract URL_OR_FILE --json``: what the extraction and language stages make of one page.

For analysts testing a site and for tests. No Redis needed. Data on stdout, logs on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.errors import DocumentError, FetchError
from monitor.model import Article, Document

EXIT_FAILED = 1


def _document(target: str, allow_private: bool, settings: Any) -> Document:
    """The page at ``target`` (http(s) URL, fetched through the fetch layer) or the file at that path."""
    if target.startswith(("http://", "https://")):
        from monitor.fetch import Fetcher, FetchPolicy

        policy = FetchPolicy.from_settings(settings, allow_private_addresses=allow_private
                                           or settings.allow_private_addresses)
        with Fetcher(policy) as fetcher:
            result = fetcher.fetch(target)
        return Document(source=target, content=result.content,
                        content_type=result.content_type or "text/html", url=result.final_url)
    from monitor.extract import read_document

    return read_document(Path(target), settings.max_document_bytes)


def article_json(article: Article, language: str, confidence: float) -> dict[str, Any]:
    """The output object of ``monitor extract --json`` for one article."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "text": article.text,
        "language": language,
        "language_confidence": confidence,
        "declared_language": article.declared_language,
        "date": article.date,
        "author": article.author,
        "sitename": article.sitename,
        "image": article.image,
        "encoding": article.encoding,
        "extraction_source": article.extraction_source,
        "warnings": list(article.warnings),
    }


def extract_command(
    target: Annotated[str, typer.Argument(metavar="URL_OR_FILE", help="An http(s) URL or an HTML file.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private/loopback addresses (127.0.0.1 servers).")
    ] = False,
) -> None:
    """Extract title, body, metadata and language of one page or file (no Redis needed)."""
    from monitor.cli import EXIT_CONFIG
    from monitor.errors import ConfigError
    from monitor.extract import extract
    from monitor.language import LanguageDetector
    from monitor.logs import configure_logging
    from monitor.settings import Settings

    try:
        settings = Settings.load()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc
    configure_logging(settings.log_format, settings.log_level, sys.stderr)
    try:
        article = extract(_document(target, allow_private, settings))
    except (DocumentError, FetchError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    lang = LanguageDetector().detect(article.title, article.text)
    data = article_json(article, lang.code, lang.confidence)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        head = f"[{lang.code} {lang.confidence:.2f}] {data['sitename'] or '-'} {data['date'] or '-'}"
        typer.echo(f"{data['title']}\n{head} ({data['extraction_source']}, {data['encoding']})\n")
        typer.echo(data["text"])
