"""Configuration of the transaction log, from `LGSP_TXLOG_*` variables (or arguments in tests)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TxLogSettings(BaseSettings):
    """Where the log lives, how much it retains, and which services have their bodies logged."""

    model_config = SettingsConfigDict(env_prefix="LGSP_TXLOG_", extra="ignore", populate_by_name=True)

    # The bus-wide LGSP_REDIS_URL is the fallback, so one variable points everything at Redis.
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LGSP_TXLOG_REDIS_URL", "LGSP_REDIS_URL"),
        description="Redis URL of the log; unset: kept in this process's memory",
    )
    stream_key: str = Field(
        default="lgsp:txlog",
        min_length=1,
        pattern=r"^[A-Za-z0-9:_.{}-]+$",
        description="Redis stream of the log",
    )
    max_entries: int | None = Field(default=None, ge=1, description="retention; None keeps everything")
    trim_batch: int = Field(default=100, ge=1, description="trim once this many entries over retention")
    body_services: frozenset[str] = Field(
        default=frozenset(), description="service ids whose request/response bodies are logged"
    )
    time_slack_seconds: float = Field(
        default=300.0, ge=0, description="how far request_in may precede the append, for time ranges"
    )
    spool_path: Path | None = Field(
        default=None, description="file keeping records while the log is unreachable (None: memory only)"
    )
    max_append_attempts: int = Field(default=200, ge=1, description="compare-and-set retries per append")

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"redis_url must look like redis://host[:port]/db, got {url!r}")
        return url

    def logs_bodies_of(self, service: str | None) -> bool:
        """Whether the bodies of calls to `service` are kept (off unless listed)."""
        return service is not None and service in self.body_services
