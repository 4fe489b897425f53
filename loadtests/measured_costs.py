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


# The last figures on record: loadtests/PERFORMANCE.md, "Where it stands on 2026-12-04 (third pass)",
# "per process after", population verify on RabbitMQ with one worker (a quiet 2-core machine, memory
# stores: Redis was not in that run, so its cost is unknown there).
RECORDED = MeasuredCosts(
    {"gateway": 2146.0, "worker": 2367.0, "broker": 1060.0, "redis": None},
    "loadtests/PERFORMANCE.md, 2026-12-04 third pass: population verify on RabbitMQ, 1 worker, per process "
    "(gateway 2,146, worker 2,367, broker 1,060 µs/tx; Redis not measured in that run)",
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
