"""CPU-µs per transaction by component, from a bench's JSON or from the last figures on record.

A bench case charges each process it ran (`cpu_s`, by process label) and counts the transactions it
answered; a component's cost is its processes' CPU divided by those transactions. The mocks stand for
national systems that run elsewhere, so they are not sized.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CASE = "bus population verify on amqp, 1 worker process"
# Label prefixes of the bench's processes, by component (`gateway.1` is a member of a process group).
_LABELS = {"gateway": ("gateway",), "worker": ("worker",), "broker": ("rabbitmq-",), "redis": ("redis-",)}


class NoSuchCase(LookupError):
    """The bench JSON has no case of that name (the message lists the ones it has)."""


@dataclass(frozen=True)
class MeasuredCosts:
    """CPU-µs per transaction by component (None: not measured) and where the figures come from."""

    cpu_us_per_tx: dict[str, float | None]
    source: str


# The last figures on record: loadtests/PERFORMANCE.md, "Where issue 16 stands, 2026-12-06 18:34–18:51",
# the whole transaction mix on RabbitMQ + Redis (`lgsp capacity`, main, 350 scenarios/s, 418.6 tx/s at the
# SLO; two worker processes, their costs added), a quiet 2-core machine.
RECORDED = MeasuredCosts(
    {"gateway": 916.0, "worker": 1509.0, "broker": 473.0, "redis": 141.0},
    "loadtests/PERFORMANCE.md, 2026-12-06 18:34–18:51: the whole mix on RabbitMQ + Redis at 418.6 tx/s "
    "(gateway 916, two workers 758 + 751, broker 473, Redis 141 µs/tx)",
)


def _cost(case: dict[str, Any], prefixes: tuple[str, ...]) -> float | None:
    charged = [seconds for label, seconds in case["cpu_s"].items() if label.startswith(prefixes)]
    if not charged:
        return None
    requests = int(case["load"]["requests"])
    return round(1e6 * float(sum(charged)) / max(1, requests), 1)


def from_bench_json(path: Path, case_name: str = DEFAULT_CASE) -> MeasuredCosts:
    """Costs of `case_name` in a `lgsp bench` JSON; Redis from that case, else from its Redis case."""
    document = json.loads(path.read_text(encoding="utf-8"))
    cases = {case["case"]: case for case in document.get("results", [])}
    case = cases.get(case_name)
    if case is None:
        raise NoSuchCase(f"{path} has no case {case_name!r}; it has: {', '.join(cases) or 'none'}")
    costs = {component: _cost(case, prefixes) for component, prefixes in _LABELS.items()}
    source = f"{path} ({document.get('generated', 'undated')}): case {case_name!r}"
    if costs["redis"] is None:
        with_redis = [c for c in cases.values() if _cost(c, _LABELS["redis"]) is not None]
        if with_redis:
            costs["redis"] = _cost(with_redis[0], _LABELS["redis"])
            source += f", Redis from case {with_redis[0]['case']!r}"
    return MeasuredCosts(costs, source)
