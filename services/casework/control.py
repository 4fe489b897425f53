"""The control routes the agency mocks share: the simulated clock (`GET /_control/clock`,
`POST /_control/clock {speed}`, `POST /_control/clock/advance {hours}`, `POST /_control/clock/jump
{now}` to follow another clock; the one-stop mock's own are alike) and the counters of effects
(`GET /_control/effects`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.clock import MAX_ADVANCE_HOURS, SimulatedClock


class ClockState(BaseModel):
    """The simulated clock: now (Vietnam time) and speed."""

    now: str
    speed: float


class ClockSpeed(BaseModel):
    """Run the simulated clock at `speed` × real time."""

    model_config = ConfigDict(extra="forbid")

    speed: float = Field(gt=0, le=1_000_000)


class ClockJump(BaseModel):
    """Jump the simulated clock forward to `now` (e.g. the bus's simulated time)."""

    model_config = ConfigDict(extra="forbid")

    now: AwareDatetime


class ClockAdvance(BaseModel):
    """Fast-forward the simulated clock by `hours`."""

    model_config = ConfigDict(extra="forbid")

    hours: float = Field(gt=0, le=MAX_ADVANCE_HOURS)


def clock_router(clock: SimulatedClock, on_change: Callable[[], None] | None = None) -> APIRouter:
    """Routes that show, speed up and fast-forward `clock`; `on_change` runs after a jump or an advance
    (a mock that reports what the time passed changed, at once)."""
    router = APIRouter(prefix="/_control/clock", tags=["control"])

    def changed() -> ClockState:
        if on_change is not None:
            on_change()
        return state()

    def state() -> ClockState:
        return ClockState(now=clock.now_datetime().isoformat(timespec="seconds"), speed=clock.speed)

    @router.get("")
    async def show_clock() -> ClockState:
        """The simulated time and speed."""
        return state()

    @router.post("")
    async def set_clock_speed(speed: ClockSpeed) -> ClockState:
        """Run the simulated clock at `speed` × real time from now on."""
        clock.set_speed(speed.speed)
        return state()

    @router.post("/jump", response_model=ClockState, responses={409: {"description": "a time in the past"}})
    async def jump_clock(jump: ClockJump) -> ClockState | JSONResponse:
        """Jump forward to a given time, to follow another simulated clock; never backwards (409)."""
        try:
            clock.jump_to(jump.now.timestamp())
        except ValueError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return changed()

    @router.post("/advance")
    async def advance_clock(advance: ClockAdvance) -> ClockState:
        """Fast-forward the simulated clock; cases move on as their steps' times pass."""
        clock.advance(advance.hours)
        return changed()

    return router


def effects_router(effects: BaseModel) -> APIRouter:
    """`GET /_control/effects`: the mock's counters of effects taken (updated in place by the mock)."""
    router = APIRouter(prefix="/_control", tags=["control"])

    @router.get("/effects", response_model=type(effects))
    async def show_effects() -> Any:
        """Dossiers taken into account since the start (a replayed request counts once)."""
        return effects

    return router
