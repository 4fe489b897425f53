"""SIGTERM on a real `lgsp worker` under load: intake stops, in-flight work finishes, nothing is lost."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bus.codec import decode_reply, envelope_message
from bus.envelope import Envelope
from bus.transport import AmqpTransport
from tests.reliability.processes import (
    CLIENT,
    catalog_of,
    delete_queues,
    start_worker,
    stop,
    wait_for_queue,
    write_catalog,
)

pytestmark = [pytest.mark.amqp, pytest.mark.slow]
REQUESTS = 120


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    return write_catalog(
        tmp_path,
        {"echo": {"delay": 0.2}},
        [{"id": "VN/GOV/HPG/{SUB}/Echo/v1", "adapter": "echo", "timeout": 30, "concurrency": 8}],
    )


@pytest.fixture
async def caller(amqp_url: str, catalog_path: Path) -> AsyncIterator[AmqpTransport]:
    transport = AmqpTransport(amqp_url, connection_name="lgsp-test-graceful-caller")
    await transport.connect()
    yield transport
    await transport.close()
    await asyncio.wait_for(delete_queues(amqp_url, catalog_of(catalog_path)), 30)


async def test_sigterm_mid_load_finishes_in_flight_work_and_loses_no_message(
    amqp_url: str, catalog_path: Path, caller: AmqpTransport
) -> None:
    service = catalog_of(catalog_path).services[0]
    first = start_worker(amqp_url, catalog_path, "graceful-1")
    second = None
    try:
        await wait_for_queue(amqp_url, service.id.queue_name)
        envelopes = [
            Envelope(client=CLIENT, service=service.id, payload={"n": n}).with_deadline(60)  # type: ignore[arg-type]
            for n in range(REQUESTS)
        ]
        calls = [
            asyncio.create_task(caller.request(service.id.queue_name, envelope_message(e), timeout=90))
            for e in envelopes
        ]
        await asyncio.sleep(1.0)  # a few batches of 8 done, the rest queued or in flight
        first.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(first.wait, 30)
        answered_by_first = sum(1 for call in calls if call.done())
        second = start_worker(amqp_url, catalog_path, "graceful-2")
        replies = [decode_reply(message) for message in await asyncio.wait_for(asyncio.gather(*calls), 120)]
    finally:
        stop(first)
        if second is not None:
            stop(second)
    assert exit_code == 0
    assert 0 < answered_by_first < REQUESTS
    assert all(reply.ok for reply in replies)
    assert sorted(reply.payload["echo"]["n"] for reply in replies) == list(range(REQUESTS))  # type: ignore[index, call-overload]
    workers = {reply.worker for reply in replies}
    assert workers == {"graceful-1", "graceful-2"}
    # In-flight work was finished and acked, not cut and redelivered: every message ran exactly once.
    assert {reply.payload["attempt"] for reply in replies} == {1}  # type: ignore[index, call-overload]
