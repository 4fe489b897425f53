"""Locust load shapes: a LoadTestShape that follows the stages of loadtests/schedules.py.

Each simulated user runs at most `user_rate` scenarios per second (constant_throughput), so the shape
turns a target rate into a user count.
"""

from __future__ import annotations

import math
from typing import Any

from locust import LoadTestShape

from loadtests.schedules import STEP_LEVELS, Stage, build, stage_at


class ScheduledShape(LoadTestShape):
    """Follows the schedule chosen with --lgsp-shape (steady, step, workday, spike)."""

    use_common_options = False

    def _stages(self) -> tuple[list[Stage], float]:
        cached: tuple[list[Stage], float] | None = getattr(self, "_cached", None)
        if cached is None:
            assert self.runner is not None
            options: Any = self.runner.environment.parsed_options
            levels = (
                tuple(float(x) for x in options.lgsp_levels.split(","))
                if options.lgsp_levels
                else STEP_LEVELS
            )
            stages = build(options.lgsp_shape, options.lgsp_rate, options.lgsp_seconds, levels)
            cached = (stages, options.lgsp_user_rate)
            self._cached = cached
        return cached

    def tick(self) -> tuple[int, float] | None:
        """Users and spawn rate for now; None ends the test."""
        stages, user_rate = self._stages()
        stage = stage_at(stages, self.get_run_time())  # type: ignore[no-untyped-call]
        if stage is None:
            return None
        users = max(1, math.ceil(stage.rate / user_rate))
        return users, max(10.0, users / 2)
