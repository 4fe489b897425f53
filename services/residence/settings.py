"""Settings of the residence-database mock (environment prefix LGSP_RESIDENCE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.faults import Latency


class ResidenceSettings(BaseSettings):
    """Deadlines, shares of slow cases, the clock and the population served."""

    model_config = SettingsConfigDict(env_prefix="LGSP_RESIDENCE_")

    province_code: str = Field(
        "031", pattern=r"^[0-9]{3}$", description="the province served (ID-number prefix)"
    )
    seed: int = Field(2026, description="seed of the mock's draws (timelines, shares, numbers)")
    population_seed: int = Field(2023, description="seed of the population it serves")
    population_size: int = Field(2_000_000, gt=0, description="size of that population")
    population_url: str | None = Field(
        None, pattern=r"^https?://", description="the population database asked about people this process "
        "does not hold (newborns issued elsewhere); unset: the population of this process alone",
    )  # fmt: skip
    clock_speed: float = Field(1.0, gt=0, le=1_000_000, description="simulated seconds per real second")
    registration_days: int = Field(2, ge=0, le=30, description="working days to register a newborn")
    verification_days: int = Field(5, ge=0, le=30, description="working days when verification is needed")
    removal_days: int = Field(1, ge=0, le=30, description="working days to remove a deceased person")
    verification_rate: float = Field(0.1, ge=0, le=1, description="registrations needing verification")
    late_rate: float = Field(0.02, ge=0, le=1, description="dossiers finished after their appointment")
    max_dossiers: int = Field(200_000, ge=1, description="dossiers kept; the oldest are forgotten first")
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(250, 2000),
        description="latency of each answer (log-normal)",
    )
