"""The national population database adapter (BCA, SOAP/XML): verify a citizen, look a citizen up."""

from adapters.population.adapter import (
    LOOKUP,
    VERIFY,
    PopulationAdapter,
    PopulationConfig,
    create_adapter,
)
from adapters.population.models import (
    Citizen,
    CitizenLookupRequest,
    CitizenLookupResponse,
    VerifyCitizenRequest,
    VerifyCitizenResponse,
)

__all__ = [
    "LOOKUP",
    "VERIFY",
    "Citizen",
    "CitizenLookupRequest",
    "CitizenLookupResponse",
    "PopulationAdapter",
    "PopulationConfig",
    "VerifyCitizenRequest",
    "VerifyCitizenResponse",
    "create_adapter",
]
