"""Settings of operational monitoring, from `LGSP_MONITORING_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitoringSettings(BaseSettings):
    """How many records monitoring keeps, under which Redis prefix, and how long a write may take."""

    model_config = SettingsConfigDict(
        env_prefix="LGSP_MONITORING_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    records_kept: int = Field(
        default=10_000, ge=1, le=1_000_000, description="latest transaction records kept for monitoring"
    )
    key_prefix: str = Field(default="lgsp:monitoring:", min_length=1, description="prefix of its Redis keys")
    write_timeout: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="longest a record's write may hold a call before it is dropped (s)",
    )
