"""Configuration of the journey engine (`LGSP_JOURNEY_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class JourneySettings(BaseSettings):
    """Where journey ticks travel, how long a worker holds a journey, how timers and unknowns are retried."""

    model_config = SettingsConfigDict(env_prefix="LGSP_JOURNEY_", extra="ignore")

    queue: str = Field("lgsp.journeys", min_length=1, description="the queue of journey ticks")
    store_prefix: str = Field("flows:", min_length=1, description="key prefix of journey state in the Store")
    prefetch: int = Field(16, ge=1, le=1024, description="journeys one engine advances at once")
    lease_seconds: float = Field(
        60.0, gt=0, le=3600, description="a worker's hold on a journey; longer than any service's time-out"
    )
    busy_retry_seconds: float = Field(
        0.2,
        gt=0,
        le=60,
        description=(
            "a tick for a held journey comes back after"
            " (the first back-off of one deferred for broker or Store trouble)"
        ),
    )
    timer_recheck_seconds: float = Field(
        0.2,
        gt=0,
        le=60,
        description="how often a timer on a clock the wall does not drive (manual) looks again",
    )
    recheck_seconds: float = Field(
        1.0, gt=0, le=3600, description="before asking again about an unanswered call (doubled each time)"
    )
    max_rechecks: int = Field(8, ge=0, le=30, description="unanswered calls asked again before parking")
    deferral_seconds: float = Field(
        5.0,
        gt=0,
        le=3600,
        description=(
            "before calling again a provider the bus turned the call away from"
            " (the longest back-off of a tick deferred for broker or Store trouble)"
        ),
    )
    max_deferrals: int = Field(60, ge=0, le=10_000, description="calls turned away before parking")
    event_retention_seconds: float = Field(
        30 * 86_400.0, gt=0, description="an arrived event waits this long"
    )
