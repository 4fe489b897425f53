"""A 202's Location outlives the gateway that answered it: another gateway sharing the store resolves it
from the worker's record, or, past the request's work horizon with no record, as outcome unknown."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime

import httpx
import pytest

from bus.reliability.dedupe import CompletedWork
from bus.transport.base import Message
from bus.transport.unconfirmed import PublishUnconfirmed
from tests.gateway.conftest import STP, CountedBus
from tests.in_process_stack import Backend, RecordingTransport, running_gateway

BODY = b'{"SoDinhDanh": "031190000001"}'
JSON_STP = {**STP, "content-type": "application/json"}


class HeldPublish(RecordingTransport):
    """The broker confirms no request's publish by its deadline (PublishUnconfirmed, never followed to an
    answer); the messages reach their queue only when the test `deliver`s them, or never."""

    def __init__(self, inner: RecordingTransport) -> None:
        super().__init__(inner.inner)
        self.held: list[tuple[str, Message]] = []

    async def request(self, queue: str, message: Message, timeout: float) -> Message:
        self.held.append((queue, message))
        raise PublishUnconfirmed("publish unconfirmed", asyncio.ensure_future(_unanswered()))

    async def deliver(self) -> None:
        """The broker had them after all: they reach the queue (their gateway's reply address is gone)."""
        for queue, message in self.held:
            await self.inner.publish(queue, dataclasses.replace(message, reply_to=None))


async def _unanswered() -> Message:
    await asyncio.Event().wait()
    raise AssertionError("never set")


async def accepted_then_stopped(
    bus: CountedBus, backend: Backend, code: str, headers: dict[str, str], **settings: float
) -> tuple[HeldPublish, httpx.Response]:
    """A call answered 202 by a gateway that is then stopped while following it."""
    held = HeldPublish(bus.transport)
    async with running_gateway(
        dataclasses.replace(bus, transport=held), backend, drain_seconds=0.1, **settings
    ) as first:
        accepted = await first.client.post(bus.url(code), content=BODY, headers=headers)
    assert accepted.status_code == 202, accepted.text
    return held, accepted


async def state_after(client: httpx.AsyncClient, location: str, seconds: float) -> dict[str, object]:
    """The Location's state once it is no longer pending, or as it is after `seconds`."""
    state: dict[str, object] = {}
    for _ in range(int(seconds / 0.05)):
        state = (await client.get(location, headers=STP)).json()
        if state["state"] != "pending":
            break
        await asyncio.sleep(0.05)
    return state


@pytest.mark.parametrize(("code", "status"), [("Count", 200), ("Failing", 502)])
async def test_a_202_whose_gateway_stopped_shows_the_workers_answer_on_another_gateway(
    bus: CountedBus, backend: Backend, caplog: pytest.LogCaptureFixture, code: str, status: int
) -> None:
    caplog.set_level(logging.INFO)
    held, accepted = await accepted_then_stopped(bus, backend, code, JSON_STP)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("1 accepted call(s) left unfinished" in r.getMessage() for r in caplog.records)
    location = accepted.headers["location"]
    async with running_gateway(bus, backend) as second:
        before = (await second.client.get(location, headers=STP)).json()
        await held.deliver()  # the broker had it: the worker runs it and records its answer
        state = await state_after(second.client, location, 5)
    assert before["state"] == "pending"
    assert state["state"] == "done" and state["status"] == status, state
    if status == 200:
        assert state["result"] == {"echo": {"SoDinhDanh": "031190000001"}, "call": 1, "attempt": 1}
    else:  # dead-lettered: the worker's recorded verdict
        assert state["error"] == {
            "type": "Server.Provider.InternalError",
            "message": "provider answered 500",
            "detail": accepted.headers["x-road-id"],
        }
    assert bus.count.calls + bus.failing.calls == 1


async def test_a_202_never_delivered_answers_outcome_unknown_past_its_horizon_and_a_keyed_retry_runs_once(
    bus: CountedBus, backend: Backend
) -> None:
    keyed = {**JSON_STP, "Idempotency-Key": "k-lost"}
    _, accepted = await accepted_then_stopped(bus, backend, "Brief", keyed, idempotency_lease_margin=0.2)
    location = accepted.headers["location"]
    async with running_gateway(bus, backend) as second:
        pending = (await second.client.get(location, headers=STP)).json()
        await _sleep_until(pending["resolve_by"])
        unknown = (await second.client.get(location, headers=STP)).json()
        retried = await second.client.post(bus.url("Brief"), content=BODY, headers=keyed)
    assert pending["state"] == "pending"
    assert unknown["state"] == "unknown" and unknown["status"] == 504, unknown
    assert unknown["error"]["type"] == "Server.Bus.OutcomeUnknown"
    assert "same Idempotency-Key" in unknown["error"]["message"]
    assert retried.status_code == 200, retried.text  # the advice holds: the key is free, it runs once
    assert bus.count.calls == 1


async def test_a_202_past_its_horizon_stays_pending_while_a_worker_holds_its_message(
    bus: CountedBus, backend: Backend
) -> None:
    _, accepted = await accepted_then_stopped(bus, backend, "Brief", JSON_STP, idempotency_lease_margin=0.2)
    location = accepted.headers["location"]
    async with running_gateway(bus, backend) as second:
        pending = (await second.client.get(location, headers=STP)).json()
        recorded, leased = await CompletedWork(backend.store()).reply_or_lease(
            pending["message_id"], "busy", seconds=30
        )
        await _sleep_until(pending["resolve_by"])
        still = (await second.client.get(location, headers=STP)).json()
    assert recorded is None and leased
    assert still["state"] == "pending", still


async def _sleep_until(moment: str) -> None:
    left = (
        datetime.fromisoformat(moment) - datetime.now(datetime.fromisoformat(moment).tzinfo)
    ).total_seconds()
    assert 0 < left < 5  # the horizon of the Brief service, from the 202
    await asyncio.sleep(left + 0.05)
