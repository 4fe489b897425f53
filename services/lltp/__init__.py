"""Judicial-records mock (lý lịch tư pháp): certificates no. 1 and 2, verified over days, polled, revoked."""

from services.lltp.app import create_app
from services.lltp.settings import LltpSettings

__all__ = ["LltpSettings", "create_app"]
