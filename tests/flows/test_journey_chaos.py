"""Journeys under engines dying mid-run and systems failing: every journey ends completed, or refused
with its compensations done, and no effect happens twice. Run on memory and on RabbitMQ + Redis."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from bus.flows.journey_engine import JourneyEngine
from bus.flows.journey_state import JourneyStatus, StepStatus
from tests.flows.journey_stack import JourneyStack

JOURNEYS = 16


@pytest.mark.chaos
async def test_journeys_end_whole_when_engines_die_and_systems_fail(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    draw = random.Random(13)

    def step(name: str, system: str, path: str, **more: object) -> dict[str, object]:
        return {"kind": "call", "id": name, "retry": {"attempts": 4, "delay_seconds": 0.05},
                "call": {"service": stack.service(system), "path": path,
                         "payload": {"step": name, "work_seconds": 0.03, "answer": "${/inputs/answer}"}},
                **more}  # fmt: skip

    def undo(name: str, system: str) -> dict[str, object]:
        return {"service": stack.service(system), "path": "undo", "payload": {"step": name}}

    stack.define(
        {
            "kind": "chaos",
            "steps": [
                step("fee", "Payment", "flaky", compensation=undo("fee", "Payment")),
                step("register", "Registry", "flaky", after=["fee"], compensation=undo("register", "Registry")),  # noqa: E501
                step("decide", "Insurance", "act", after=["fee"], refuse_if={"at": "/status", "equals": "6"}),
                step("deliver", "Residence", "act", after=["register", "decide"]),
            ],
        }
    )  # fmt: skip
    journeys = await stack.start(engines=3)
    started = []
    for n in range(JOURNEYS):
        record = await journeys.start("chaos", {"answer": "6" if n % 4 == 0 else "ok"}, f"HS-C{n}")
        stack.systems.failures[f"{record.journey_id}.fee"] = draw.choice([0, 1])
        stack.systems.failures[f"{record.journey_id}.register"] = draw.choice([0, 0, 1])
        started.append(record.journey_id)
    live: list[JourneyEngine] = list(stack.engines)
    for _ in range(2):
        await asyncio.sleep(0.15)
        victim = live.pop(draw.randrange(len(live)))
        await victim.transport.close()
        live.append(await stack.add_engine())

    ends = Counter()
    for journey_id in started:
        record = await stack.until(journey_id, lambda r: r.status != JourneyStatus.RUNNING
                                   and r.status != JourneyStatus.COMPENSATING, timeout=60)  # fmt: skip
        ends[record.status] += 1
        if record.status == JourneyStatus.REFUSED:  # register ran beside decide: done, so undone
            assert [s.status for s in record.steps] == [
                StepStatus.COMPENSATED, StepStatus.COMPENSATED, StepStatus.REFUSED, StepStatus.CANCELLED,
            ]  # fmt: skip
    refused = JOURNEYS // 4
    assert ends == {JourneyStatus.COMPLETED: JOURNEYS - refused, JourneyStatus.REFUSED: refused}
    assert set(stack.systems.effects.values()) == {1}  # no effect, and no compensation, twice
    assert Counter(stack.systems.undone) == {"fee": refused, "register": refused}
