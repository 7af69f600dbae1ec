"""Helpers for feed-polling tests: a config folder with chosen feeds, small invented feeds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_config(directory: Path, feeds: list[dict[str, Any]]) -> Path:
    """A config folder: the repo's topics/alerts plus a feeds.yaml holding ``feeds``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("topics.yaml", "alerts.yaml"):
        shutil.copy(ROOT / "config" / name, directory / name)
    (directory / "feeds.yaml").write_text(yaml.safe_dump({"feeds": feeds}, sort_keys=False), encoding="utf-8")
    return directory


def rss(items: list[tuple[str, str, str]], title: str = "Example wire", ttl: int | None = None) -> bytes:
    """An RSS 2.0 feed of ``(guid, link, title)`` items, UTF-8."""
    parts = [
        f"<item><title>{t}</title><link>{link}</link><guid>{guid}</guid>"
        f"<pubDate>Sun, 12 May 2024 09:00:00 +0000</pubDate><description>{t}.</description></item>"
        for guid, link, t in items
    ]
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://wire.example.com/</link>{ttl_el}{''.join(parts)}</channel></rss>"
    ).encode()


RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
