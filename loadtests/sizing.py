"""Sizing from measured costs: how many cores of gateway, worker, broker and Redis a volume needs.

Pure arithmetic, unit-tested, no I/O. The model, every input printed with the plan:

    transactions per working day  = volume per year ÷ working days   (or a volume given per day)
    mean rate in working hours    = per day × share in working hours ÷ (working hours × 3,600 s)
    peak rate                     = mean rate × peak factor
    busy cores of a component     = peak rate × its CPU-µs per transaction ÷ 1,000,000
    cores to provision            = busy cores ÷ target utilisation × (1 + headroom), rounded up
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

COMPONENTS = ("gateway", "worker", "broker", "redis")
_MULTIPLIERS = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}
_PERIODS = {"": "year", "y": "year", "yr": "year", "year": "year", "d": "day", "day": "day"}
_VOLUME = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kmbg]?)\s*(?:/\s*([a-z]+))?\s*$", re.IGNORECASE)


class BadVolume(ValueError):
    """A volume that is not a number with an optional k/M/B suffix and an optional /year or /day."""


@dataclass(frozen=True)
class Volume:
    """A number of transactions over a period (a year, or one working day)."""

    transactions: float
    period: str  # "year" or "day"

    def __str__(self) -> str:
        return f"{self.transactions / 1e6:,.3g} M transactions a {self.period}"


def parse_volume(text: str) -> Volume:
    """`50M`, `50M/year`, `1.6M/day`, `21M/day`, `120k/d`, `50000000` → a Volume (bare numbers: a year)."""
    match = _VOLUME.match(text)
    if match is None:
        raise BadVolume(f"{text!r} is not a volume: write e.g. 50M, 50M/year, 1.6M/day or 120k/day")
    number, suffix, period = match.groups()
    unit = _PERIODS.get((period or "").lower())
    if unit is None:
        raise BadVolume(f"{text!r}: the period must be /year or /day, not /{period}")
    transactions = float(number.replace("_", "").replace(",", "")) * _MULTIPLIERS[suffix.lower()]
    if transactions <= 0:
        raise BadVolume(f"{text!r}: a volume must be more than zero")
    return Volume(transactions, unit)


@dataclass(frozen=True)
class Assumptions:
    """The inputs of the model that are not measured: each is printed with the plan."""

    peak_factor: float = 3.0  # peak over the working-hours mean (a Monday morning, a month end)
    working_days: float = 250.0  # days a year that carry the traffic
    working_hours: float = 9.0  # hours a working day that carry it (08:00-17:00)
    working_hours_share: float = 0.9  # share of a day's transactions falling in those hours
    target_utilisation: float = 0.6  # busy share of a core at the peak
    headroom: float = 0.25  # spare on top: growth, a lost node, noisy neighbours

    def __post_init__(self) -> None:
        checks = {
            "peak factor ≥ 1": self.peak_factor >= 1,
            "working days in 1..366": 1 <= self.working_days <= 366,
            "working hours in (0, 24]": 0 < self.working_hours <= 24,
            "working-hours share in (0, 1]": 0 < self.working_hours_share <= 1,
            "target utilisation in (0, 1]": 0 < self.target_utilisation <= 1,
            "headroom ≥ 0": self.headroom >= 0,
        }
        broken = [rule for rule, holds in checks.items() if not holds]
        if broken:
            raise ValueError(f"assumptions out of range: {', '.join(broken)}")

    def lines(self) -> list[str]:
        """The assumptions, one readable line each."""
        return [
            f"peak factor {self.peak_factor:g} × the working-hours mean",
            f"{self.working_days:g} working days a year, {self.working_hours:g} working hours a day carrying "
            f"{100 * self.working_hours_share:g} % of the day's transactions",
            f"cores busy at most {100 * self.target_utilisation:g} % at the peak, "
            f"plus {100 * self.headroom:g} % headroom",
        ]


def peak_tx_s(volume: Volume, assumptions: Assumptions) -> tuple[float, float]:
    """(mean rate in working hours, peak rate), transactions per second."""
    per_day = (
        volume.transactions / assumptions.working_days if volume.period == "year" else volume.transactions
    )
    mean = per_day * assumptions.working_hours_share / (assumptions.working_hours * 3600)
    return mean, mean * assumptions.peak_factor


@dataclass(frozen=True)
class ComponentPlan:
    """One component's cost per transaction and the cores it needs (None: its cost was not measured)."""

    component: str
    cpu_us_per_tx: float | None
    busy_cores: float | None
    cores: int | None


@dataclass(frozen=True)
class Plan:
    """The answer for one volume: rates, then cores per component."""

    volume: Volume
    mean_tx_s: float
    peak_tx_s: float
    components: list[ComponentPlan]
    assumptions: Assumptions

    @property
    def total_cores(self) -> int:
        """Cores of every measured component, each on cores of its own."""
        return sum(c.cores or 0 for c in self.components)

    @property
    def shared_cores(self) -> int:
        """Cores of every measured component sharing machines (each rounded up only once, together)."""
        busy = sum(c.busy_cores or 0.0 for c in self.components)
        return max(1, math.ceil(self._provisioned(busy) - 1e-9))

    def _provisioned(self, busy: float) -> float:
        return busy / self.assumptions.target_utilisation * (1 + self.assumptions.headroom)


def plan(volume: Volume, costs: dict[str, float | None], assumptions: Assumptions) -> Plan:
    """Cores per component for `volume`, from CPU-µs per transaction by component (None: unmeasured)."""
    unknown = set(costs) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown component(s) {sorted(unknown)}; expected some of {COMPONENTS}")
    mean, peak = peak_tx_s(volume, assumptions)
    rows = []
    for component in COMPONENTS:
        cost = costs.get(component)
        if cost is None:
            rows.append(ComponentPlan(component, None, None, None))
            continue
        busy = peak * cost / 1e6
        needed = busy / assumptions.target_utilisation * (1 + assumptions.headroom)
        rows.append(ComponentPlan(component, cost, busy, max(1, math.ceil(needed - 1e-9))))
    return Plan(volume, mean, peak, rows, assumptions)
