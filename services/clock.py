"""The simulated clock the mocks run on (parcels move, dossiers are processed): real time × speed, plus
whatever a demo fast-forwarded."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

VIETNAM_TIME = timezone(timedelta(hours=7))
MAX_ADVANCE_HOURS = 24 * 366


class SimulatedClock:
    """Simulated epoch seconds; changing the speed keeps the current simulated time continuous."""

    def __init__(
        self, speed: float = 1.0, start: float | None = None, real: Callable[[], float] = time.time
    ) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._real = real
        self._speed = speed
        self._anchor_real = real()
        self._anchor_simulated = self._anchor_real if start is None else start

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def now(self) -> float:
        """The simulated time, as epoch seconds."""
        return self._anchor_simulated + (self._real() - self._anchor_real) * self._speed

    def now_datetime(self) -> datetime:
        """The simulated time in Vietnam."""
        return datetime.fromtimestamp(self.now(), VIETNAM_TIME)

    def set_speed(self, speed: float) -> None:
        """Run at `speed` from now on."""
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._anchor_simulated = self.now()
        self._anchor_real = self._real()
        self._speed = speed

    def jump_to(self, moment: float) -> None:
        """Jump forward to simulated epoch seconds `moment` (to follow another clock); never backwards."""
        now = self.now()
        if moment < now:
            raise ValueError(f"the clock never runs backwards: {moment} is before now ({now:.0f})")
        if moment - now > MAX_ADVANCE_HOURS * 3600:
            raise ValueError(f"a jump may not exceed {MAX_ADVANCE_HOURS} hours")
        self._anchor_simulated += moment - now

    def advance(self, hours: float) -> None:
        """Jump forward; the clock never runs backwards."""
        if not 0 < hours <= MAX_ADVANCE_HOURS:
            raise ValueError(f"hours must be in (0, {MAX_ADVANCE_HOURS}], got {hours}")
        self._anchor_simulated += hours * 3600
