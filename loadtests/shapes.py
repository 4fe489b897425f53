"""Locust load shapes: a LoadTestShape that follows the stages of loadtests/schedules.py.

Each simulated user runs at most `user_rate` scenarios per second (constant_throughput), so the shape
turns a target rate into a user count.
"""

from __future__ import annotations

import math
from typing import Any

from locust import LoadTestShape

from loadtests.ceiling import CeilingWatch, Counters
from loadtests.recorder import DIRECT_PREFIX
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

    def _watch(self) -> CeilingWatch | None:
        """With --lgsp-until-slo-breaks, the watch that ends the run at the first stage missing the SLO."""
        if not hasattr(self, "_ceiling"):
            assert self.runner is not None
            options: Any = self.runner.environment.parsed_options
            until = getattr(options, "lgsp_until_slo_breaks", False)
            self._ceiling = CeilingWatch(options.slo_p99_ms, options.slo_error_rate) if until else None
        return self._ceiling

    def _counters(self) -> Counters:
        """Bus requests so far (direct calls left out), as the master has merged them."""
        assert self.runner is not None
        requests = failures = 0
        histogram: dict[int, int] = {}
        for entry in self.runner.stats.entries.values():
            if entry.name.startswith(DIRECT_PREFIX):
                continue
            requests += entry.num_requests
            failures += entry.num_failures
            for ms, count in entry.response_times.items():
                histogram[ms] = histogram.get(ms, 0) + count
        return Counters(requests, failures, histogram)

    def tick(self) -> tuple[int, float] | None:
        """Users and spawn rate for now; None ends the test."""
        stages, user_rate = self._stages()
        elapsed = self.get_run_time()  # type: ignore[no-untyped-call]
        stage = stage_at(stages, elapsed)
        watch = self._watch()
        if watch is not None and watch.should_stop(stage, elapsed, self._counters):
            return None
        if stage is None:
            return None
        users = max(1, math.ceil(stage.rate / user_rate))
        return users, max(10.0, users / 2)
