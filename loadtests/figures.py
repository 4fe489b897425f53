"""Figures of a load run from its raw request rows: per stage, over time, per service, errors by type."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loadtests.recorder import DIRECT_PREFIX
from loadtests.schedules import Stage
from loadtests.slo import StageFigures


@dataclass(frozen=True)
class Rows:
    """The raw rows as columns: time (s), name, response ms, ok (0/1), fault type."""

    t: np.ndarray
    name: np.ndarray
    ms: np.ndarray
    ok: np.ndarray
    fault: np.ndarray

    @classmethod
    def read(cls, path: Path) -> Rows:
        """Read the recorder's CSV."""
        with path.open(encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
        return cls(
            t=np.array([float(r["t"]) for r in rows]),
            name=np.array([r["name"] for r in rows], dtype=object),
            ms=np.array([float(r["ms"]) for r in rows]),
            ok=np.array([int(r["ok"]) for r in rows]),
            fault=np.array([r["fault"] for r in rows], dtype=object),
        )


def measured_rows(rows: Rows, stages: list[Stage]) -> Rows:
    """The rows finished during measured stages: warm-up and anything after the schedule left out."""
    keep = np.zeros(rows.t.shape, dtype=bool)
    for stage in stages:
        if stage.measured:
            keep |= (rows.t >= stage.start) & (rows.t < stage.end)
    return Rows(
        t=rows.t[keep], name=rows.name[keep], ms=rows.ms[keep], ok=rows.ok[keep], fault=rows.fault[keep]
    )


def _pct(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else 0.0


def bus_requests(rows: Rows) -> np.ndarray:
    """True for each row that went through the bus (not straight to a provider)."""
    return np.array([not str(n).startswith(DIRECT_PREFIX) for n in rows.name], dtype=bool)


def stage_figures(rows: Rows, stages: list[Stage]) -> list[StageFigures]:
    """Each measured stage judged over [judged_from, end): bus requests, failures, rate, percentiles."""
    out = []
    through_bus = bus_requests(rows)
    for stage in stages:
        if not stage.measured:
            continue
        inside = (rows.t >= stage.judged_from) & (rows.t < stage.end) & through_bus
        seconds = stage.end - stage.judged_from
        ms = rows.ms[inside]
        out.append(
            StageFigures(
                label=stage.label,
                target_tx_s=stage.rate,
                seconds=seconds,
                requests=int(inside.sum()),
                failures=int((rows.ok[inside] == 0).sum()),
                achieved_tx_s=round(int(inside.sum()) / seconds, 2) if seconds > 0 else 0.0,
                p50_ms=_pct(ms, 50),
                p95_ms=_pct(ms, 95),
                p99_ms=_pct(ms, 99),
            )
        )
    return out


def timeline(rows: Rows, bucket: float = 2.0) -> dict[str, list[float]]:
    """Per time bucket: start second, tx/s, failures/s, p50/p95/p99 ms."""
    series: dict[str, list[float]] = {k: [] for k in ("t", "tx_s", "fail_s", "p50", "p95", "p99")}
    if not rows.t.size:
        return series
    edges = np.arange(0.0, float(rows.t.max()) + bucket, bucket)
    index = np.digitize(rows.t, edges) - 1
    for i, start in enumerate(edges):
        mask = index == i
        ms = rows.ms[mask]
        series["t"].append(float(start))
        series["tx_s"].append(float(mask.sum()) / bucket)
        series["fail_s"].append(float((rows.ok[mask] == 0).sum()) / bucket)
        for q in (50, 95, 99):
            series[f"p{q}"].append(_pct(ms, q))
    return series


def per_service(rows: Rows) -> dict[str, dict[str, float]]:
    """Per request name: count, failures, p50/p95/p99 ms."""
    out = {}
    for name in sorted(set(rows.name.tolist())):
        mask = rows.name == name
        ms = rows.ms[mask]
        out[name] = {
            "requests": int(mask.sum()),
            "failures": int((rows.ok[mask] == 0).sum()),
            "p50_ms": _pct(ms, 50),
            "p95_ms": _pct(ms, 95),
            "p99_ms": _pct(ms, 99),
        }
    return out


def errors_by_type(rows: Rows) -> dict[str, int]:
    """Failed requests counted by taxonomy type (or check failure), most frequent first."""
    return dict(Counter(f for f in rows.fault.tolist() if f).most_common())
