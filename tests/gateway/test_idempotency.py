"""Idempotency keys: one effect per key, across concurrent duplicates, replicas and restarts."""

from __future__ import annotations

import asyncio

from bus.gateway.idempotency import fingerprint
from tests.gateway.conftest import OTHER, STP, CountedBus
from tests.in_process_stack import Backend, running_gateway

BODY = b'{"SoDinhDanh": "031190000001"}'


def keyed(key: str, headers: dict[str, str] = STP) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key, "content-type": "application/json"}


async def test_fifty_concurrent_duplicates_call_the_adapter_once(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        post = gateway.client.post
        calls = [post(bus.url("Count"), content=BODY, headers=keyed("k-50")) for _ in range(50)]
        responses = await asyncio.wait_for(asyncio.gather(*calls), 20)
    assert bus.count.calls == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert len({r.headers["x-road-id"] for r in responses}) == 1  # every duplicate gets the first's answer
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 49


async def test_duplicates_across_two_gateways_sharing_a_store_call_the_adapter_once(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as first, running_gateway(bus, backend) as second:
        calls = [
            gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-two"))
            for _ in range(10)
            for gateway in (first, second)
        ]
        responses = await asyncio.wait_for(asyncio.gather(*calls), 20)
    assert bus.count.calls == 1
    assert len({(r.status_code, r.content) for r in responses}) == 1


async def test_a_restarted_gateway_returns_the_stored_answer(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as before:
        original = await before.client.post(bus.url("Count"), content=BODY, headers=keyed("k-restart"))
    async with running_gateway(bus, backend) as after:
        again = await after.client.post(bus.url("Count"), content=BODY, headers=keyed("k-restart"))
    assert original.status_code == 200 and "idempotent-replayed" not in original.headers
    assert (again.status_code, again.content) == (200, original.content)
    assert again.headers["x-road-id"] == original.headers["x-road-id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert bus.count.calls == 1


async def test_same_key_with_a_different_body_is_refused_naming_the_key(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-body"))
        changed = b'{"SoDinhDanh": "2"}'
        other = await gateway.client.post(bus.url("Count"), content=changed, headers=keyed("k-body"))
        first_again = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-body"))
    assert other.status_code == 422
    assert other.json()["type"] == "Client.BadRequest"
    assert "'k-body'" in other.json()["message"]
    assert first_again.status_code == 200 and first_again.headers["idempotent-replayed"] == "true"
    assert bus.count.calls == 1


async def test_keys_are_separate_per_client(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        mine = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-shared"))
        theirs = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-shared", OTHER))
    assert mine.json()["call"] != theirs.json()["call"]
    assert "idempotent-replayed" not in theirs.headers
    assert bus.count.calls == 2


async def test_duplicate_of_a_call_stuck_past_its_deadline_gets_409_then_may_run_once_the_marker_expires(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend, idempotency_lease_margin=0.5) as gateway:
        service = next(s for s in bus.catalog.services if s.id.service_code == "Count")
        keys = gateway.router.idempotency
        # A gateway that took the lease and then died: its marker says in flight until 0.3 s from now.
        store_key = keys.store_key("VN/GOV/HPG/STP", str(service.id), "k-stuck")
        await keys.begin(store_key, "k-stuck", fingerprint("POST", "", {}, BODY), 0.3)
        stuck = await asyncio.wait_for(
            gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-stuck")), 5
        )
        assert bus.count.calls == 0
        await asyncio.sleep(0.6)  # the marker's ttl (deadline + margin) runs out
        retried = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-stuck"))
    assert stuck.status_code == 409
    assert stuck.json()["type"] == "Client.Conflict"
    assert "still in progress" in stuck.json()["message"]
    assert "retry-after" in stuck.headers
    assert retried.status_code == 200 and bus.count.calls == 1


async def test_a_bus_failure_is_not_remembered_so_a_retry_runs_again(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        first = await gateway.client.post(bus.url("Unserved"), content=BODY, headers=keyed("k-noroute"))
        second = await gateway.client.post(bus.url("Unserved"), content=BODY, headers=keyed("k-noroute"))
    assert first.json()["type"] == second.json()["type"] == "Server.Bus.NoRoute"
    assert "idempotent-replayed" not in second.headers
    assert first.headers["x-road-id"] != second.headers["x-road-id"]


async def test_a_provider_failure_is_remembered_like_any_answer(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        first = await gateway.client.post(bus.url("Failing"), content=BODY, headers=keyed("k-fail"))
        second = await gateway.client.post(bus.url("Failing"), content=BODY, headers=keyed("k-fail"))
    assert first.status_code == second.status_code == 502
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"


async def test_bad_json_with_a_key_is_refused_and_leaves_the_key_unused(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        bad = await gateway.client.post(bus.url("Count"), content=b'{"a": ', headers=keyed("k-bad"))
        good = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-bad"))
    assert bad.status_code == 400
    assert good.status_code == 200 and "idempotent-replayed" not in good.headers


async def test_an_empty_key_is_refused_and_nothing_is_sent(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        refused = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed(" "))
    assert refused.status_code == 400 and "idempotency-key" in refused.json()["message"]
    assert bus.count.calls == 0
