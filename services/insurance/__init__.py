"""Social insurance mock (BHXH/VSS): health-insurance cards for children under six, survivor benefits."""

from services.insurance.app import create_app
from services.insurance.settings import InsuranceSettings

__all__ = ["InsuranceSettings", "create_app"]
