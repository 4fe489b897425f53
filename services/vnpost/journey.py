"""A parcel's journey, derived from (seed, order, acceptance time) alone: no loop moves parcels.

1 accepted ─(2–24 h)→ 2 in transit ─(12–48 h)→ 3 out for delivery ─(1–6 h)→ 4 delivered
                                                    │ failed_attempt_rate: 5 failed attempt, next day 3 → 4
                                                    │ return_rate: 5, next day 3 → 5, then 6 returned
7 cancelled (this mock's code) cuts the journey while it is still at 1 or 2.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum

HOUR = 3600.0


class TrackingStatus(IntEnum):
    """StatusCode of a tracking event."""

    ACCEPTED = 1
    IN_TRANSIT = 2
    OUT_FOR_DELIVERY = 3
    DELIVERED = 4
    FAILED_ATTEMPT = 5
    RETURNED = 6
    CANCELLED = 7


STATUS_MESSAGES: dict[TrackingStatus, str] = {
    TrackingStatus.ACCEPTED: "Bưu cục đã nhận bưu gửi",
    TrackingStatus.IN_TRANSIT: "Đang vận chuyển",
    TrackingStatus.OUT_FOR_DELIVERY: "Đang phát",
    TrackingStatus.DELIVERED: "Phát thành công",
    TrackingStatus.FAILED_ATTEMPT: "Phát không thành công",
    TrackingStatus.RETURNED: "Đã chuyển hoàn",
    TrackingStatus.CANCELLED: "Đã hủy",
}

CANCELLABLE = frozenset({TrackingStatus.ACCEPTED, TrackingStatus.IN_TRANSIT})

_FAILURE_NOTES = ("Người nhận vắng nhà", "Không liên lạc được người nhận", "Sai địa chỉ người nhận")


@dataclass(frozen=True)
class TrackingEvent:
    """One status change of a parcel, at a simulated time, at a post office (POSID)."""

    status: TrackingStatus
    at: float
    pos_id: str
    notes: str = ""


def plan_journey(
    seed: int, order_key: str, accepted_at: float, failed_attempt_rate: float, return_rate: float
) -> tuple[TrackingEvent, ...]:
    """Every event the parcel will go through; the same inputs give the same journey in any process."""
    rng = random.Random(f"{seed}:{order_key}")
    origin = f"{rng.randrange(100_000, 1_000_000)}"
    destination = f"{rng.randrange(100_000, 1_000_000)}"
    in_transit = accepted_at + rng.uniform(2, 24) * HOUR
    out = in_transit + rng.uniform(12, 48) * HOUR
    events = [
        TrackingEvent(TrackingStatus.ACCEPTED, accepted_at, origin),
        TrackingEvent(TrackingStatus.IN_TRANSIT, in_transit, origin),
        TrackingEvent(TrackingStatus.OUT_FOR_DELIVERY, out, destination),
    ]
    fate = rng.random()
    returned = fate < return_rate
    attempts = 2 if returned else 1 if fate < return_rate + failed_attempt_rate else 0
    at = out
    for attempt in range(attempts):
        at += rng.uniform(1, 6) * HOUR
        events.append(
            TrackingEvent(TrackingStatus.FAILED_ATTEMPT, at, destination, rng.choice(_FAILURE_NOTES))
        )
        at += rng.uniform(18, 26) * HOUR
        if returned and attempt == attempts - 1:
            events.append(TrackingEvent(TrackingStatus.RETURNED, at, origin, "Chuyển hoàn cho người gửi"))
            return tuple(events)
        events.append(TrackingEvent(TrackingStatus.OUT_FOR_DELIVERY, at, destination, "Phát lại"))
    at += rng.uniform(1, 6) * HOUR
    events.append(TrackingEvent(TrackingStatus.DELIVERED, at, destination))
    return tuple(events)


def item_code(seed: int, sequence: int) -> str:
    """A UPU S10 item code (e.g. EB123456785VN): service letters, 8-digit serial, check digit, country."""
    serial = random.Random(f"{seed}:item:{sequence}").randrange(10**8)
    digits = f"{serial:08d}"
    remainder = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    check = {0: 5, 1: 0}.get(remainder, 11 - remainder)
    return f"EB{digits}{check}VN"
