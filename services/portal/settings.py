"""Settings of the National Public Service Portal mock (environment prefix LGSP_PORTAL_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The procedures citizens file on the portal and the province runs as journeys (their kinds): the two
# interconnected ones, ordinary dossiers with a fee, and judicial-record certificates.
Procedure = Literal["birth", "death", "dossier", "lltp"]
PROCEDURES: tuple[Procedure, ...] = ("birth", "death", "dossier", "lltp")


class PortalSettings(BaseSettings):
    """Where the portal sends dossiers, as whom, and the bounds of one send run."""

    model_config = SettingsConfigDict(env_prefix="LGSP_PORTAL_")

    gateway_url: str = Field("http://127.0.0.1:8000", description="base URL of the LGSP gateway")
    service_id: str = Field(
        "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1", description="service id dossiers are sent to"
    )
    client_id: str = Field("VN/GOV/DVCQG/PORTAL", description="client id it calls the gateway as")
    api_key: SecretStr = Field(SecretStr("dvcqg-dev-key"), description="API key it calls the gateway with")
    agency_code: str = Field("H31", pattern=r"^[A-Z][0-9]{2}$", description="MaHoSo prefix: Hải Phòng")
    seed: int = Field(2023, description="seed of the dossiers it makes")
    population_seed: int = Field(2023, description="seed of the population whose dossiers it sends")
    population_size: int = Field(2_000_000, gt=0, description="size of that population")
    request_timeout_s: float = Field(10.0, gt=0, le=120, description="time-out of one send (s)")
    max_in_flight: int = Field(20, ge=1, le=500, description="sends in flight at once")
    max_send_count: int = Field(10_000, ge=1, description="largest send run (dossiers)")
    max_rate_per_second: float = Field(200.0, gt=0, description="fastest send run (dossiers/s)")
    max_dossiers: int = Field(200_000, ge=1, description="dossiers remembered; the oldest go first")
    max_send_seconds: float = Field(600.0, gt=0, description="a send run may not be planned longer")
    traffic_rates_per_minute: dict[Procedure, float] = Field(
        default_factory=dict,
        description="citizens' dossiers filed per minute by procedure from start-up, e.g. "
        '\'{"birth": 2, "death": 1}\' (empty: none until started at /_control/portal/traffic)',
    )
    traffic_tick_seconds: float = Field(0.5, gt=0, le=60, description="how often citizen traffic files")
    max_traffic_per_minute: float = Field(6000.0, gt=0, description="fastest citizen traffic per procedure")
    late_payment_rate: float = Field(
        0.08, ge=0, le=1, description="citizens who pay a fee 1-2 working days after the link (reconciled)"
    )
    failed_payment_rate: float = Field(0.05, ge=0, le=1, description="citizens whose fee payment fails")
    abandoned_payment_rate: float = Field(
        0.02, ge=0, le=1, description="citizens who cancel the fee payment on the page"
    )
