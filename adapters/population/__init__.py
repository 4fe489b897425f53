"""The national population database adapter (BCA, SOAP/XML): verify a citizen, look a citizen up; and
its feed of recorded deaths (REST/JSON)."""

from adapters.population.adapter import (
    DEATH_FEED,
    LOOKUP,
    VERIFY,
    PopulationAdapter,
    PopulationConfig,
    create_adapter,
)
from adapters.population.death_feed import DeathFeedPage, DeathFeedQuery, RecordedDeath
from adapters.population.models import (
    Citizen,
    CitizenLookupRequest,
    CitizenLookupResponse,
    VerifyCitizenRequest,
    VerifyCitizenResponse,
)

__all__ = [
    "DEATH_FEED",
    "LOOKUP",
    "VERIFY",
    "Citizen",
    "CitizenLookupRequest",
    "CitizenLookupResponse",
    "DeathFeedPage",
    "DeathFeedQuery",
    "PopulationAdapter",
    "PopulationConfig",
    "RecordedDeath",
    "VerifyCitizenRequest",
    "VerifyCitizenResponse",
    "create_adapter",
]
