"""Statuses of interconnected-service dossiers (Decree 63/2024) pushed to the portal: canonical names ⇄
the portal's `trangThai` 1-7; the portal's "already exists" answer to a repeat is treated as done."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from adapters.portal.wire import WireError, from_portal_time, portal_time
from adapters.sdk import DossierCode

InterconnectedStatus = Literal[
    "received", "supplement_requested", "accepted", "sent_to_registry", "registry_result", "result_returned",
    "refused",
]  # fmt: skip
CODES: dict[InterconnectedStatus, int] = {
    "received": 1,
    "supplement_requested": 2,
    "accepted": 3,
    "registry_result": 4,
    "result_returned": 5,
    "refused": 6,
    "sent_to_registry": 7,
}
STATUS_OF = {code: status for status, code in CODES.items()}
ALREADY_EXISTS = "DA_TON_TAI"
CANONICAL_FIELDS = {
    "maHoSo": "dossier_number",
    "maThuTucLienThong": "bundle",
    "trangThai": "status",
    "thoiGian": "updated_at",
    "noiDung": "note",
    "coQuanXuLy": "agency",
    "ngayHenTra": "due_at",
}


class InterconnectedStatusUpdate(BaseModel):
    """A status of an interconnected dossier to mirror to the portal (the first must be `received`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    dossier_number: DossierCode
    status: InterconnectedStatus
    updated_at: AwareDatetime
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    bundle: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="e.g. KS-TT-BHYT: birth, residence, health insurance"
    )
    agency: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    due_at: AwareDatetime | None = None


class InterconnectedStatusEntry(BaseModel):
    """The portal's record of the status; `already_recorded` when it was there before (a repeat)."""

    dossier_number: str
    status: InterconnectedStatus
    status_code: int
    updated_at: datetime
    already_recorded: bool


class _WireEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    maHoSo: str
    trangThai: int
    thoiGian: str


class WireDongBoKetQua(BaseModel):
    """The portal's answer to an accepted push."""

    model_config = ConfigDict(extra="ignore")

    TrangThai: _WireEntry


def status_body(update: InterconnectedStatusUpdate) -> dict[str, Any]:
    """The body of POST /api/lienthong/DongBoTrangThai."""
    body: dict[str, Any] = {
        "maHoSo": update.dossier_number,
        "trangThai": CODES[update.status],
        "thoiGian": portal_time(update.updated_at),
        "noiDung": update.note,
    }
    optional = {"maThuTucLienThong": update.bundle, "coQuanXuLy": update.agency}
    body |= {key: value for key, value in optional.items() if value is not None}
    if update.due_at is not None:
        body["ngayHenTra"] = portal_time(update.due_at)
    return body


def recorded(answer: WireDongBoKetQua) -> InterconnectedStatusEntry:
    """A new status as the portal recorded it."""
    entry = answer.TrangThai
    return InterconnectedStatusEntry(
        dossier_number=entry.maHoSo,
        status=STATUS_OF[entry.trangThai],
        status_code=entry.trangThai,
        updated_at=from_portal_time(entry.thoiGian),
        already_recorded=False,
    )


def already_recorded(update: InterconnectedStatusUpdate) -> InterconnectedStatusEntry:
    """The answer to a repeat the portal reported as existing: done, as first recorded."""
    return InterconnectedStatusEntry(
        dossier_number=update.dossier_number,
        status=update.status,
        status_code=CODES[update.status],
        updated_at=update.updated_at,
        already_recorded=True,
    )


def is_already_recorded(status_code: int, error: WireError) -> bool:
    """Whether a refusal is the portal's "already exists" answer to a repeated status."""
    return status_code == 409 and error.error_code == ALREADY_EXISTS
