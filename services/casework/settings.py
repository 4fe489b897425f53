"""The settings every agency mock shares: the province, seeds, the population served and the clock."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AgencyMockSettings(BaseModel):
    """The fields each agency mock's settings class starts with.

    A plain model mixed into each mock's `BaseSettings` (which gives the environment prefix), so that it
    is no settings section of its own in docs/SETTINGS.md.
    """

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
