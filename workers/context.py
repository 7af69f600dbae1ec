"""Per-process resources for RQ jobs, built once (arq's ``on_startup`` pattern).

``monitor worker`` calls :func:`init` before the RQ worker starts, so every forked
work-horse inherits the compiled rules and the loaded language model instead of
building them per job. A job run somewhere :func:`init` was not called builds the
context from the environment on first use.

Analysts tune ``topics.yaml`` and ``alerts.yaml`` while the daemon runs: before each job the
worker calls :func:`refresh`, which rebuilds the context when a config file changed (about
0.8 s, once per edit), so the next item is classified and alerted under the new rules, as the
scheduler already does for ``feeds.yaml``. A file that no longer validates is reported once,
naming the file and line, and the worker keeps the rules it had.
"""

from __future__ import annotations

import structlog

from monitor import config_snapshot
from monitor.config import Config, config_stamp
from monitor.config_health import record_reload
from monitor.errors import ConfigError
from monitor.pipeline import Pipeline
from monitor.redisconn import connect
from monitor.settings import Settings

log = structlog.get_logger(__name__)

_context: Pipeline | None = None
#: :func:`monitor.config.config_stamp` of the files the context was built from, or of the last
#: broken edit already reported.
_stamp: tuple[tuple[int, int] | None, ...] | None = None


def init(settings: Settings, config: Config, config_error: str | None = None) -> Pipeline:
    """Build this process's pipeline (and Redis client) once and return it. ``config`` validated,
    so a failed reload recorded earlier (:mod:`monitor.config_health`) is cleared; unless
    ``config_error`` says the files are broken and ``config`` is the last good copy of them
    (:func:`monitor.cli.daemon_setup`), which is then recorded."""
    global _context, _stamp
    _stamp = config_stamp(config.directory)
    _context = Pipeline(settings, config, connect(settings.redis_url))
    record_reload(_context.connection, _context.keys, "rules", config_error)
    return _context


def get() -> Pipeline:
    """This process's pipeline, built from the environment if :func:`init` was not called."""
    if _context is None:
        settings = Settings.load()
        return init(settings, Config.load(settings.config_dir))
    return _context


def refresh(**who: object) -> bool:
    """Rebuild the pipeline if a config file changed since it was built; cheap when none did
    (three ``stat`` calls). ``who`` (e.g. ``worker=name, pid=pid``) is added to the log lines,
    so a log tells which process runs which rules.

    Returns:
        True when the pipeline was rebuilt from new files; False when nothing changed, no
        pipeline was built yet (a polls-only worker), or the changed files do not validate, in
        which case ``config_reload_failed`` is logged once per edit with the error (file, line,
        topic, term) and the previous rules stay in force.
    """
    global _stamp
    if _context is None:
        return False
    directory = _context.config.directory
    stamp = config_stamp(directory)
    if stamp == _stamp:
        return False
    _stamp = stamp  # a broken edit is reported once, not before every job
    try:
        config = Config.load(directory)
        pipeline = init(_context.settings, config)
        config_snapshot.save(config, _context.settings.state_dir)
    except ConfigError as exc:
        log.error("config_reload_failed", error=str(exc), hint="this worker keeps the rules it had", **who)
        record_reload(_context.connection, _context.keys, "rules", str(exc))
        return False
    log.info(
        "config_reloaded",
        **who,
        directory=str(directory),
        topics=list(pipeline.config.topics.topics),
        alert_rules=[rule.name for rule in pipeline.config.alerts.rules],
    )
    return True
