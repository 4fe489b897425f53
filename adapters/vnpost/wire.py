"""VNPost's wire format (PascalCase JSON) and its mapping to canonical models and taxonomy errors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.sdk import describe_validation_error, json_body, raise_for_status
from adapters.vnpost.models import ParcelStatus, PostOrderRequest, TrackingItem
from bus.errors import BadResponse, ProviderRejected

PROVIDER = "VNPost"
OK = "00"
STATUS_NAMES: dict[int, ParcelStatus] = {
    1: "accepted",
    2: "in_transit",
    3: "out_for_delivery",
    4: "delivered",
    5: "failed_attempt",
    6: "returned",
    7: "cancelled",
}
# VNPost's Status codes that say the request cannot be served as asked.
_REFUSALS = {
    "01": "refused the order as invalid",
    "02": "already has this OrderNumber (field 'order_number') with other content",
    "03": "knows no such order (field 'order_number')",
    "04": "cannot cancel the order at its current status",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OrderAnswer(_Wire):
    """`{Status, Message, ItemCode}`."""

    Status: str
    Message: str | None = None
    ItemCode: str | None = None


class WireTrackingItem(_Wire):
    """One `_embedded` entry of getOrderTracking; `Id` is the cursor (lastId)."""

    Id: int
    OrderNumber: str
    ItemCode: str
    StatusCode: int
    StatusMessage: str
    EventTime: datetime
    POSID: str
    Notes: str = ""

    def canonical(self) -> TrackingItem:
        """The canonical entry."""
        return TrackingItem(
            id=self.Id,
            order_number=self.OrderNumber,
            item_code=self.ItemCode,
            status_code=self.StatusCode,
            status=STATUS_NAMES.get(self.StatusCode, "unknown"),
            status_message=self.StatusMessage,
            event_time=self.EventTime,
            post_office_id=self.POSID,
            notes=self.Notes,
        )


class TrackingPage(_Wire):
    """getOrderTracking's answer."""

    embedded: list[WireTrackingItem] = Field(alias="_embedded")
    returned: int = Field(alias="_returned")
    total_pages: int | None = Field(None, alias="_total_pages")


def order_fields(request: PostOrderRequest, customer_code: str) -> dict[str, Any]:
    """The postOrder body."""
    sender, receiver = request.sender, request.receiver
    return {
        "CustomerCode": customer_code,
        "OrderNumber": request.order_number,
        "CODAmount": request.cod_amount_vnd,
        "SenderProvince": sender.province_code,
        "SenderDistrict": sender.district_code,
        "SenderAddress": sender.address,
        "SenderName": sender.name,
        "SenderTel": sender.phone,
        "ReceiverName": receiver.name,
        "ReceiverAddress": receiver.address,
        "ReceiverTel": receiver.phone,
        "ReceiverProvince": receiver.province_code,
        "ReceiverDistrict": receiver.district_code,
        "Description": request.description,
    }


def _refusal(answer: Mapping[str, Any]) -> ProviderRejected | None:
    status = answer.get("Status")
    if not isinstance(status, str) or status == OK:
        return None
    message = answer.get("Message")
    words = f": {message}" if isinstance(message, str) and message else ""
    meaning = _REFUSALS.get(status, "refused the request")
    return ProviderRejected(f"{PROVIDER} {meaning} (Status {status}){words}")


def checked_body(response: httpx.Response) -> object:
    """The JSON body of a success; VNPost's refusals → ProviderRejected, other failures by HTTP status."""
    try:
        body = json_body(response, PROVIDER)
    except BadResponse:
        raise_for_status(response, PROVIDER)
        raise
    refused = _refusal(body) if isinstance(body, Mapping) else None
    if refused is not None:
        raise refused
    raise_for_status(response, PROVIDER)
    return body


def order_answer(body: object) -> OrderAnswer:
    """A successful `{Status: "00", ...}` answer; BadResponse otherwise."""
    try:
        return OrderAnswer.model_validate(body)
    except ValidationError as exc:
        raise BadResponse(f"{PROVIDER} order answer: {describe_validation_error(exc)}") from exc


def tracking_page(body: object) -> TrackingPage:
    """A getOrderTracking page; BadResponse when it does not fit."""
    try:
        return TrackingPage.model_validate(body)
    except ValidationError as exc:
        raise BadResponse(f"{PROVIDER} tracking answer: {describe_validation_error(exc)}") from exc
