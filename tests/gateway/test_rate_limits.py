"""Quotas per client and per service: token buckets shared by every gateway replica."""

from __future__ import annotations

import asyncio

import pytest

from bus.errors import RateLimited
from bus.gateway.ratelimit import MemoryRateLimiter, Quota, enforce
from tests.gateway.conftest import LIMITED, OTHER, STP, CountedBus
from tests.in_process_stack import Backend, running_gateway


async def test_client_over_its_quota_gets_429_with_retry_after_and_nothing_is_sent(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        answers = [await gateway.client.post(bus.url("Count"), json={}, headers=LIMITED) for _ in range(4)]
        unlimited = await gateway.client.post(bus.url("Count"), json={}, headers=STP)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]  # burst of 3
    refused = answers[-1]
    assert refused.json()["type"] == "Client.RateLimited"
    assert "client:VN/GOV/HPG/LIMITED" in refused.json()["message"]
    assert int(refused.headers["retry-after"]) >= 1  # 0.2 tokens/s: about 5 s until the next one
    assert unlimited.status_code == 200  # another client's calls are not counted against it
    assert bus.count.calls == 4


async def test_two_gateways_sharing_a_store_share_one_client_quota(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as first, running_gateway(bus, backend) as second:
        statuses = []
        for gateway in (first, second, first, second, first, second):
            answer = await gateway.client.post(bus.url("Count"), json={}, headers=LIMITED)
            statuses.append(answer.status_code)
    assert statuses == [200, 200, 200, 429, 429, 429]
    assert bus.count.calls == 3


async def test_service_quota_counts_every_client_together(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as first, running_gateway(bus, backend) as second:
        calls = [
            first.client.post(bus.url("Quota"), json={}, headers=STP),
            second.client.post(bus.url("Quota"), json={}, headers=OTHER),
            first.client.post(bus.url("Quota"), json={}, headers=OTHER),
            second.client.post(bus.url("Quota"), json={}, headers=STP),
        ]
        statuses = sorted(r.status_code for r in await asyncio.wait_for(asyncio.gather(*calls), 10))
    assert statuses == [200, 200, 429, 429]  # burst of 2 for the service, whoever calls
    assert bus.quota.calls == 2


async def test_a_call_refused_by_the_service_quota_costs_the_client_nothing(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        post = gateway.client.post
        quota_calls = [await post(bus.url("Quota"), json={}, headers=LIMITED) for _ in range(3)]
        # The client had 3 tokens and the service 2: the refused third call must not have taken the last.
        after = await gateway.client.post(bus.url("Count"), json={}, headers=LIMITED)
        then = await gateway.client.post(bus.url("Count"), json={}, headers=LIMITED)
    assert [r.status_code for r in quota_calls] == [200, 200, 429]
    assert "service:" in quota_calls[-1].json()["message"]
    assert (after.status_code, then.status_code) == (200, 429)


async def test_bucket_refills_at_its_rate(backend: Backend) -> None:
    limiter = backend.limiter()
    quota = [Quota("refill", rate=20.0, burst=1)]
    assert await limiter.acquire(quota) == 0.0
    wait = await limiter.acquire(quota)
    assert 0 < wait <= 0.05 + 1e-6  # one token takes 1/20 s
    await asyncio.sleep(wait + 0.02)
    assert await limiter.acquire(quota) == 0.0


async def test_retry_after_is_the_time_until_a_token_is_back() -> None:
    now = [100.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    quota = [Quota("c", rate=2.0, burst=2)]
    await enforce(limiter, quota)
    await enforce(limiter, quota)
    with pytest.raises(RateLimited) as refused:
        await enforce(limiter, quota)
    assert refused.value.retry_after == pytest.approx(0.5)
    now[0] += 0.5
    await enforce(limiter, quota)  # refilled exactly one token


def test_a_quota_without_a_positive_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        Quota("bad", rate=0.0, burst=1)
