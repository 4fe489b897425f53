"""The VNPost adapter: OAuth2 client credentials, post and cancel orders, track parcels, webhook messages."""

from adapters.vnpost.adapter import (
    CANCEL_ORDER,
    POST_ORDER,
    TRACKING,
    VnpostAdapter,
    VnpostConfig,
    create_adapter,
)
from adapters.vnpost.book import OrderBook
from adapters.vnpost.models import (
    CancelOrderRequest,
    CancelOrderResponse,
    Party,
    PostOrderRequest,
    PostOrderResponse,
    TrackingItem,
    TrackingRequest,
    TrackingResponse,
)
from adapters.vnpost.webhook import StatusChange, status_change_data

__all__ = [
    "CANCEL_ORDER",
    "POST_ORDER",
    "TRACKING",
    "CancelOrderRequest",
    "CancelOrderResponse",
    "OrderBook",
    "Party",
    "PostOrderRequest",
    "PostOrderResponse",
    "StatusChange",
    "TrackingItem",
    "TrackingRequest",
    "TrackingResponse",
    "VnpostAdapter",
    "VnpostConfig",
    "create_adapter",
    "status_change_data",
]
