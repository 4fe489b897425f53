"""Settings of the civil-registry mock (environment prefix LGSP_CIVIL_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CivilSettings(BaseSettings):
    """What an operator may tune: the province served, the pending rate and its seed, the population."""

    model_config = SettingsConfigDict(env_prefix="LGSP_CIVIL_")

    province_code: str = Field("031", pattern=r"^[0-9]{3}$", description="province whose IDs births get")
    pending_rate: float = Field(0.02, ge=0, le=1, description="share of births left waiting for an ID")
    seed: int = Field(2023, description="seed of the registry's random draws (pending births, documents)")
    population_seed: int = Field(2023, description="seed of the population it registers people of")
    population_size: int = Field(2_000_000, gt=0, description="size of that population")
    population_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="the population database that issues newborns' numbers over HTTP; unset: the "
        "population shared in this process",
    )
    population_timeout_s: float = Field(5.0, gt=0, le=60, description="time-out of one issuing call")
    notice_retry_s: float = Field(
        5.0, gt=0, le=3600, description="how often deaths the population database did not take are re-sent"
    )
