"""Settings of the live dashboard, from `LGSP_DASHBOARD_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DashboardSettings(BaseSettings):
    """How often the dashboard's feed refreshes, over which window it measures, how long a session lasts."""

    model_config = SettingsConfigDict(
        env_prefix="LGSP_DASHBOARD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    tick_seconds: float = Field(
        default=1.0, ge=0.2, le=60, description="seconds between two snapshots pushed to open dashboards"
    )
    window_seconds: float = Field(
        default=10.0,
        ge=1,
        le=600,
        description="recent window over which edge rates, errors and p95 are taken",
    )
    window_records: int = Field(
        default=5_000, ge=100, le=100_000, description="most monitoring records read for one snapshot"
    )
    history_points: int = Field(
        default=300, ge=10, le=10_000, description="throughput/latency points kept for a newly opened page"
    )
    session_seconds: float = Field(
        default=8 * 3600.0, gt=0, le=7 * 86_400, description="lifetime of a dashboard sign-in (s)"
    )
    slow_poll_seconds: float = Field(
        default=3.0, ge=0.5, le=600, description="seconds between two reads of queue depths and mocks' faults"
    )
