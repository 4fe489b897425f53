"""The gateway's own Redis clients (the transaction log's, the rate limiter's) write commands on the bus's
prompt connections (`prompt_writes`), as the store's and monitoring's do, and still answer as before."""

from __future__ import annotations

import uuid

import pytest

from bus.gateway.ratelimit import Quota, RedisRateLimiter
from bus.redis_client import PromptConnection, PromptSSLConnection, PromptUnixConnection
from bus.txlog import RedisTransactionLog, TxLogSettings
from tests.store.conftest import bounded, delete_prefixed
from tests.txlog.conftest import make_record


@pytest.mark.parametrize(
    ("url", "chosen"),
    [
        ("redis://127.0.0.1:6379/0", PromptConnection),
        ("rediss://127.0.0.1:6380/0", PromptSSLConnection),
        ("unix:///run/redis.sock?db=0", PromptUnixConnection),
    ],
)
def test_the_transaction_log_s_client_makes_prompt_connections(url: str, chosen: type) -> None:
    log = RedisTransactionLog(TxLogSettings(redis_url=url))
    assert log._redis().connection_pool.connection_class is chosen  # made lazily: nothing connected yet


@pytest.mark.redis
async def test_the_transaction_log_appends_and_reads_through_prompt_connections(redis_url: str) -> None:
    url, key = bounded(redis_url), f"lgsp-test:{uuid.uuid4().hex}:log"
    log = RedisTransactionLog(TxLogSettings(redis_url=url, stream_key=key))
    try:
        entries = [await log.append(make_record(n)) for n in (1, 2)]
        assert [e.sequence for e in entries] == [1, 2]
        assert (await log.verify()).ok
        assert log._redis().connection_pool.connection_class is PromptConnection
    finally:
        await log.close()
        await delete_prefixed(url, key)


@pytest.mark.redis
async def test_the_rate_limiter_takes_and_refuses_through_prompt_connections(redis_url: str) -> None:
    url, prefix = bounded(redis_url), f"lgsp-test:{uuid.uuid4().hex}:rate:"
    limiter = RedisRateLimiter(url, prefix=prefix)
    quota = [Quota(key="client", rate=0.001, burst=2)]
    try:
        waits = [await limiter.acquire(quota) for _ in range(3)]
        assert waits[:2] == [0.0, 0.0] and waits[2] > 0  # the burst, then a wait
        assert limiter._client is not None
        assert limiter._client.connection_pool.connection_class is PromptConnection
        assert limiter.local_decisions == 0
    finally:
        await limiter.close()
        await delete_prefixed(url, prefix)


@pytest.mark.redis
async def test_the_rate_limiter_loads_its_script_again_when_the_server_lost_it(redis_url: str) -> None:
    url, prefix = bounded(redis_url), f"lgsp-test:{uuid.uuid4().hex}:rate:"
    limiter = RedisRateLimiter(url, prefix=prefix)
    quota = [Quota(key="client", rate=0.001, burst=1)]
    try:
        assert await limiter.acquire(quota) == 0.0
        assert limiter._script is not None
        sha, limiter._script.sha = limiter._script.sha, "0" * 40  # a sha the server does not know
        assert await limiter.acquire(quota) > 0  # run again after loading: the bucket is empty
        assert limiter._script.sha == sha and limiter.local_decisions == 0
    finally:
        await limiter.close()
        await delete_prefixed(url, prefix)
