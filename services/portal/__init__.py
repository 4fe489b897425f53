"""National Public Service Portal mock (DVCQG): sends dossiers into the LGSP, receives their progress.

`create_app` is imported on first use: the app pulls in FastAPI, httpx and the working calendar, which a
load generator importing only the dossiers (`services.portal.dossiers`) does not need.
"""

from typing import TYPE_CHECKING, Any

from services.portal.dossiers import DossierFactory, HoSoMC
from services.portal.progress import CapNhatTienDo, HoSoTraCuu
from services.portal.sender import SendSummary
from services.portal.settings import PortalSettings

if TYPE_CHECKING:
    from services.portal.app import create_app

__all__ = [
    "CapNhatTienDo",
    "DossierFactory",
    "HoSoMC",
    "HoSoTraCuu",
    "PortalSettings",
    "SendSummary",
    "create_app",
]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from services.portal.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
