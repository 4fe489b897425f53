"""The capacity verdict: which stages met the SLO, the sustained rate, and what it means per year.

Pure arithmetic, unit-tested: p99 within a bound and errors within a ratio (0.1 % by default).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

SECONDS_PER_YEAR = 365 * 24 * 3600
HAI_PHONG_2023_TX = 50_000_000  # Hải Phòng's LGSP in 2023: over 50 million (its published figure)
# Below this many requests a stage's "p99" is just its slowest request: the verdict says so.
FEW_REQUESTS = 100


class Slo(BaseModel):
    """The service level a stage must meet to count as sustained."""

    p99_ms: float = Field(1000.0, gt=0)
    max_error_ratio: float = Field(0.001, ge=0, le=1)


class StageFigures(BaseModel):
    """What one stage achieved, over its judged window."""

    label: str
    target_tx_s: float
    seconds: float
    requests: int
    failures: int
    achieved_tx_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def error_ratio(self) -> float:
        """Failures per request (0 when there were none)."""
        return self.failures / self.requests if self.requests else 0.0

    def meets(self, slo: Slo) -> bool:
        """True when the stage carried traffic within the SLO's p99 and error bounds."""
        return self.requests > 0 and self.p99_ms <= slo.p99_ms and self.error_ratio <= slo.max_error_ratio


class Verdict(BaseModel):
    """The sustained rate at SLO and its yearly meaning; `passed` when it reaches the required rate."""

    slo: Slo
    sustained_tx_s: float
    sustained_stage: str | None
    sustained_requests: int = 0
    sustained_seconds: float = 0.0
    tx_per_year: float
    hai_phong_multiple: float
    required_tx_s: float
    passed: bool

    def line(self) -> str:
        """The one-line verdict."""
        mark = "PASS" if self.passed else "FAIL"
        where = (
            f" (stage {self.sustained_stage}: {self.sustained_requests} requests "
            f"in {self.sustained_seconds:g} s)"
            if self.sustained_stage
            else ""
        )
        caveat = (
            f"; only {self.sustained_requests} requests judged, so its p99 is their slowest: "
            "lengthen --seconds"
            if self.sustained_stage and self.sustained_requests < FEW_REQUESTS
            else ""
        )
        return (
            f"{mark}: sustained {self.sustained_tx_s:,.1f} tx/s at SLO "
            f"(p99 ≤ {self.slo.p99_ms:g} ms, errors ≤ {100 * self.slo.max_error_ratio:g} %){where} = "
            f"{self.tx_per_year / 1e6:,.0f} M tx/year = "
            f"{self.hai_phong_multiple:,.1f}× Hải Phòng 2023 (50 M); "
            f"required {self.required_tx_s:g} tx/s{caveat}"
        )


def judge(stages: list[StageFigures], slo: Slo, required_tx_s: float) -> Verdict:
    """The best achieved rate among stages meeting the SLO (0 when none does), as a verdict."""
    passing = [s for s in stages if s.meets(slo)]
    best = max(passing, key=lambda s: s.achieved_tx_s, default=None)
    sustained = best.achieved_tx_s if best else 0.0
    per_year = sustained * SECONDS_PER_YEAR
    return Verdict(
        slo=slo,
        sustained_tx_s=sustained,
        sustained_stage=best.label if best else None,
        sustained_requests=best.requests if best else 0,
        sustained_seconds=best.seconds if best else 0.0,
        tx_per_year=per_year,
        hai_phong_multiple=per_year / HAI_PHONG_2023_TX,
        required_tx_s=required_tx_s,
        passed=best is not None and sustained >= required_tx_s,
    )
