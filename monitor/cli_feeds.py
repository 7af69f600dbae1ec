"""``monitor feeds …``: inspect feeds. ``check`` polls one URL once without touching stored state.

Exit codes: 0 entries could be read (warnings allowed), 1 the fetch or parse failed (one-line
``error:`` naming the URL on stderr), 2 bad settings or options.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from monitor.errors import ConfigError, FetchError
from monitor.feeddates import zone_from_hint
from monitor.feeds import ParsedFeed, parse_feed
from monitor.fetch import Fetcher, FetchPolicy, FetchResult
from monitor.logs import configure_logging
from monitor.settings import Settings

feeds_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

_EXIT_FAILED = 1
_EXIT_CONFIG = 2


def _settings_or_exit() -> Settings:
    try:
        settings = Settings.load()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(_EXIT_CONFIG) from exc
    configure_logging(settings.log_format, settings.log_level)
    return settings


def check_result(result: FetchResult, feed: ParsedFeed) -> dict[str, Any]:
    """The JSON object ``feeds check`` prints for one fetched and parsed feed."""
    return {
        "url": result.requested_url,
        "final_url": result.final_url,
        "status": result.status,
        "permanent_redirect": result.permanent_redirect,
        "title": feed.title,
        "link": feed.link,
        "language": feed.language,
        "version": feed.version,
        "encoding": feed.encoding,
        "ttl_seconds": feed.ttl_seconds,
        "etag": result.validators.etag,
        "last_modified": result.validators.last_modified,
        "warnings": list(result.warnings) + feed.warnings,
        "entries": [entry.to_dict() for entry in feed.entries],
    }


@feeds_app.command()
def check(
    url: Annotated[str, typer.Argument(help="Feed URL (http or https).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private and loopback addresses (127.0.0.1).")
    ] = False,
    language: Annotated[str | None, typer.Option(help="Language hint of the feed, e.g. ar.")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Timezone hint for dates without a zone, e.g. Asia/Riyadh.")
    ] = None,
) -> None:
    """Poll one feed URL once and show what would be ingested (no Redis, no stored state)."""
    settings = _settings_or_exit()
    if timezone and zone_from_hint(timezone) is None:
        typer.echo(f"error: --timezone: unknown zone {timezone!r} (use a name such as Asia/Riyadh)", err=True)
        raise typer.Exit(_EXIT_CONFIG)
    policy = FetchPolicy.from_settings(
        settings, allow_private_addresses=allow_private or settings.allow_private_addresses
    )
    try:
        with Fetcher(policy) as fetcher:
            result = fetcher.fetch(url)
        feed = parse_feed(result.content, result.content_type, result.final_url,
                          language_hint=language, timezone_hint=timezone)
    except FetchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(_EXIT_FAILED) from exc
    data = check_result(result, feed)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    typer.echo(f"{data['title']} ({data['version']}, {data['encoding']}): {len(feed.entries)} entries")
    for warning in data["warnings"]:
        typer.echo(f"  warning: {warning}")
    for entry in feed.entries:
        typer.echo(f"  {entry.published or '(no date)'}  {entry.title}  <{entry.link}>")
