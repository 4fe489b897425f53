"""The National Public Service Portal adapter (REST/JSON): progress updates and dossier look-ups."""

from adapters.portal.adapter import LOOKUP, PROGRESS, PortalAdapter, PortalConfig, create_adapter
from adapters.portal.models import (
    DossierLookup,
    DossierStatus,
    DossierSummary,
    ProgressEntry,
    ProgressUpdate,
)

__all__ = [
    "LOOKUP",
    "PROGRESS",
    "DossierLookup",
    "DossierStatus",
    "DossierSummary",
    "PortalAdapter",
    "PortalConfig",
    "ProgressEntry",
    "ProgressUpdate",
    "create_adapter",
]
