"""Journey timers on a bucketed broker: the tick is held no longer than the wait, so it never fires late."""

from __future__ import annotations

from datetime import datetime, timedelta

from bus.flows.compressed_clock import CompressedClock, UniformPace
from bus.flows.journey_state import TimerRecord
from bus.flows.journey_ticks import TickPublisher
from bus.reliability.backoff import delay_bucket_ms
from bus.transport.base import Message
from bus.transport.memory import MemoryTransport
from vn_calendar import VIETNAM_TZ


class HeldDelays(MemoryTransport):
    """The memory transport, noting every delay it is asked to hold a message for."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: list[float] = []

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        self.delays.append(delay)


async def test_a_timer_is_held_for_the_largest_bucket_within_its_wait_never_one_past_it() -> None:
    start = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM_TZ)
    clock = CompressedClock(UniformPace(3600.0), sim_epoch=start)  # a simulated hour a wall second
    transport = HeldDelays()
    ticks = TickPublisher(transport, "journeys", clock, recheck_seconds=0.05)
    for hours in (2.2, 0.125, 4.0):
        due = clock.now() + timedelta(hours=hours)
        await ticks.arm("J1", TimerRecord(timer_id=f"t{hours}", step="poll", purpose="poll", due_at=due))
    wait = [2.2, 0.125, 4.0]
    assert all(held <= seconds for held, seconds in zip(transport.delays, wait, strict=True))
    assert transport.delays[0] >= 1.5 and transport.delays[2] >= 3.0  # close to the wait, not a recheck
    assert all(delay_bucket_ms(held) == round(held * 1000) for held in transport.delays)  # not rounded up
