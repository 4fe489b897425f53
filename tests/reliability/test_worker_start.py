"""A worker started while the broker is unreachable waits for it (as its store wrapper waits for Redis)
instead of dying: one warning, then it starts consuming."""

from __future__ import annotations

import logging

import pytest

from bus.errors import BusUnavailable
from bus.transport import MemoryBroker, MemoryTransport
from bus.worker import Worker
from tests.in_process_stack import echo_adapters, echo_catalog


class FlakyStart(MemoryTransport):
    """A memory transport whose first `refusals` connects find the broker unreachable."""

    def __init__(self, broker: MemoryBroker, refusals: int) -> None:
        super().__init__(broker)
        self.refusals = refusals
        self.attempts = 0

    async def connect(self) -> None:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise BusUnavailable("broker unreachable (ConnectionResetError: reset)")
        await super().connect()


async def test_a_worker_started_during_a_broker_outage_waits_for_it_and_then_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = echo_catalog("START")
    transport = FlakyStart(MemoryBroker(), refusals=2)
    worker = Worker(catalog, transport, echo_adapters(), name="patient", drain_seconds=1)
    with caplog.at_level(logging.WARNING):
        await worker.start()
    try:
        assert transport.attempts == 3
        warnings = [r for r in caplog.records if "broker unreachable" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await worker.stop()
        await transport.close()
