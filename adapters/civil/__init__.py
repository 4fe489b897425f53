"""The civil registry adapter (Ministry of Justice, hộ tịch, REST/JSON): registrations and look-ups."""

from adapters.civil.adapter import (
    BIRTH,
    DEATH,
    LOOKUP,
    MARITAL_STATUS,
    MARRIAGE,
    CivilAdapter,
    CivilConfig,
    create_adapter,
)
from adapters.civil.models import (
    BirthRegistrationRequest,
    CivilRecord,
    DeathRegistrationRequest,
    MaritalStatusCertificateRequest,
    MarriageRegistrationRequest,
    PersonCivilStatus,
    RecordLookupRequest,
    RecordLookupResponse,
)

__all__ = [
    "BIRTH",
    "DEATH",
    "LOOKUP",
    "MARITAL_STATUS",
    "MARRIAGE",
    "BirthRegistrationRequest",
    "CivilAdapter",
    "CivilConfig",
    "CivilRecord",
    "DeathRegistrationRequest",
    "MaritalStatusCertificateRequest",
    "MarriageRegistrationRequest",
    "PersonCivilStatus",
    "RecordLookupRequest",
    "RecordLookupResponse",
    "create_adapter",
]
