"""Civil registry mock (Ministry of Justice, hộ tịch): births, deaths, marriages, status certificates."""

from services.civil.app import create_app
from services.civil.models import EffectCounts, HoTichRecord, LoiBody
from services.civil.registry import CivilRegistry
from services.civil.settings import CivilSettings

__all__ = ["CivilRegistry", "CivilSettings", "EffectCounts", "HoTichRecord", "LoiBody", "create_app"]
