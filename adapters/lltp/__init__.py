"""The judicial-records adapter (lý lịch tư pháp, REST/JSON): certificate requests, polls, revocations."""

from adapters.lltp.adapter import POLL, REQUEST, REVOKE, LltpAdapter, LltpConfig, create_adapter
from adapters.lltp.models import (
    CertificateCase,
    CertificatePoll,
    CertificateQuery,
    CertificateRequest,
    RevocationRequest,
)

__all__ = [
    "POLL",
    "REQUEST",
    "REVOKE",
    "CertificateCase",
    "CertificatePoll",
    "CertificateQuery",
    "CertificateRequest",
    "LltpAdapter",
    "LltpConfig",
    "RevocationRequest",
    "create_adapter",
]
