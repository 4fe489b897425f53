"""The one-stop dossier system adapter (province, REST/JSON): DongBoHoSoMC from the national portal;
ChuyenXuLyHoSo and TraCuuXuLyHoSo for the LGSP's ordinary-dossier journey."""

from adapters.motcua.adapter import (
    CHUYEN_XU_LY,
    DONG_BO_HO_SO,
    TRA_CUU_XU_LY,
    MotcuaAdapter,
    MotcuaConfig,
    create_adapter,
)
from adapters.motcua.models import DongBoHoSoRequest, DossierProgress, DossierReceipt, HandOverRequest

__all__ = [
    "CHUYEN_XU_LY",
    "DONG_BO_HO_SO",
    "TRA_CUU_XU_LY",
    "DongBoHoSoRequest",
    "DossierProgress",
    "DossierReceipt",
    "HandOverRequest",
    "MotcuaAdapter",
    "MotcuaConfig",
    "create_adapter",
]
