"""The book of orders: one per (CustomerCode, OrderNumber), cancellable until out for delivery."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from services.clock import VIETNAM_TIME
from services.vnpost.codes import VnpostCode, VnpostError
from services.vnpost.journey import (
    CANCELLABLE,
    STATUS_MESSAGES,
    TrackingEvent,
    TrackingStatus,
    item_code,
    plan_journey,
)
from services.vnpost.models import PostOrderRequest, StatusChange, TrackingItem


def event_time(at: float) -> str:
    """EventTime on the wire: ISO 8601 in Vietnam time."""
    return datetime.fromtimestamp(at, VIETNAM_TIME).isoformat(timespec="seconds")


@dataclass
class Order:
    """One order and its whole planned journey; what is visible depends on the clock."""

    id: int
    request: PostOrderRequest
    item_code: str
    journey: tuple[TrackingEvent, ...]
    cancelled_at: float | None = None

    def events_until(self, now: float) -> list[TrackingEvent]:
        """The events that have happened by simulated time `now`, in order."""
        cutoff = now if self.cancelled_at is None else min(now, self.cancelled_at)
        events = [event for event in self.journey if event.at <= cutoff]
        if self.cancelled_at is not None and self.cancelled_at <= now:
            events.append(TrackingEvent(TrackingStatus.CANCELLED, self.cancelled_at, events[-1].pos_id))
        return events

    def latest(self, now: float) -> TrackingEvent:
        """The current status (the acceptance is visible from the moment of posting)."""
        return self.events_until(now)[-1]

    def next_change_after(self, now: float) -> float | None:
        """When the next status change is due, or None when the journey is over."""
        if self.cancelled_at is not None:
            return self.cancelled_at if self.cancelled_at > now else None
        return next((event.at for event in self.journey if event.at > now), None)

    def tracking_item(self, now: float) -> TrackingItem:
        """getOrderTracking's entry for this order."""
        event = self.latest(now)
        return TrackingItem(Id=self.id, OrderNumber=self.request.OrderNumber, ItemCode=self.item_code,
                            **_event_fields(event))  # fmt: skip

    def status_change(self, event: TrackingEvent) -> StatusChange:
        """The webhook message for one of this order's events."""
        return StatusChange(CustomerCode=self.request.CustomerCode, OrderNumber=self.request.OrderNumber,
                            ItemCode=self.item_code, **_event_fields(event))  # fmt: skip


def _event_fields(event: TrackingEvent) -> dict[str, str | int]:
    return {
        "StatusCode": int(event.status),
        "StatusMessage": STATUS_MESSAGES[event.status],
        "EventTime": event_time(event.at),
        "POSID": event.pos_id,
        "Notes": event.notes,
    }


class OrderBook:
    """In-memory orders, by key and in posting order per customer (for paging)."""

    def __init__(self, seed: int, failed_attempt_rate: float, return_rate: float) -> None:
        self._seed = seed
        self._failed_attempt_rate = failed_attempt_rate
        self._return_rate = return_rate
        self._orders: dict[tuple[str, str], Order] = {}
        self._by_customer: dict[str, list[Order]] = {}  # each in posting order: ids grow

    def post(self, request: PostOrderRequest, now: float) -> tuple[Order, bool]:
        """The order for this OrderNumber, and whether it was created now; same number, other content → 02."""
        key = (request.CustomerCode, request.OrderNumber)
        existing = self._orders.get(key)
        if existing is not None:
            if existing.request != request:
                raise VnpostError(
                    VnpostCode.ORDER_CONFLICT, f"OrderNumber {request.OrderNumber} exists with other content"
                )
            return existing, False
        sequence = len(self._orders) + 1
        journey = plan_journey(
            self._seed, f"{request.CustomerCode}/{request.OrderNumber}", now,
            self._failed_attempt_rate, self._return_rate,
        )  # fmt: skip
        order = Order(sequence, request, item_code(self._seed, sequence), journey)
        self._orders[key] = order
        self._by_customer.setdefault(request.CustomerCode, []).append(order)
        return order, True

    def find(self, customer: str, number: str) -> Order:
        """The order, or 03."""
        order = self._orders.get((customer, number))
        if order is None:
            raise VnpostError(VnpostCode.UNKNOWN_ORDER, f"no order {number} for customer {customer}")
        return order

    def cancel(self, customer: str, number: str, now: float) -> tuple[Order, bool]:
        """Cancel while accepted or in transit; and whether it was cancelled now (a repeat is no change)."""
        order = self.find(customer, number)
        if order.cancelled_at is not None:
            return order, False
        status = order.latest(now).status
        if status not in CANCELLABLE:
            message = f"order {number} is at status {int(status)} ({STATUS_MESSAGES[status]}): cannot cancel"
            raise VnpostError(VnpostCode.NOT_CANCELLABLE, message)
        order.cancelled_at = now
        return order, True

    def page(self, customer: str, page_size: int, last_id: int) -> tuple[list[Order], int]:
        """Up to `page_size` of the customer's orders with an id above `last_id`, and their total count.
        The orders are in posting order, so their ids grow: the page starts where bisection puts `last_id`."""
        orders = self._by_customer.get(customer, [])
        start = bisect_right(orders, last_id, key=attrgetter("id"))
        return orders[start : start + page_size], len(orders)
