"""The dashboard's fault controls against a real mock's control API (in process): changes, scenarios
that clear themselves, and refusals that change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bus.dashboard.fault_control import FaultChange, FaultControl, Scenario
from bus.errors import BadRequest
from lgsp.dashboard_wiring import SCENARIOS, mock_defaults
from services.registry import MOCKS

BASE = "http://population.test"


@pytest.fixture
async def control() -> AsyncIterator[FaultControl]:
    app = MOCKS["population"].build(population=None, latency=False)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    quick = Scenario(name="blip", title="t", target="population", changes={"outage": True}, seconds=0.2)
    faults = FaultControl(
        {"population": BASE}, {"blip": quick}, normal={"population": mock_defaults(app)}, http=http
    )
    yield faults
    await faults.close()


async def test_a_change_reaches_the_mock_and_is_summarised_against_its_defaults(
    control: FaultControl,
) -> None:
    answer = await control.change(FaultChange(target="population", changes={"error_rate": 0.5}))
    assert answer["profile"]["error_rate"] == 0.5
    state = (await control.states())["population"]
    assert control.summary("population", state["profile"]) == "errors 50%"
    await control.clear("population")
    state = (await control.states())["population"]
    assert control.summary("population", state["profile"]) is None


async def test_a_timed_scenario_clears_itself(control: FaultControl) -> None:
    started = await control.start_scenario("blip")
    assert started.clears_at is not None and [a.name for a in control.active()] == ["blip"]
    assert (await control.states())["population"]["profile"]["outage"] is True
    await asyncio.sleep(0.5)
    assert (await control.states())["population"]["profile"]["outage"] is False
    assert control.active() == []


async def test_unknown_fields_mocks_and_scenarios_are_refused_and_change_nothing(
    control: FaultControl,
) -> None:
    before = await control.states()
    with pytest.raises(BadRequest):
        await control.change(FaultChange(target="population", changes={"hang_seconds": 1}))
    with pytest.raises(BadRequest):
        await control.change(FaultChange(target="nowhere", changes={"outage": True}))
    with pytest.raises(BadRequest):
        await control.start_scenario("nonsense")
    with pytest.raises(BadRequest):  # the mock's own validation: a rate above 1
        await control.change(FaultChange(target="population", changes={"error_rate": 2}))
    assert await control.states() == before


def test_the_demo_scenarios_name_the_issue_s_three_situations() -> None:
    by_name = {scenario.name: scenario for scenario in SCENARIOS}
    assert by_name["population-down"].changes == {"outage": True} and by_name["population-down"].seconds == 30
    assert by_name["payment-confirmations-lost"].changes == {"lost_callback_rate": 1.0}
    assert by_name["vnpost-slow"].changes["latency"]["ms"] >= 1000
