"""Wire messages of the VNPost mock, with VNPost's field names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Code = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$")]
AreaCode = Annotated[str, Field(min_length=1, max_length=10)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
Phone = Annotated[str, Field(pattern=r"^(0|\+84)\d{9,10}$")]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostOrderRequest(_Wire):
    """postOrder: a parcel to collect (a dossier) or to deliver (a result)."""

    CustomerCode: Code
    OrderNumber: Code
    CODAmount: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)]
    SenderProvince: AreaCode
    SenderDistrict: AreaCode
    SenderAddress: Text
    SenderName: Text
    SenderTel: Phone
    ReceiverName: Text
    ReceiverAddress: Text
    ReceiverTel: Phone
    ReceiverProvince: AreaCode
    ReceiverDistrict: AreaCode
    Description: Annotated[str, Field(max_length=500)] = ""


class OrderAnswer(_Wire):
    """`{Status, Message, ItemCode}`; Status "00" is success (see codes)."""

    Status: str
    Message: str
    ItemCode: str | None = None


class CancelOrderRequest(_Wire):
    """cancelOrder: allowed while the parcel is accepted or in transit."""

    CustomerCode: Code
    OrderNumber: Code


class _OrderStatus(_Wire):
    """One order's status at one event: what tracking pages and webhooks both report."""

    OrderNumber: str
    ItemCode: str
    StatusCode: int
    StatusMessage: str
    EventTime: str
    POSID: str
    Notes: str


class TrackingItem(_OrderStatus):
    """The latest status of one order; `Id` is the cursor for the next page (lastId)."""

    Id: int


class TrackingQuery(_Wire):
    """getOrderTracking's query parameters."""

    CustomerCode: Code
    pagesize: Annotated[int, Field(ge=1, le=100)] = 20
    lastId: Annotated[int, Field(ge=0)] = 0


class TrackingPage(_Wire):
    """getOrderTracking's answer."""

    embedded: list[TrackingItem] = Field(serialization_alias="_embedded")
    returned: int = Field(serialization_alias="_returned")
    total_pages: int = Field(serialization_alias="_total_pages")


class StatusChange(_OrderStatus):
    """What the webhook POSTs on each status change."""

    CustomerCode: str


class TokenAnswer(_Wire):
    """An OAuth2 access token (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class ClockSpeed(_Wire):
    """Control: run the simulated clock at `speed` × real time."""

    speed: Annotated[float, Field(gt=0, le=1_000_000)]


class ClockAdvance(_Wire):
    """Control: fast-forward the simulated clock."""

    hours: Annotated[float, Field(gt=0, le=24 * 366)]


class ClockState(_Wire):
    """The simulated clock as the control API shows it."""

    now: str
    speed: float


class Effects(BaseModel):
    """What the mock has done (GET /_control/effects)."""

    tokens_issued: int = 0
    tokens_refused: int = 0
    orders_posted: int = 0
    orders_cancelled: int = 0
    webhooks_sent: int = 0
    webhooks_failed: int = 0
    webhooks_dropped: int = 0
