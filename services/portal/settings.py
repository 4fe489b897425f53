"""Settings of the National Public Service Portal mock (environment prefix LGSP_PORTAL_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    """Where the portal sends dossiers, as whom, and the bounds of one send run."""

    model_config = SettingsConfigDict(env_prefix="LGSP_PORTAL_")

    gateway_url: str = Field("http://127.0.0.1:8000", description="base URL of the LGSP gateway")
    service_id: str = "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"
    client_id: str = "VN/GOV/DVCQG/PORTAL"
    api_key: SecretStr = SecretStr("dvcqg-dev-key")
    agency_code: str = Field("H31", pattern=r"^[A-Z][0-9]{2}$", description="MaHoSo prefix: Hải Phòng")
    seed: int = 2023
    population_seed: int = 2023
    population_size: int = Field(2_000_000, gt=0)
    request_timeout_s: float = Field(10.0, gt=0, le=120)
    max_in_flight: int = Field(20, ge=1, le=500)
    max_send_count: int = Field(10_000, ge=1)
    max_rate_per_second: float = Field(200.0, gt=0)
    max_dossiers: int = Field(200_000, ge=1, description="dossiers remembered; the oldest go first")
    max_send_seconds: float = Field(600.0, gt=0, description="a send run may not be planned longer")
