"""Field-named refusals `{maLoi, thongBao, truong}` of agency systems, told to the caller in canonical
terms: the wire field at fault is translated through the adapter's own field map."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pydantic import BaseModel, ConfigDict

from adapters.sdk.provider_errors import json_model
from bus.errors import ProviderRejected


class AgencyRefusal(BaseModel):
    """An agency's error body."""

    model_config = ConfigDict(extra="ignore")

    maLoi: str
    thongBao: str
    truong: str | None = None


def canonical_field(wire_field: str | None, fields: Mapping[str, str]) -> str:
    """The canonical name of a wire field (its longest mapped prefix), else the wire name itself."""
    if not wire_field:
        return "(payload)"
    for wire in sorted(fields, key=len, reverse=True):
        if wire_field == wire or wire_field.startswith(f"{wire}."):
            return fields[wire] + wire_field[len(wire) :]
    return f"{wire_field} (provider field)"


def agency_rejection(
    response: httpx.Response, provider: str, service: str, fields: Mapping[str, str]
) -> ProviderRejected:
    """The agency's 4xx answer as ProviderRejected naming its code and the canonical field at fault."""
    refusal = json_model(response, AgencyRefusal, provider)
    field = canonical_field(refusal.truong, fields)
    message = refusal.thongBao
    if refusal.truong and message.startswith(f"{refusal.truong}: "):
        message = message[len(refusal.truong) + 2 :]
    return ProviderRejected(f"{provider} refused {service} ({refusal.maLoi}): field '{field}': {message}")
