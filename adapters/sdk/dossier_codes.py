"""The dossier code (mã hồ sơ) a call to an agency carries: the key the agency de-duplicates on.

Taken from the payload when given, else from the envelope's issue (the dossier a journey serves), else
from its `request_code` (from the Idempotency-Key, else the transaction id): all derived from the
request, so every attempt carries the same code and the agency answers it with its first result instead
of acting twice.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from adapters.sdk.services import describe_validation_error
from bus.envelope import Envelope
from bus.errors import BadRequest

DossierCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$",
        description="the dossier code (mã hồ sơ) that makes a repeated request harmless",
    ),
]


class _Code(BaseModel):
    code: DossierCode


def dossier_code(request: Envelope, given: str | None, *, field: str = "dossier_number") -> str:
    """The payload's code, else the envelope's issue, else its request_code; BadRequest if malformed."""
    code = given or request.issue or request.request_code
    try:
        return _Code(code=code).code
    except ValidationError as exc:
        raise BadRequest(
            f"field '{field}' (or the envelope's issue): {code!r} is not a valid dossier code: "
            f"{describe_validation_error(exc)}"
        ) from exc
