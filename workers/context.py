"""Per-process resources for RQ jobs, built once (arq's ``on_startup`` pattern).

``monitor worker`` calls :func:`init` before the RQ worker starts, so every forked
work-horse inherits the compiled rules and the loaded language model instead of
building them per job. A job run somewhere :func:`init` was not called builds the
context from the environment on first use.
"""

from __future__ import annotations

from monitor.config import Config
from monitor.pipeline import Pipeline
from monitor.redisconn import connect
from monitor.settings import Settings

_context: Pipeline | None = None


def init(settings: Settings, config: Config) -> Pipeline:
    """Build this process's pipeline (and Redis client) once and return it."""
    global _context
    _context = Pipeline(settings, config, connect(settings.redis_url))
    return _context


def get() -> Pipeline:
    """This process's pipeline, built from the environment if :func:`init` was not called."""
    if _context is None:
        settings = Settings.load()
        return init(settings, Config.load(settings.config_dir))
    return _context
