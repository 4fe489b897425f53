"""The National Public Service Portal adapter (REST/JSON): progress updates, dossier look-ups and the
statuses of interconnected-service dossiers."""

from adapters.portal.adapter import (
    INTERCONNECTED,
    LOOKUP,
    PROGRESS,
    PortalAdapter,
    PortalConfig,
    create_adapter,
)
from adapters.portal.interconnected import InterconnectedStatusEntry, InterconnectedStatusUpdate
from adapters.portal.models import (
    DossierLookup,
    DossierStatus,
    DossierSummary,
    ProgressEntry,
    ProgressUpdate,
)

__all__ = [
    "INTERCONNECTED",
    "LOOKUP",
    "PROGRESS",
    "DossierLookup",
    "DossierStatus",
    "DossierSummary",
    "InterconnectedStatusEntry",
    "InterconnectedStatusUpdate",
    "PortalAdapter",
    "PortalConfig",
    "ProgressEntry",
    "ProgressUpdate",
    "create_adapter",
]
