"""The log as the gateway's sink: real calls through the gateway leave a verifiable, queryable chain."""

from __future__ import annotations

import hashlib

from bus.txlog import TransactionLogSink
from tests.in_process_stack import KEY, running_stack
from tests.txlog.conftest import LogUnderTest

STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": KEY}


async def test_gateway_calls_are_chained_and_answer_who_accessed(under_test: LogUnderTest) -> None:
    citizen = "031190000001"
    headers = {**STP, "X-Road-UserId": "cb01", "X-Road-Issue": "000.00.01.H26-240301-0001"}
    async with running_stack(None, sinks=[TransactionLogSink(under_test.log)]) as stack:
        ok = await stack.client.post(stack.url("Echo"), json={"id_number": citizen}, headers=headers)
        await stack.client.post(
            stack.url("Echo"), json={"id_number": citizen}, headers={**STP, "X-Api-Key": "x"}
        )
        await stack.client.post(stack.url("Failing"), json={}, headers=STP)
    entries = [e async for e in under_test.log.entries()]
    assert [(e.sequence, e.status) for e in entries] == [(1, 200), (2, 401), (3, 502)]
    assert entries[0].transaction_id == ok.headers["x-road-id"]
    assert entries[0].response_sha256 == hashlib.sha256(ok.content).hexdigest()
    assert (await under_test.log.verify()).ok
    [access] = await under_test.log.by_subject(citizen)
    assert (access.client, access.user_id, access.issue) == (
        "VN/GOV/HPG/STP",
        "cb01",
        "000.00.01.H26-240301-0001",
    )
    assert access.service == f"VN/GOV/HPG/{stack.subsystem}/Echo/v1"
