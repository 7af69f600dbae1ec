"""``monitor feeds …``: inspect feeds. ``check`` polls one URL once without touching stored state;
``list`` shows each feed's polling state; ``import``/``export`` move the feed list as OPML 2.0;
``reset`` re-enables a feed disabled by a 410.

Exit codes: 0 entries could be read (warnings allowed), 1 the fetch or parse failed (one-line
``error:`` naming the URL on stderr), 2 bad settings or options.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.errors import ConfigError, FetchError
from monitor.feeddates import zone_from_hint
from monitor.feeds import ParsedFeed, parse_feed
from monitor.fetch import Fetcher, FetchPolicy, FetchResult
from monitor.logs import configure_logging
from monitor.settings import Settings

feeds_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Feeds: check one URL, list the configured feeds with their state, import/export OPML, reset one.",
    rich_markup_mode=None,
)

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


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds") if ts else None


def feed_status(feed: Any, state: Any, now: float) -> dict[str, Any]:
    """The ``feeds list --json`` object of one feed (config plus state; times UTC ISO 8601); a
    password in a feed URL is shown as ``***``."""
    from monitor.status import mask_url

    interval = state.interval or float(feed.interval)
    if not feed.enabled or state.disabled_reason:
        next_poll = None
    else:
        due = state.last_poll_at + interval if state.last_poll_at else now
        next_poll = max(due, state.backoff_until or 0.0, now)
    return {
        "id": feed.id,
        "url": mask_url(feed.url),
        "stored_url": mask_url(state.effective_url(feed.url)),
        "title": feed.title or state.title,
        "tags": list(feed.tags),
        "enabled": feed.enabled,
        "health": "disabled" if not feed.enabled else state.health,
        "last_poll": _iso(state.last_poll_at),
        "last_success": _iso(state.last_success_at),
        "status": state.last_status,
        "entries": state.entries_found,
        "new": state.new_entries,
        "total_new": state.total_new,
        "consecutive_errors": state.consecutive_errors,
        "next_poll": _iso(next_poll),
        "interval": interval,
        "last_error": state.last_error,
        "disabled_reason": state.disabled_reason,
        "warnings": state.warnings,
        "etag": state.etag,
        "last_modified": state.last_modified,
    }


@feeds_app.command("list")
def list_feeds(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per feed on stdout.")] = False,
) -> None:
    """Show each configured feed with its polling state (health, last poll, errors, next poll)."""
    from monitor.cli import connect_or_exit, setup_to_inspect
    from monitor.feedstate import FeedStateStore
    from monitor.keys import Keys

    settings, config, _ = setup_to_inspect()
    store = FeedStateStore(connect_or_exit(settings), Keys(settings.key_prefix),
                           settings.seen_retention_days * 86400.0)
    now = time.time()
    for feed in config.feeds.feeds:
        row = feed_status(feed, store.load(feed.id), now)
        if as_json:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            error = f" | {row['last_error']}" if row["last_error"] else ""
            polled = f"status={row['status'] or '-'}" if row["last_poll"] else "never polled"
            typer.echo(f"{row['id']}: {row['health']} {polled} entries={row['entries']} "
                       f"new={row['new']} errors={row['consecutive_errors']} last={row['last_poll'] or '-'} "
                       f"next={row['next_poll'] or '-'} url={row['stored_url']}{error}")


@feeds_app.command("import")
def import_opml(
    path: Annotated[Path, typer.Argument(help="An OPML file exported by a feed reader.")],
) -> None:
    """Add the OPML file's feeds to feeds.yaml (existing entries kept; folders and categories -> tags)."""
    from monitor.cli import EXIT_CONFIG, setup
    from monitor.opml import merge_into, read_opml

    settings, _ = setup()
    try:
        added, skipped = merge_into(settings.config_dir / "feeds.yaml", read_opml(path))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc
    for line in skipped:
        typer.echo(f"warning: {path}: skipped outline {line}", err=True)
    for feed in added:
        typer.echo(f"added {feed.id}: {feed.url}" + (f" [{', '.join(feed.tags)}]" if feed.tags else ""))
    typer.echo(f"{len(added)} feed(s) added to {settings.config_dir / 'feeds.yaml'}", err=True)


@feeds_app.command("export")
def export_opml() -> None:
    """Print feeds.yaml as OPML 2.0 on stdout (tags as categories)."""
    from monitor.cli import setup
    from monitor.opml import write_opml

    _, config = setup()
    sys.stdout.write(write_opml(list(config.feeds.feeds)))


@feeds_app.command("reset")
def reset_feed(feed_id: Annotated[str, typer.Argument(help="Feed id from feeds.yaml.")]) -> None:
    """Re-enable a feed disabled by a 410 and clear its errors and back-off (seen entries are kept)."""
    from monitor.cli import connect_or_exit, setup
    from monitor.feedstate import FeedStateStore
    from monitor.keys import Keys

    settings, config = setup()
    if feed_id not in {f.id for f in config.feeds.feeds}:
        typer.echo(f"error: {settings.config_dir / 'feeds.yaml'}: no feed {feed_id!r}", err=True)
        raise typer.Exit(1)
    store = FeedStateStore(connect_or_exit(settings), Keys(settings.key_prefix),
                           settings.seen_retention_days * 86400.0)
    state = store.load(feed_id)
    state.disabled_reason, state.consecutive_errors, state.backoff_until = None, 0, None
    store.save(feed_id, state)
    typer.echo(f"{feed_id}: reset")
