"""Settings, read once from the environment (``MONITOR_*``) and passed down.

Nothing in this project reads the environment elsewhere; build one
:class:`Settings` at start-up and hand it (or the parts needed) to each component.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from monitor.errors import ConfigError


class Settings(BaseSettings):
    """Process-wide settings; every field maps to an environment variable ``MONITOR_<NAME>``.

    Raises:
        ConfigError: from :meth:`load`, naming the variable at fault.
    """

    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore", frozen=True)

    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis server holding queues, feed state, items and alerts.",
    )
    key_prefix: str = Field("monitor", description="Prefix of every Redis key and RQ queue name.")
    config_dir: Path = Field(Path("config"), description="Folder with feeds.yaml, topics.yaml, alerts.yaml.")
    state_dir: Path = Field(Path(".state"), description="Local state (embedded Redis data, demo files).")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: console on a terminal, JSON lines otherwise."
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    max_document_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Byte cap for one document or HTTP body (bytes)."
    )
    item_retention_days: int = Field(30, gt=0, description="How long items and dedup keys live (days).")
    alert_retention_days: int = Field(180, gt=0, description="How long alert records live (days).")
    stream_maxlen: int = Field(100_000, gt=0, description="Approximate cap of the items/alerts streams.")
    job_timeout: int = Field(180, gt=0, description="RQ job timeout for processing one entry (seconds).")
    poll_job_timeout: int = Field(
        90, gt=0, description="RQ job timeout for one feed poll (seconds); must exceed the HTTP deadline."
    )
    seen_retention_days: int = Field(
        90, gt=0, description="How long an entry key stays in a feed's seen-set after it was last in the feed (days)."
    )
    max_backoff: int = Field(86400, gt=0, description="Cap of a failing feed's exponential back-off (seconds).")
    host_max_concurrent: int = Field(
        2, gt=0, description="Requests in flight at once to one host (registrable domain)."
    )
    host_min_start_interval: float = Field(
        1.0, ge=0, description="Least time between two request starts to one host (seconds)."
    )
    host_wait_max: float = Field(
        30.0, ge=0, description="How long a poll waits for its host's limits before giving up its slot (seconds)."
    )
    scheduler_leader_ttl: float = Field(
        30.0, gt=0, description="Lifetime of the scheduler leader lock, renewed at a third of it (seconds)."
    )
    alert_timeout: float = Field(
        10.0, gt=0, description="Connect and read timeout of one delivery attempt to one channel (seconds)."
    )
    alert_retry_intervals: list[int] = Field(
        [10, 30, 60, 300, 900, 3600],
        min_length=1,
        description="Back-off between delivery retries of one alert to one channel, as a JSON list (seconds);"
        " its length is the number of retries.",
    )
    alert_feed_size: int = Field(50, gt=0, description="How many recent alerts the alerts feeds list.")
    http_host: str = Field("127.0.0.1", description="Address the HTTP server (alerts feed) listens on.")
    http_port: int = Field(8787, ge=0, le=65535, description="Port of the HTTP server (0: any free port).")
    allow_private_addresses: bool = Field(
        False, description="Allow article links to private/loopback addresses (tests, demo)."
    )
    fetch_connect_timeout: float = Field(10.0, gt=0, description="HTTP connect timeout per hop (seconds).")
    fetch_total_timeout: float = Field(
        30.0, gt=0, description="Overall deadline of one HTTP fetch, redirects and body included (seconds)."
    )
    stop_grace_seconds: float = Field(
        30.0, gt=0, description="monitor run: seconds a stop waits for jobs in hand before handing them back."
    )
    delivery_grace_seconds: int = Field(
        120,
        ge=0,
        description="How long a recorded alert may wait for its delivery job before the reconciler hands"
        " it to a new one (seconds).",
    )
    maintenance_interval: int = Field(
        60, ge=5, description="Seconds between a worker's registry clean-ups (abandoned-job detection)."
    )

    @property
    def worker_silent_after(self) -> float:
        """Seconds without a heartbeat after which ``/healthz`` and ``monitor status`` take a
        registered worker for dead: three of its idle heartbeats (one per blocking dequeue,
        ``MONITOR_MAINTENANCE_INTERVAL`` s, at most RQ's 405) and 30 s. RQ keeps a killed worker's
        registration until its key expires, 480 s after the last heartbeat."""
        return 3.0 * min(self.maintenance_interval, 405) + 30.0

    @property
    def redis_url_is_default(self) -> bool:
        """True when MONITOR_REDIS_URL was not given (``monitor run``/``demo`` may then embed a Redis)."""
        return "redis_url" not in self.model_fields_set

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("key_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value) or "*" in value:
            raise ValueError("must be a non-empty string without spaces or '*'")
        return value

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Build settings from the environment plus ``overrides`` (field name -> value).

        Raises:
            ConfigError: naming the ``MONITOR_*`` variable whose value is invalid.
        """
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                name = "MONITOR_" + str(err["loc"][0]).upper() if err["loc"] else "MONITOR_*"
                problems.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
            raise ConfigError("invalid setting: " + "; ".join(problems)) from exc
        except SettingsError as exc:
            # pydantic-settings fails before validation when a list/dict value is not JSON.
            field = re.search(r'field "([a-z_]+)"', str(exc))
            name = "MONITOR_" + field.group(1).upper() if field else "MONITOR_*"
            raise ConfigError(f"invalid setting: {name}: not valid JSON (e.g. [10, 30, 60])") from exc
