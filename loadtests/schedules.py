"""Load schedules as plain data: stages of a target rate (tx/s) over time. No Locust import.

The Locust shapes (loadtests/shapes.py) follow these stages; the capacity report uses the same stages to
judge each one, leaving out warm-up and the settling seconds at the start of every stage.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP_LEVELS = (1.0, 5.0, 10.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
# Working day 08:00-17:00 in half hours: morning rush, lunch dip (11:30-13:00), afternoon.
DAY_PROFILE = (0.6, 0.9, 1.0, 1.0, 1.0, 0.9, 0.8, 0.35, 0.3, 0.45, 0.9, 1.0, 1.0, 0.95, 0.9, 0.8, 0.6, 0.4)
MONDAY_MORNING_PEAK = 2.5  # the first two hours of a Monday
MONTH_END_PEAK = 2.0  # dossiers and fees rushed before the month closes
SHAPES = ("steady", "step", "workday", "spike")


@dataclass(frozen=True)
class Stage:
    """Hold `rate` tx/s from `start` to `end` (seconds since the run began); `measured` stages are judged."""

    start: float
    end: float
    rate: float
    label: str
    measured: bool = True

    @property
    def judged_from(self) -> float:
        """Where judging starts: after the users of this stage have had time to spawn and settle."""
        return self.start + min(5.0, (self.end - self.start) / 4)


def steady(rate: float, seconds: float, warmup: float = 5.0, unit: str = "tx/s") -> list[Stage]:
    """One rate held for `seconds` after a warm-up at the same rate."""
    return [
        Stage(0, warmup, rate, "warm-up", False),
        Stage(warmup, warmup + seconds, rate, f"{rate:g} {unit}"),
    ]


def step(
    levels: tuple[float, ...] = STEP_LEVELS, hold: float = 30.0, warmup: float = 10.0, unit: str = "tx/s"
) -> list[Stage]:
    """Warm-up at the first level, then each level held for `hold` seconds."""
    stages = [Stage(0, warmup, levels[0], "warm-up", False)]
    for level in levels:
        start = stages[-1].end
        stages.append(Stage(start, start + hold, level, f"{level:g} {unit}"))
    return stages


def workday(base_rate: float, day_seconds: float = 180.0, warmup: float = 5.0) -> list[Stage]:
    """A warm-up at `base_rate`, then three compressed working days: a Monday, an ordinary day, a
    month-end day; one stage per half hour."""
    stages = [Stage(0, warmup, base_rate, "warm-up", False)]
    slot = day_seconds / len(DAY_PROFILE)
    for day in ("Monday", "ordinary day", "month-end"):
        for index, factor in enumerate(DAY_PROFILE):
            if day == "Monday" and index < 4:
                factor *= MONDAY_MORNING_PEAK
            if day == "month-end":
                factor *= MONTH_END_PEAK
            start = stages[-1].end
            clock = f"{8 + index // 2:02d}:{30 * (index % 2):02d}"
            stages.append(Stage(start, start + slot, round(base_rate * factor, 2), f"{day} {clock}"))
    return stages


def spike(base_rate: float, factor: float = 10.0, seconds: float = 20.0, warmup: float = 5.0) -> list[Stage]:
    """A warm-up, baseline, a sudden spike of `factor` × baseline, then baseline again to watch recovery."""
    return [
        Stage(0, warmup, base_rate, "warm-up", False),
        Stage(warmup, warmup + seconds, base_rate, "before"),
        Stage(warmup + seconds, warmup + 2 * seconds, base_rate * factor, "spike"),
        Stage(warmup + 2 * seconds, warmup + 3 * seconds, base_rate, "after"),
    ]


def build(
    shape: str, rate: float, seconds: float, levels: tuple[float, ...] = STEP_LEVELS, unit: str = "tx/s"
) -> list[Stage]:
    """The stages of a named shape; `rate` is the steady/base rate, `seconds` the hold/day/spike length,
    `unit` what a rate counts in the labels of the steady and step stages."""
    if shape == "steady":
        return steady(rate, seconds, unit=unit)
    if shape == "step":
        return step(levels, hold=seconds, unit=unit)
    if shape == "workday":
        return workday(rate, day_seconds=seconds)
    if shape == "spike":
        return spike(rate, seconds=seconds)
    raise ValueError(f"unknown shape {shape!r}: choose one of {', '.join(SHAPES)}")


def stage_at(stages: list[Stage], elapsed: float) -> Stage | None:
    """The stage running `elapsed` seconds into the run, None once the schedule is over."""
    for stage in stages:
        if stage.start <= elapsed < stage.end:
            return stage
    return None
