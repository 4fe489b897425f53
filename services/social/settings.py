"""Settings of the labour and social affairs mock (environment prefix LGSP_SOCIAL_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.casework.settings import AgencyMockSettings
from services.faults import Latency


class SocialSettings(AgencyMockSettings, BaseSettings):
    """The deadline, who is a beneficiary, the clock and the population served."""

    model_config = SettingsConfigDict(env_prefix="LGSP_SOCIAL_")

    funeral_days: int = Field(3, ge=0, le=30, description="working days to settle a funeral allowance")
    pension_age: int = Field(80, ge=60, le=100, description="age from which everyone gets a social pension")
    disability_share: float = Field(0.05, ge=0, le=1, description="younger people on disability allowance")
    assistance_standard: int = Field(500_000, gt=0, description="mức chuẩn trợ giúp xã hội, VND (2025)")
    late_rate: float = Field(0.02, ge=0, le=1, description="dossiers finished after their appointment")
    max_dossiers: int = Field(200_000, ge=1, description="dossiers kept; the oldest are forgotten first")
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(200, 1500),
        description="latency of each answer (log-normal)",
    )
