"""Journey ticks: the messages that make a worker look at a journey, now or after a durable delay.

A tick names a journey and, optionally, the timer it fires or the event that arrived. Timers are
delayed messages held by the broker (`Transport.publish_delayed`), never sleeping tasks: a simulated
instant is turned into wall seconds by the clock; a clock the wall does not move (a manual one, in
tests) gets a tick every `timer_recheck_seconds` that finds the timer not yet due and arms it again.
"""

from __future__ import annotations

import time

from pydantic import BaseModel

from bus.envelope import new_id
from bus.flows.clock import Clock
from bus.flows.journey_state import TimerRecord
from bus.reliability.backoff import bucketed_hold
from bus.transport.base import Message, Transport


class JourneyTick(BaseModel):
    """Look at journey `journey_id`: fire `timer`, or take the event `event_type`/`event_key` for `step`."""

    journey_id: str
    timer: str | None = None
    step: str | None = None
    event_type: str | None = None
    event_key: str | None = None


def tick_message(tick: JourneyTick) -> Message:
    """The transport message carrying `tick`."""
    return Message(body=tick.model_dump_json().encode(), message_id=new_id(), correlation_id=tick.journey_id)


def decode_tick(message: Message) -> JourneyTick:
    """The tick a message carries; pydantic's ValidationError when it is not one."""
    return JourneyTick.model_validate_json(message.body)


def is_due(timer: TimerRecord, clock: Clock) -> bool:
    """Whether the timer's instant (simulated or wall) has come."""
    if timer.due_at is not None:
        return clock.now() >= timer.due_at
    return timer.wall_due is None or time.time() >= timer.wall_due


class TickPublisher:
    """Publishes ticks on the journey queue, now or when a timer falls due."""

    def __init__(self, transport: Transport, queue: str, clock: Clock, *, recheck_seconds: float) -> None:
        self.transport = transport
        self.queue = queue
        self.clock = clock
        self.recheck_seconds = recheck_seconds

    async def now(self, tick: JourneyTick) -> None:
        """Publish `tick` at once."""
        await self.transport.publish(self.queue, tick_message(tick))

    async def after(self, tick: JourneyTick, seconds: float) -> None:
        """Publish `tick` after `seconds` of wall time (broker-held)."""
        await self.transport.publish_delayed(self.queue, tick_message(tick), max(0.0, seconds))

    async def arm(self, journey_id: str, timer: TimerRecord) -> None:
        """Publish the tick that fires `timer` when it falls due (or looks again, on a manual clock).

        The broker holds it for the largest delay bucket within the wait: a tick that comes early finds the
        timer not yet due and arms it again for the rest, where one rounded up to the next bucket would
        fire it up to two thirds of the wait late (a working day, on a clock of 1 s a day)."""
        if timer.due_at is not None:
            wait = self.clock.wall_seconds_until(timer.due_at)
            seconds = self.recheck_seconds if wait is None else wait
        else:
            seconds = (timer.wall_due or 0.0) - time.time()
        hold = bucketed_hold(max(0.0, seconds))
        await self.after(JourneyTick(journey_id=journey_id, timer=timer.timer_id), hold)
