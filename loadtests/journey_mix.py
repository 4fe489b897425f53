"""How many journeys a second stand for Hải Phòng's dossiers, and their split by procedure.

Pure arithmetic, unit-tested, no Locust. Hải Phòng received 956,000 online dossiers in 2023 (90.7 % of
all its dossiers, the city's published figure). The split by procedure is an ASSUMPTION, not a published
figure:

- birth (interconnected): Hải Phòng's ≈ 2.1 M people × a crude birth rate of ≈ 14 ‰ (GSO, 2023)
  ≈ 29 k births a year, all assumed filed online through the interconnected service: ≈ 3 %;
- death (interconnected): ≈ 2.1 M × a crude death rate of ≈ 6.5 ‰ ≈ 14 k a year: ≈ 1.5 %;
- lltp (judicial-record certificates): no published provincial count; assumed ≈ 4 %;
- dossier (ordinary dossier with a fee and postal return): the rest, 91.5 %.

Override it with `--journey-split birth=3,death=1.5,…` (shares are normalised). Rates reuse the capacity
plan's model (loadtests/sizing.py): the year's volume over its working days, the share of a day's
dossiers falling in working hours, and a peak factor over the working-hours mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loadtests.sizing import Assumptions, Volume, peak_tx_s

HAI_PHONG_2023_DOSSIERS = 956_000
HAI_PHONG_SPLIT: dict[str, float] = {"dossier": 0.915, "lltp": 0.04, "birth": 0.03, "death": 0.015}
SPLIT_SOURCE = (
    "assumed split of Hải Phòng's 956 k online dossiers (2023): births ≈ 2.1 M people × 14 ‰, "
    "deaths × 6.5 ‰, judicial-record certificates 4 %, ordinary dossiers the rest"
)


class BadSplit(ValueError):
    """A split that is not `kind=share,…` with known kinds and non-negative shares summing above 0."""


def parse_split(text: str, kinds: tuple[str, ...] = tuple(HAI_PHONG_SPLIT)) -> dict[str, float]:
    """`birth=3,death=1.5` → shares normalised to 1 (kinds left out get 0); BadSplit says what is wrong."""
    shares: dict[str, float] = dict.fromkeys(kinds, 0.0)
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kind, sep, number = part.partition("=")
        kind = kind.strip()
        if not sep or kind not in shares:
            raise BadSplit(f"{part!r}: write kind=share with a kind among {', '.join(kinds)}")
        try:
            share = float(number)
        except ValueError:
            raise BadSplit(f"{part!r}: the share is not a number") from None
        if share < 0 or share != share:
            raise BadSplit(f"{part!r}: a share is a number ≥ 0")
        shares[kind] = share
    total = sum(shares.values())
    if total <= 0:
        raise BadSplit(f"{text!r}: give at least one kind a share above 0")
    return {kind: share / total for kind, share in shares.items()}


def format_split(split: dict[str, float]) -> str:
    """`dossier 91.5 %, lltp 4 %, …` (kinds with a share only)."""
    return ", ".join(f"{kind} {100 * share:.3g} %" for kind, share in split.items() if share > 0)


@dataclass(frozen=True)
class JourneyCalibration:
    """Journeys a second standing for `dossiers_per_year`, split by procedure."""

    split: dict[str, float]
    dossiers_per_year: float = HAI_PHONG_2023_DOSSIERS
    assumptions: Assumptions = field(default_factory=Assumptions)

    def rates(self, kinds: tuple[str, ...] | None = None) -> tuple[float, float]:
        """(mean in working hours, peak) journeys per second of `kinds` (default: all of the split)."""
        share = sum(s for kind, s in self.split.items() if kinds is None or kind in kinds)
        mean, peak = peak_tx_s(Volume(self.dossiers_per_year * share, "year"), self.assumptions)
        return mean, peak

    def multiple(self, journeys_per_second: float, kinds: tuple[str, ...] | None = None) -> float:
        """How many times the peak of `kinds` a rate of journeys per second is."""
        _, peak = self.rates(kinds)
        return journeys_per_second / peak if peak > 0 else 0.0

    def line(self, kinds: tuple[str, ...] | None = None) -> str:
        """The calibration in one line, for the report and the printed summary."""
        mean, peak = self.rates(kinds)
        which = "all procedures" if kinds is None else "+".join(kinds)
        a = self.assumptions
        return (
            f"calibration: {self.dossiers_per_year:,.0f} dossiers/year ({format_split(self.split)}); "
            f"{which}: {3600 * mean:,.1f} journeys/h on average in working hours "
            f"({a.working_days:g} days × {a.working_hours:g} h carrying {100 * a.working_hours_share:g} %), "
            f"{3600 * peak:,.1f}/h at a ×{a.peak_factor:g} peak"
        )
