"""Settings, read once from the environment (``MONITOR_*``) and passed down.

Nothing in this project reads the environment elsewhere; build one
:class:`Settings` at start-up and hand it (or the parts needed) to each component.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    allow_private_addresses: bool = Field(
        False, description="Allow article links to private/loopback addresses (tests, demo)."
    )
    fetch_connect_timeout: float = Field(10.0, gt=0, description="HTTP connect timeout per hop (seconds).")
    fetch_total_timeout: float = Field(
        30.0, gt=0, description="Overall deadline of one HTTP fetch, redirects and body included (seconds)."
    )

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
                problems.append(f"{name}: {err['msg']}")
            raise ConfigError("invalid setting: " + "; ".join(problems)) from exc
