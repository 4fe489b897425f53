"""The capacity report folder: PNG charts, an HTML page, JSON and CSV figures, the verdict line."""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from loadtests.figures import Rows, errors_by_type, measured_rows, per_service, stage_figures, timeline
from loadtests.journey_figures import JourneyFigures
from loadtests.schedules import Stage
from loadtests.slo import Slo, StageFigures, Verdict, judge
from loadtests.spike import SpikeFigures, spike_figures

CHARTS = ("throughput.png", "latency.png", "errors.png", "services.png")


def write_report(
    folder: Path,
    raw_csv: Path,
    stages: list[Stage],
    slo: Slo,
    required_tx_s: float,
    run: dict[str, Any],
    journeys: Callable[[list[StageFigures]], JourneyFigures] | None = None,
) -> Verdict:
    """Compute every figure from the raw rows, write the folder, and return the verdict; `journeys`,
    given the stages' request figures, computes a journey run's journey figures."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = Rows.read(raw_csv)
    figures = stage_figures(rows, stages)
    verdict = judge(figures, slo, required_tx_s)
    series = timeline(rows)
    services = per_service(measured_rows(rows, stages))  # warm-up left out, as from the stages
    errors = errors_by_type(measured_rows(rows, stages))
    spike = spike_figures(rows, stages)
    journey = journeys(figures) if journeys else None
    _charts(folder, series, stages, errors, services)
    _write_stages_csv(folder / "stages.csv", figures, slo)
    summary = {
        "verdict": verdict.model_dump() | {"line": verdict.line()},
        "run": run,
        "stages": [f.model_dump() | {"meets_slo": f.meets(slo)} for f in figures],
        "services": services,
        "errors_by_type": errors,
        "spike": spike.model_dump() | {"lines": spike.lines()} if spike else None,
        "journeys": journey.model_dump() | {"lines": journey.lines()} if journey else None,
        "timeline": series,
    }
    (folder / "figures.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "index.html").write_text(
        _html(verdict, figures, slo, services, errors, run, spike, journey), encoding="utf-8"
    )
    notes = [*(spike.lines() if spike else []), *(journey.lines() if journey else [])]
    (folder / "verdict.txt").write_text("\n".join([verdict.line(), *notes]) + "\n", encoding="utf-8")
    return verdict


def _charts(
    folder: Path,
    series: dict[str, list[float]],
    stages: list[Stage],
    errors: dict[str, int],
    services: dict[str, dict[str, float]],
) -> None:
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(series["t"], series["tx_s"], label="achieved tx/s")
    # Each stage's rate from its start, then once more at the last stage's end so that stage is drawn too.
    edges = [s.start for s in stages] + [stages[-1].end]
    rates = [s.rate for s in stages] + [stages[-1].rate]
    ax.step(edges, rates, where="post", label="target scenarios/s", alpha=0.6)
    ax.plot(series["t"], series["fail_s"], label="failures/s", color="red")
    _mark_phases(ax, stages)
    ax.set(xlabel="seconds", ylabel="requests per second", title="Throughput")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.savefig(folder / "throughput.png", dpi=90, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4))
    answered = [i for i, rate in enumerate(series["tx_s"]) if rate > 0]  # an empty bucket has no latency
    for q in ("p50", "p95", "p99"):
        ax.plot([series["t"][i] for i in answered], [series[q][i] for i in answered], label=q)
    _mark_phases(ax, stages)
    ax.set(xlabel="seconds", ylabel="ms", title="Latency over time", yscale="log")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.savefig(folder / "latency.png", dpi=90, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.barh(list(errors) or ["(no errors)"], list(errors.values()) or [0], color="firebrick")
    ax.set(xlabel="failed requests", title="Errors by taxonomy type")
    fig.savefig(folder / "errors.png", dpi=90, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * max(1, len(services))))
    names = list(services)
    for offset, q in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        ax.barh(
            [i + offset * 0.27 for i in range(len(names))], [services[n][q] for n in names], 0.27, label=q
        )
    ax.set_yticks([i + 0.27 for i in range(len(names))], names)
    ax.set(xlabel="ms", title="Latency per service")
    ax.legend()
    fig.savefig(folder / "services.png", dpi=90, bbox_inches="tight")
    plt.close(fig)


def _phase(label: str) -> str:
    """The phase a stage belongs to: its label without a trailing clock time (`Monday 08:30` → `Monday`)."""
    return re.sub(r" \d\d:\d\d$", "", label)


def _mark_phases(ax: Any, stages: list[Stage], most: int = 6) -> None:
    """Unmeasured stages shaded; a dotted line and a name where each measured phase begins (days of a
    workday, spike phases), if few enough."""
    for stage in stages:
        if not stage.measured:
            ax.axvspan(stage.start, stage.end, color="grey", alpha=0.15, linewidth=0)
    measured = [s for s in stages if s.measured]
    starts = [s for i, s in enumerate(measured) if i == 0 or _phase(s.label) != _phase(measured[i - 1].label)]
    if len(starts) > most:
        return
    for stage in starts:
        ax.axvline(stage.start, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            _phase(stage.label), (stage.start, 1), xycoords=("data", "axes fraction"),
            xytext=(2, -10), textcoords="offset points", fontsize=8, color="dimgrey",
        )  # fmt: skip


def _write_stages_csv(path: Path, figures: list[StageFigures], slo: Slo) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*StageFigures.model_fields, "error_ratio", "meets_slo"])
        for f in figures:
            writer.writerow([*f.model_dump().values(), round(f.error_ratio, 6), f.meets(slo)])


def _html(
    verdict: Verdict,
    figures: list[StageFigures],
    slo: Slo,
    services: dict[str, dict[str, float]],
    errors: dict[str, int],
    run: dict[str, Any],
    spike: SpikeFigures | None,
    journeys: JourneyFigures | None,
) -> str:
    def row(cells: list[Any]) -> str:
        return "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"

    stage_rows = "".join(
        row(
            [
                f.label,
                f.target_tx_s,
                f.achieved_tx_s,
                f.requests,
                f"{100 * f.error_ratio:.3f} %",
                f"{f.p50_ms:.0f}",
                f"{f.p95_ms:.0f}",
                f"{f.p99_ms:.0f}",
                "yes" if f.meets(slo) else "no",
            ]
        )
        for f in figures
    )
    service_rows = "".join(
        row(
            [
                n,
                int(s["requests"]),
                int(s["failures"]),
                f"{s['p50_ms']:.0f}",
                f"{s['p95_ms']:.0f}",
                f"{s['p99_ms']:.0f}",
            ]
        )
        for n, s in services.items()
    )
    error_rows = "".join(row([k, v]) for k, v in errors.items()) or row(["none", 0])
    spike_html = (
        "<h2>Spike</h2>" + "".join(f"<p>{html.escape(line)}</p>" for line in spike.lines()) if spike else ""
    )
    journey_html = (
        "<h2>Journeys</h2>" + "".join(f"<p>{html.escape(line)}</p>" for line in journeys.lines())
        if journeys
        else ""
    )
    images = "".join(f'<p><img src="{name}" alt="{name}"></p>' for name in CHARTS)
    colour = "green" if verdict.passed else "firebrick"
    return f"""<!doctype html><html lang="en"><meta charset="utf-8"><title>LGSP capacity report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}</style>
<h1>LGSP capacity report</h1>
<p style="color:{colour};font-weight:bold">{html.escape(verdict.line())}</p>
<pre>{html.escape(json.dumps(run, indent=1, ensure_ascii=False))}</pre>
<h2>Stages</h2><table><tr><th>stage</th><th>target tx/s</th><th>achieved tx/s</th><th>requests</th>
<th>errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>meets SLO</th></tr>{stage_rows}</table>
<h2>Per service</h2><table><tr><th>service</th><th>requests</th><th>failures</th><th>p50</th><th>p95</th>
<th>p99</th></tr>{service_rows}</table>
<h2>Errors by type</h2><table>{error_rows}</table>
{spike_html}
{journey_html}
{images}
</html>
"""
