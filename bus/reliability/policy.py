"""Per-service reliability policies as the catalog declares them: retries and the circuit breaker."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RetryPolicy(BaseModel):
    """How often and how patiently a retryable failure is retried (exponential backoff, full jitter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(
        1, ge=1, le=50, description="calls to the provider, the first included (1: no retry)"
    )
    base_delay: float = Field(0.2, gt=0, le=600, description="seconds before the first retry (before jitter)")
    max_delay: float = Field(10.0, gt=0, le=3600, description="cap on any one delay, seconds")
    jitter: bool = Field(True, description="full jitter: a uniform draw in [0, backoff]")

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> Self:
        if self.max_delay < self.base_delay:
            raise ValueError(f"max_delay ({self.max_delay}) must not be below base_delay ({self.base_delay})")
        return self


class BreakerPolicy(BaseModel):
    """When a provider's circuit opens: failure ratio over a sliding window, with a minimum of calls."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failure_ratio: float = Field(0.5, gt=0, le=1, description="failed / all calls that opens the circuit")
    window: float = Field(10.0, gt=0, le=3600, description="sliding window, seconds")
    min_calls: int = Field(20, ge=1, description="calls in the window before the ratio counts")
    open_seconds: float = Field(5.0, gt=0, le=3600, description="time open before a half-open probe")
