"""VNPost's status-change webhook: the wire message and its canonical event data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from adapters.vnpost.wire import STATUS_NAMES

Short = Annotated[str, Field(max_length=255)]


class StatusChange(BaseModel):
    """One status change of a parcel, as VNPost POSTs it; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    CustomerCode: Annotated[str, Field(min_length=1, max_length=50)]
    OrderNumber: Annotated[str, Field(min_length=1, max_length=50)]
    ItemCode: Short
    StatusCode: Annotated[int, Field(ge=0, le=99)]
    StatusMessage: Short
    EventTime: datetime
    POSID: Short
    Notes: Annotated[str, Field(max_length=1000)] = ""

    @property
    def dedup_key(self) -> str:
        """(customer, OrderNumber, StatusCode, EventTime): the same change announced twice is one change."""
        return f"{self.CustomerCode}:{self.OrderNumber}:{self.StatusCode}:{self.EventTime.isoformat()}"


def status_change_data(change: StatusChange) -> dict[str, object]:
    """The canonical `data` of a `parcel.status_changed` event."""
    return {
        "customer_code": change.CustomerCode,
        "order_number": change.OrderNumber,
        "item_code": change.ItemCode,
        "status_code": change.StatusCode,
        "status": STATUS_NAMES.get(change.StatusCode, "unknown"),
        "status_message": change.StatusMessage,
        "event_time": change.EventTime.isoformat(),
        "post_office_id": change.POSID,
        "notes": change.Notes,
    }
