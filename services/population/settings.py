"""Settings of the population-database mock (environment prefix LGSP_POPULATION_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.citizens.population import MAX_SIZE


class PopulationSettings(BaseSettings):
    """The synthetic population served when the app is not given one."""

    model_config = SettingsConfigDict(env_prefix="LGSP_POPULATION_")

    seed: int = Field(2023, description="seed of the synthetic population")
    size: int = Field(2_000_000, ge=1, le=MAX_SIZE, description="citizens in the population")
    province_code: str = Field("031", pattern=r"^[0-9]{3}$", description="province of the population")
