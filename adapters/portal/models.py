"""Canonical models of the portal's services for the province: progress updates and dossier look-ups.

snake_case English, times ISO 8601 with an offset; the adapter converts them to the portal's format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]
DossierNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$"),
    Field(description="the portal's dossier number (MaHoSo)"),
]
Status = Annotated[
    int,
    Field(
        ge=1,
        le=10,
        description="1 new, 2 accepted, 3 not accepted, 4 processing, 5 supplement requested, "
        "6 financial obligation requested, 7 withdrawn, 8 stopped, 9 processed, 10 result returned",
    ),
]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProgressUpdate(_Canonical):
    """A status change of a dossier, reported to the portal (CapNhatTienDoHoSoMC)."""

    dossier_number: DossierNumber
    status: Status
    updated_at: AwareDatetime
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    officer: Text | None = None
    unit: Text | None = None
    payment_url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2000)] | None = Field(
        None, description="with status 6: the payment page the citizen pays the fee on (UrlThanhToan)"
    )


class ProgressEntry(BaseModel):
    """One entry of a dossier's history as the portal recorded it."""

    dossier_number: str
    status: int
    status_name: str
    updated_at: datetime
    note: str
    officer: str | None = None
    unit: str | None = None


class DossierLookup(_Canonical):
    """Which dossier to look up (TraCuuHoSo)."""

    dossier_number: DossierNumber


class DossierSummary(BaseModel):
    """The dossier as the portal holds it."""

    procedure_code: str
    procedure_name: str
    owner_name: str
    owner_id_number: str
    channel: int = Field(description="1 in person, 2 online, 3 public postal service")
    received_at: datetime
    due_at: datetime
    unit: str


class DossierStatus(BaseModel):
    """TraCuuHoSo's answer: whether the portal knows the dossier, its state and history."""

    found: bool
    dossier_number: str
    status: int | None = None
    status_name: str | None = None
    dossier: DossierSummary | None = None
    history: list[ProgressEntry] = Field(default_factory=list)
