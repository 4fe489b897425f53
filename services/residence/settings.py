"""Settings of the residence-database mock (environment prefix LGSP_RESIDENCE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.casework.settings import AgencyMockSettings
from services.faults import Latency


class ResidenceSettings(AgencyMockSettings, BaseSettings):
    """Deadlines, shares of slow cases, the clock and the population served."""

    model_config = SettingsConfigDict(env_prefix="LGSP_RESIDENCE_")

    registration_days: int = Field(2, ge=0, le=30, description="working days to register a newborn")
    verification_days: int = Field(5, ge=0, le=30, description="working days when verification is needed")
    removal_days: int = Field(1, ge=0, le=30, description="working days to remove a deceased person")
    verification_rate: float = Field(0.1, ge=0, le=1, description="registrations needing verification")
    late_rate: float = Field(0.02, ge=0, le=1, description="dossiers finished after their appointment")
    removal_stall_rate: float = Field(
        0.0, ge=0, le=1, description="removals left in processing for ever (a dossier the office lost)"
    )
    max_dossiers: int = Field(200_000, ge=1, description="dossiers kept; the oldest are forgotten first")
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(250, 2000),
        description="latency of each answer (log-normal)",
    )
