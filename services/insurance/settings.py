"""Settings of the social-insurance mock (environment prefix LGSP_INSURANCE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.casework.settings import AgencyMockSettings
from services.faults import Latency


class InsuranceSettings(AgencyMockSettings, BaseSettings):
    """Deadlines, the insured share, the clock and the population served."""

    model_config = SettingsConfigDict(env_prefix="LGSP_INSURANCE_")

    card_days: int = Field(2, ge=0, le=30, description="working days to issue a child's card")
    survivor_days: int = Field(10, ge=0, le=60, description="working days to settle a survivor benefit")
    insured_share: float = Field(0.8, ge=0, le=1, description="adults with a contribution record")
    late_rate: float = Field(0.02, ge=0, le=1, description="dossiers finished after their appointment")
    base_salary: int = Field(2_340_000, gt=0, description="mức lương cơ sở, VND (from 2024-07-01)")
    max_dossiers: int = Field(200_000, ge=1, description="dossiers kept; the oldest are forgotten first")
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(300, 2500),
        description="latency of each answer (log-normal)",
    )
