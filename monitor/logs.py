"""structlog set-up: the one global configuration, done once at start-up.

JSON lines when the stream is not a terminal, the console renderer on one
(``MONITOR_LOG_FORMAT`` overrides). Records of stdlib loggers (rq, apscheduler,
httpx) go through the same renderer via ``structlog.stdlib.ProcessorFormatter``.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

#: (logger, message template) pairs dropped before rendering: library warnings about conditions our
#: own code already handles and reports. trafilatura logs "discarding data: <source>" when a page
#: yields no usable text; the extractor then tries its next strategy or the entry's own text and
#: records which one won, so the warning only adds noise (the source is None for in-memory pages).
QUIET_MESSAGES: tuple[tuple[str, str], ...] = (("trafilatura.core", "discarding data: %s"),)


class DropMessage(logging.Filter):
    """A logger filter that drops records whose unformatted message is ``template`` (all others pass)."""

    def __init__(self, template: str) -> None:
        super().__init__()
        self.template = template

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != self.template


_SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(fmt: str = "auto", level: str = "info", stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger.

    Args:
        fmt: ``auto``, ``json`` or ``console``.
        level: ``debug``, ``info``, ``warning`` or ``error``.
        stream: where log lines go; default stderr, so that a command's stdout carries data only.
    """
    stream = stream or sys.stderr
    use_console = fmt == "console" or (fmt == "auto" and stream.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=stream.isatty())
        if use_console
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "charset_normalizer", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name, template in QUIET_MESSAGES:
        lib_logger = logging.getLogger(name)
        if not any(isinstance(f, DropMessage) and f.template == template for f in lib_logger.filters):
            lib_logger.addFilter(DropMessage(template))
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
