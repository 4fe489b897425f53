"""The one-stop dossier system adapter (province, REST/JSON): DongBoHoSoMC from the national portal."""

from adapters.motcua.adapter import DONG_BO_HO_SO, MotcuaAdapter, MotcuaConfig, create_adapter
from adapters.motcua.models import DongBoHoSoRequest, DossierReceipt

__all__ = [
    "DONG_BO_HO_SO",
    "DongBoHoSoRequest",
    "DossierReceipt",
    "MotcuaAdapter",
    "MotcuaConfig",
    "create_adapter",
]
