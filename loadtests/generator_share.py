"""How much of the machine the load generator took: Locust's CPU seconds over wall time × cores.

Past about a quarter of the machine the generator competes with the stack it measures (on a 2-core
machine, a Locust process at 50 % of it leaves one core to the bus), so the report warns.
"""

from __future__ import annotations

from dataclasses import dataclass

WARN_SHARE = 0.25


@dataclass(frozen=True)
class GeneratorShare:
    """CPU seconds of every Locust process (master and workers) during a run of `wall_s` seconds."""

    processes: int
    cpu_s: float
    wall_s: float
    cores: int

    @property
    def share(self) -> float:
        """Fraction of the whole machine (all cores) the generator used."""
        return self.cpu_s / (self.wall_s * self.cores) if self.wall_s > 0 else 0.0

    @property
    def too_much(self) -> bool:
        """True when the generator took more than a quarter of the machine."""
        return self.share > WARN_SHARE

    def line(self) -> str:
        """One line for the report, with the warning when it applies."""
        text = (
            f"generator: {self.processes} Locust process{'es' if self.processes > 1 else ''} used "
            f"{self.cpu_s:,.1f} CPU-s in {self.wall_s:,.0f} s = {100 * self.share:.0f} % of this machine "
            f"({self.cores} cores)"
        )
        if self.too_much:
            text += (
                f"; WARNING: more than {100 * WARN_SHARE:.0f} % of the machine, so the stack had less than "
                "the rest and the verdict may measure the generator: run Locust on another machine"
            )
        return text

    def as_dict(self) -> dict[str, float | int | bool]:
        """The figures for figures.json."""
        return {
            "processes": self.processes, "cpu_s": round(self.cpu_s, 2), "wall_s": round(self.wall_s, 2),
            "cores": self.cores, "share": round(self.share, 4), "warning": self.too_much,
        }  # fmt: skip
