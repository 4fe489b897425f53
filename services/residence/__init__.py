"""Police residence database mock (CSDL về cư trú): newborns join households, the deceased are removed."""

from services.residence.app import create_app
from services.residence.settings import ResidenceSettings

__all__ = ["ResidenceSettings", "create_app"]
