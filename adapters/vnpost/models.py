"""Canonical models of the VNPost services: snake_case English on the bus side."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

OrderNumber = Annotated[
    str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$", description="OrderNumber")
]
AreaCode = Annotated[str, Field(min_length=1, max_length=10)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
Phone = Annotated[str, Field(pattern=r"^(0|\+84)\d{9,10}$")]
ParcelStatus = Literal[
    "accepted", "in_transit", "out_for_delivery", "delivered", "failed_attempt", "returned", "cancelled",
    "unknown",
]  # fmt: skip


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Party(_Canonical):
    """A sender or a receiver: who, how to call them, where."""

    name: Text
    phone: Phone
    address: Text
    province_code: AreaCode
    district_code: AreaCode


class PostOrderRequest(_Canonical):
    """Ask VNPost to collect a parcel (a dossier) or deliver one (a result); one order per number."""

    order_number: OrderNumber | None = Field(
        None, description="OrderNumber, one order per number; defaults to the envelope's request_code"
    )
    sender: Party
    receiver: Party
    cod_amount_vnd: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] = 0
    description: Annotated[str, Field(max_length=500)] = ""


class PostOrderResponse(_Canonical):
    """The order VNPost took, with the item code printed on the parcel."""

    order_number: str
    item_code: str
    provider_message: str | None = None


class CancelOrderRequest(_Canonical):
    """Cancel an order still accepted or in transit; cancelling twice is no change."""

    order_number: OrderNumber


class CancelOrderResponse(_Canonical):
    """The cancelled order."""

    order_number: str
    item_code: str | None = None
    cancelled: bool
    provider_message: str | None = None


class TrackingRequest(_Canonical):
    """The latest status of the customer's orders after `after_id`, up to `max_pages` pages."""

    after_id: Annotated[int, Field(ge=0)] = 0
    page_size: Annotated[int, Field(ge=1, le=100)] = 50
    max_pages: Annotated[int, Field(ge=1, le=50)] = 1
    order_number: OrderNumber | None = Field(None, description="keep only this order's entry")


class TrackingItem(_Canonical):
    """One order's latest status."""

    id: int
    order_number: str
    item_code: str
    status_code: int
    status: ParcelStatus
    status_message: str
    event_time: datetime
    post_office_id: str
    notes: str


class TrackingResponse(_Canonical):
    """The entries fetched; `next_after_id` is the cursor to continue from when `complete` is false."""

    items: list[TrackingItem]
    complete: bool
    next_after_id: int | None = None
