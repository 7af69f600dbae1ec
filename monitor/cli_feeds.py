"""``monitor feeds …``: the feed list (import/export OPML) and each feed's polling state."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

feeds_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds") if ts else None


def feed_status(feed: Any, state: Any, now: float) -> dict[str, Any]:
    """The ``feeds list --json`` object of one feed (config plus state; times UTC ISO 8601)."""
    interval = state.interval or float(feed.interval)
    if not feed.enabled or state.disabled_reason:
        next_poll = None
    else:
        due = state.last_poll_at + interval if state.last_poll_at else now
        next_poll = max(due, state.backoff_until or 0.0, now)
    return {
        "id": feed.id,
        "url": feed.url,
        "stored_url": state.effective_url(feed.url),
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
    from monitor.cli import connect_or_exit, setup
    from monitor.feedstate import FeedStateStore
    from monitor.keys import Keys

    settings, config = setup()
    store = FeedStateStore(connect_or_exit(settings), Keys(settings.key_prefix),
                           settings.seen_retention_days * 86400.0)
    now = time.time()
    for feed in config.feeds.feeds:
        row = feed_status(feed, store.load(feed.id), now)
        if as_json:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            error = f" | {row['last_error']}" if row["last_error"] else ""
            typer.echo(f"{row['id']}: {row['health']} status={row['status']} entries={row['entries']} "
                       f"new={row['new']} errors={row['consecutive_errors']} last={row['last_poll'] or '-'} "
                       f"next={row['next_poll'] or '-'} url={row['stored_url']}{error}")


@feeds_app.command("import")
def import_opml(
    path: Annotated[Path, typer.Argument(help="An OPML file exported by a feed reader.")],
) -> None:
    """Add the OPML file's feeds to feeds.yaml (existing entries kept; folders and categories -> tags)."""
    from monitor.cli import EXIT_CONFIG, setup
    from monitor.errors import ConfigError
    from monitor.opml import merge_into, read_opml

    settings, _ = setup()
    try:
        added = merge_into(settings.config_dir / "feeds.yaml", read_opml(path))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc
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
