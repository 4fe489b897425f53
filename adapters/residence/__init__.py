"""The police residence database adapter (CSDL về cư trú, REST/JSON): newborns in, the deceased out."""

from adapters.residence.adapter import (
    LOOKUP,
    REGISTER,
    REMOVE,
    ResidenceAdapter,
    ResidenceConfig,
    create_adapter,
)
from adapters.residence.models import (
    NewbornResidenceRequest,
    ResidenceDossier,
    ResidenceDossierLookup,
    ResidenceDossierQuery,
    ResidenceRemovalRequest,
)

__all__ = [
    "LOOKUP",
    "REGISTER",
    "REMOVE",
    "NewbornResidenceRequest",
    "ResidenceAdapter",
    "ResidenceConfig",
    "ResidenceDossier",
    "ResidenceDossierLookup",
    "ResidenceDossierQuery",
    "ResidenceRemovalRequest",
    "create_adapter",
]
