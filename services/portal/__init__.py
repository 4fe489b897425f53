"""National Public Service Portal mock (DVCQG): sends dossiers into the LGSP, receives their progress."""

from services.portal.app import create_app
from services.portal.dossiers import DossierFactory, HoSoMC
from services.portal.progress import CapNhatTienDo, HoSoTraCuu
from services.portal.sender import SendSummary
from services.portal.settings import PortalSettings

__all__ = [
    "CapNhatTienDo",
    "DossierFactory",
    "HoSoMC",
    "HoSoTraCuu",
    "PortalSettings",
    "SendSummary",
    "create_app",
]
