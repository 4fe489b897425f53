"""What a mock national system should do wrong: the fault profile and its latency distribution."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# z-score of the 99th percentile of a standard normal: sigma = ln(p99 / p50) / Z99.
Z99 = 2.326
_STANDARD_NORMAL = NormalDist()
# random.random() may return 0.0, whose normal quantile is -inf.
_SMALLEST_U = 1e-12


class Latency(BaseModel):
    """Delay added before the handler: none, fixed (ms) or log-normal (p50_ms, p99_ms); capped by max_ms."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    kind: Literal["none", "fixed", "lognormal"] = "none"
    ms: float | None = Field(default=None, ge=0)
    p50_ms: float | None = Field(default=None, gt=0)
    p99_ms: float | None = Field(default=None, gt=0)
    max_ms: float = Field(default=30_000.0, ge=0)

    @model_validator(mode="after")
    def _parameters_match_kind(self) -> Self:
        if self.kind == "fixed" and self.ms is None:
            raise ValueError("fixed latency needs ms")
        if self.kind == "lognormal":
            if self.p50_ms is None or self.p99_ms is None:
                raise ValueError("lognormal latency needs p50_ms and p99_ms")
            if self.p99_ms < self.p50_ms:
                raise ValueError(f"p99_ms ({self.p99_ms}) must not be below p50_ms ({self.p50_ms})")
        return self

    @classmethod
    def fixed(cls, ms: float, max_ms: float = 30_000.0) -> Latency:
        """A constant delay of `ms` milliseconds."""
        return cls(kind="fixed", ms=float(ms), max_ms=float(max_ms))

    @classmethod
    def lognormal(cls, p50_ms: float, p99_ms: float, max_ms: float = 30_000.0) -> Latency:
        """A log-normal delay with the given median and 99th percentile in milliseconds."""
        return cls(kind="lognormal", p50_ms=float(p50_ms), p99_ms=float(p99_ms), max_ms=float(max_ms))

    @classmethod
    def from_spec(cls, spec: str) -> Latency:
        """Parse `none`, `fixed:MS` or `lognormal:P50:P99` (milliseconds); ValueError says what is wrong."""
        kind, _, rest = spec.strip().partition(":")
        parameters = {"none": [], "fixed": ["ms"], "lognormal": ["p50_ms", "p99_ms"]}
        usage = {
            "none": "none takes no parameters",
            "fixed": "fixed needs MS in ms",
            "lognormal": "lognormal needs P50:P99 in ms",
        }
        if kind not in usage:
            raise ValueError(f"latency must be none, fixed:MS or lognormal:P50:P99 (ms), got {spec!r}")
        try:
            numbers = [float(part) for part in rest.split(":")] if rest else []
            fields = dict(zip(parameters[kind], numbers, strict=True))
        except ValueError:
            raise ValueError(f"{usage[kind]}, got {spec!r}") from None
        try:
            return cls.model_validate({"kind": kind, **fields})
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise ValueError(f"bad latency {spec!r}: {reason}") from None

    @property
    def mu(self) -> float:
        """Mean of ln(delay) for the log-normal kind: ln(p50)."""
        return math.log(self.p50_ms or 1.0)

    @property
    def sigma(self) -> float:
        """Standard deviation of ln(delay) for the log-normal kind: ln(p99/p50)/2.326."""
        return math.log((self.p99_ms or 1.0) / (self.p50_ms or 1.0)) / Z99

    def delay_ms(self, u: float) -> float:
        """The delay for one uniform draw `u` in [0, 1), by inverse CDF so one draw is one sample."""
        if self.kind == "none":
            return 0.0
        if self.kind == "fixed":
            return min(self.ms or 0.0, self.max_ms)
        z = _STANDARD_NORMAL.inv_cdf(min(max(u, _SMALLEST_U), 1.0 - _SMALLEST_U))
        return min(math.exp(self.mu + self.sigma * z), self.max_ms)


class FaultProfile(BaseModel):
    """Every fault a mock can inject, with its rate; the all-defaults profile injects nothing."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    latency: Latency = Latency()
    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_status: int = 503
    soap_fault: bool = False
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    hang_seconds: float = Field(default=300.0, gt=0, le=3600)
    outage: bool = False
    malformed_rate: float = Field(default=0.0, ge=0, le=1)
    lost_callback_rate: float = Field(default=0.0, ge=0, le=1)
    rate_limit_per_second: float | None = Field(default=None, gt=0)
    seed: int = 0

    @field_validator("error_status")
    @classmethod
    def _status_is_an_error(cls, status: int) -> int:
        if not 400 <= status <= 599:
            raise ValueError(f"error_status must be a 4xx or 5xx HTTP status, got {status}")
        return status


class FaultState(BaseModel):
    """What the control API answers: the mock's name, its profile in force and the injection counters."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str
    profile: FaultProfile
    stats: dict[str, int]
