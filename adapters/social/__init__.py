"""The labour and social affairs adapter (social protection, REST/JSON): the funeral allowance."""

from adapters.social.adapter import FUNERAL_ALLOWANCE, LOOKUP, SocialAdapter, SocialConfig, create_adapter
from adapters.social.models import (
    FuneralAllowanceDossier,
    FuneralAllowanceRequest,
    FuneralDossierLookup,
    FuneralDossierQuery,
)

__all__ = [
    "FUNERAL_ALLOWANCE",
    "LOOKUP",
    "FuneralAllowanceDossier",
    "FuneralAllowanceRequest",
    "FuneralDossierLookup",
    "FuneralDossierQuery",
    "SocialAdapter",
    "SocialConfig",
    "create_adapter",
]
