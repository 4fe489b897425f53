"""The province's one-stop dossier system mock: takes in dossiers, processes them, reports progress."""

from services.motcua.app import create_app
from services.motcua.models import Effects, HoSoMotCua, HoSoTiepNhan, ProgressReport
from services.motcua.settings import MotcuaSettings

__all__ = ["Effects", "HoSoMotCua", "HoSoTiepNhan", "MotcuaSettings", "ProgressReport", "create_app"]
