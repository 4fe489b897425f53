"""`run_script`: a Lua script run by its digest, loaded when the server does not know it."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from bus.redis_client import run_script
from tests.store.conftest import bounded, delete_prefixed

pytestmark = pytest.mark.redis


async def test_a_script_unknown_to_the_server_is_loaded_and_run(redis_url: str) -> None:
    url, prefix = bounded(redis_url), f"lgsp-test:{uuid.uuid4().hex}:"
    client = aioredis.Redis.from_url(url)
    # A source of its own, so its digest is surely not cached on the shared server.
    script = client.register_script(f"-- {prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
    try:
        assert not (await client.script_exists(script.sha))[0]
        assert await run_script(client, script, [prefix + "n"], [2]) == 2
        assert (await client.script_exists(script.sha))[0]
        assert await run_script(client, script, [prefix + "n"], [3]) == 5
    finally:
        await client.aclose()
        await delete_prefixed(url, prefix)
