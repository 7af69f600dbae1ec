"""The last config folder that loaded, kept so a daemon part restarted on a broken edit runs on.

An analyst's edit that does not validate is refused by running workers and the scheduler (they
keep the rules and feeds they had, :mod:`workers.context`, :mod:`monitor.cli_scheduler`). But a
part that starts while the edit is broken (a crash, a reboot, a deploy) had nothing to keep: it
exited 2 until someone mended the file, and ingestion stopped. Each daemon part that loads the
config now copies the folder to ``<state_dir>/config-last-good/<name>-<hash>/`` (one copy per
config folder, so daemons sharing a state folder keep theirs apart); a part that starts on a broken
folder loads that copy instead, logs ``config_invalid_running_last_good`` and records the error
for ``/healthz`` and ``monitor status`` (:mod:`monitor.config_health`). The copy is used only for
the folder it was taken from, and the next edit of the real files is picked up as usual.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import structlog

from monitor.config import Config
from monitor.errors import ConfigError

log = structlog.get_logger(__name__)

SNAPSHOT = "config-last-good"
#: the resolved path of the folder a snapshot was taken from, inside the snapshot
SOURCE_FILE = ".source"
#: a config folder bigger than this (bytes) is not copied (it is YAML and a few templates)
MAX_BYTES = 20 * 1024 * 1024


def snapshot_dir(config_dir: Path, state_dir: Path) -> Path:
    """Where the last good copy of ``config_dir`` lives: ``<state_dir>/config-last-good/<folder
    name>-<8 hex digits of the SHA-1 of its resolved path>``."""
    source = config_dir.resolve()
    digest = hashlib.sha1(str(source).encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return state_dir / SNAPSHOT / f"{source.name or 'root'}-{digest}"


def save(config: Config, state_dir: Path) -> Path | None:
    """Copy ``config.directory`` (a folder that just loaded) to :func:`snapshot_dir`.

    The copy is made beside the old one and swapped in by renames, so a reader sees the old copy
    or the new one, never half of one. Hidden files and folders, and the state folder when it
    lies inside the config folder, are skipped.

    Returns:
        the snapshot folder, or None when it could not be written (logged as
        ``config_snapshot_failed``; a read-only state folder must not stop the daemon).
    """
    source = config.directory.resolve()
    target = snapshot_dir(source, state_dir)
    try:
        own = state_dir.resolve()  # a state folder inside the config folder is not copied into itself
        files = [p for p in source.rglob("*") if p.is_file() and not p.resolve().is_relative_to(own)
                 and not any(part.startswith(".") for part in p.relative_to(source).parts)]
        if sum(p.stat().st_size for p in files) > MAX_BYTES:
            raise OSError(f"{source} holds over {MAX_BYTES} bytes")
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        for path in files:
            copy = fresh / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
        (fresh / SOURCE_FILE).write_text(str(source), encoding="utf-8")
        old = target.parent / f".{target.name}.old.{os.getpid()}"
        if target.exists():
            target.rename(old)
        try:
            fresh.rename(target)
        except OSError:
            shutil.rmtree(fresh, ignore_errors=True)
            if not target.is_dir():
                raise
            # another part (a second worker starting the same moment) put its copy there first
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        log.warning("config_snapshot_failed", config_dir=str(source), state_dir=str(state_dir), error=str(exc),
                    hint="a part restarted on a broken edit will not be able to run on the last good config")
        return None
    return target


def load_last_good(config_dir: Path, state_dir: Path) -> tuple[Config, float] | None:
    """The config of the last snapshot of ``config_dir``, and when it was taken (Unix seconds).

    The returned :class:`~monitor.config.Config` has ``directory == config_dir``, so the parts
    watch the real files and reload when they are mended.

    Returns:
        None when there is no snapshot of that folder, or it does not load (a snapshot of an
        older release's format).
    """
    snapshot = snapshot_dir(config_dir, state_dir)
    try:
        taken_from = (snapshot / SOURCE_FILE).read_text(encoding="utf-8")
        taken_at = (snapshot / SOURCE_FILE).stat().st_mtime
    except OSError:
        return None
    if taken_from != str(config_dir.resolve()):
        return None
    try:
        config = Config.load(snapshot)
    except ConfigError as exc:
        log.warning("config_snapshot_unusable", snapshot=str(snapshot), error=str(exc))
        return None
    return dataclasses.replace(config, directory=config_dir), taken_at
