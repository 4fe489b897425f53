"""The social-insurance adapter (BHXH/VSS, REST/JSON): children's health cards, survivor benefits."""

from adapters.insurance.adapter import (
    CHILD_CARD,
    LOOKUP,
    SURVIVOR_BENEFIT,
    InsuranceAdapter,
    InsuranceConfig,
    create_adapter,
)
from adapters.insurance.models import (
    ChildCardRequest,
    InsuranceDossier,
    InsuranceDossierLookup,
    InsuranceDossierQuery,
    SurvivorBenefitRequest,
)

__all__ = [
    "CHILD_CARD",
    "LOOKUP",
    "SURVIVOR_BENEFIT",
    "ChildCardRequest",
    "InsuranceAdapter",
    "InsuranceConfig",
    "InsuranceDossier",
    "InsuranceDossierLookup",
    "InsuranceDossierQuery",
    "SurvivorBenefitRequest",
    "create_adapter",
]
