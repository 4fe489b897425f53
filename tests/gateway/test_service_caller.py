"""Calls made inside the bus (journeys) go the way of `/r1` calls: rights, quotas, the worker, the sinks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.echo import EchoAdapter
from bus.auth.settings import AuthSettings
from bus.catalog import Catalog, hash_api_key
from bus.flows.service_calls import ServiceCall, derived_ids
from bus.gateway.access import AccessControl
from bus.gateway.ratelimit import MemoryRateLimiter
from bus.gateway.service_caller import BusServiceCaller
from bus.store import MemoryStore
from bus.transaction import TransactionRecord
from bus.transport import MemoryTransport
from bus.worker import Worker

CLIENT = "VN/GOV/HPG/MOTCUA"
ECHO = "VN/GOV/HPG/SCALL/Echo/v1"
LIMITED = "VN/GOV/HPG/SCALL/Limited/v1"
CLOSED = "VN/GOV/HPG/SCALL/Closed/v1"
CATALOG = Catalog.model_validate(
    {
        "adapters": {"echo": {}},
        "clients": [{"id": CLIENT, "api_key_sha256": [hash_api_key("k")]}],
        "services": [
            {"id": ECHO, "adapter": "echo", "allow": [CLIENT]},
            {"id": LIMITED, "adapter": "echo", "allow": [CLIENT], "rate_limit_per_second": 0.01},
            {"id": CLOSED, "adapter": "echo", "allow": []},
        ],
    }
)


class Sink:
    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []

    async def record(self, record: TransactionRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def caller_and_sink() -> AsyncIterator[tuple[BusServiceCaller, Sink]]:
    transport = MemoryTransport()
    store = MemoryStore()
    worker = Worker(CATALOG, transport, {"echo": EchoAdapter({})}, name="w", store=store)
    await worker.start()
    sink = Sink()
    access = AccessControl.build(CATALOG, store, AuthSettings())
    yield BusServiceCaller(CATALOG, transport, access, [sink], rate_limiter=MemoryRateLimiter()), sink
    await worker.stop()
    await transport.close()


def a_call(service: str, key: str = "J.step", client: str = CLIENT) -> ServiceCall:
    message_id, transaction_id = derived_ids(key, 1)
    return ServiceCall(
        client=client, service=service, path="births", payload={"soDinhDanh": "001203004005"},
        issue="HS-1", idempotency_key=key, message_id=message_id, transaction_id=transaction_id,
    )  # fmt: skip


async def test_a_call_reaches_the_provider_and_is_recorded_with_its_dossier_code(
    caller_and_sink: tuple[BusServiceCaller, Sink],
) -> None:
    caller, sink = caller_and_sink
    call = a_call(ECHO)
    result = await caller.call(call)
    assert result.outcome == "succeeded"
    assert result.payload["echo"] == {"soDinhDanh": "001203004005"}  # type: ignore[index,call-overload]
    (record,) = sink.records
    assert (record.transaction_id, record.message_id) == (call.transaction_id, call.message_id)
    assert (record.client, record.service, record.issue, record.worker) == (CLIENT, ECHO, "HS-1", "w")
    assert record.subjects == ("001203004005",)
    assert record.succeeded and record.status == 200


async def test_the_same_call_sent_again_is_answered_from_the_workers_record(
    caller_and_sink: tuple[BusServiceCaller, Sink],
) -> None:
    caller, _ = caller_and_sink
    first = await caller.call(a_call(ECHO))
    again = await caller.call(a_call(ECHO))
    assert again.payload == first.payload
    assert again.payload["attempt"] == 1  # type: ignore[index,call-overload]


@pytest.mark.parametrize(
    ("service", "client", "fault"),
    [
        (CLOSED, CLIENT, "Client.AccessDenied"),
        ("VN/GOV/HPG/SCALL/Nowhere/v1", CLIENT, "Client.UnknownService"),
        (ECHO, "VN/GOV/HPG/NOBODY", "Client.Unauthenticated"),
    ],
)
async def test_a_call_without_the_right_is_refused_and_recorded(
    caller_and_sink: tuple[BusServiceCaller, Sink], service: str, client: str, fault: str
) -> None:
    caller, sink = caller_and_sink
    result = await caller.call(a_call(service, client=client))
    assert result.outcome == "failed" and result.error is not None and result.error.type == fault
    assert not result.retryable
    assert [(r.fault_type, r.succeeded) for r in sink.records] == [(fault, False)]


async def test_a_call_over_its_quota_is_refused_as_retryable_later(
    caller_and_sink: tuple[BusServiceCaller, Sink],
) -> None:
    caller, _ = caller_and_sink
    assert (await caller.call(a_call(LIMITED, "J.a"))).outcome == "succeeded"
    refused = await caller.call(a_call(LIMITED, "J.b"))
    assert refused.outcome == "failed" and refused.error is not None
    assert refused.error.type == "Client.RateLimited"
    assert refused.retryable and refused.retry_after is not None and refused.retry_after > 1
