"""Settings of the judicial-records mock (environment prefix LGSP_LLTP_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.casework.settings import AgencyMockSettings
from services.faults import Latency


class LltpSettings(AgencyMockSettings, BaseSettings):
    """Deadlines, shares of refusals and of records with convictions, the clock and the population."""

    model_config = SettingsConfigDict(env_prefix="LGSP_LLTP_")

    issuing_office: str = Field(
        "Sở Tư pháp thành phố Hải Phòng", description="the office that issues certificates"
    )
    signer: str = Field("Nguyễn Văn Thành", description="who signs the certificates")
    certificate_days: int = Field(10, ge=0, le=60, description="working days to issue a certificate")
    several_places_days: int = Field(15, ge=0, le=60, description="when the person lived elsewhere too")
    return_days: int = Field(
        4,
        ge=0,
        le=60,
        description="working days of the period left for returning the certificate (VNPost takes up to "
        "78 h, plus the one-stop's polls): verification ends by then, except for the late share",
    )
    refusal_rate: float = Field(0.03, ge=0, le=1, description="requests refused after verification")
    conviction_rate: float = Field(0.04, ge=0, le=1, description="people with a criminal record")
    late_rate: float = Field(0.02, ge=0, le=1, description="requests finished after their deadline")
    max_dossiers: int = Field(200_000, ge=1, description="dossiers kept; the oldest are forgotten first")
    max_batch: int = Field(1_000, ge=1, le=10_000, description="dossier codes per batch poll")
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(300, 2500),
        description="latency of each answer (log-normal)",
    )
