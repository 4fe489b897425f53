"""The fault proxy itself: forwards, cuts, refuses, black-holes and restores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.fault_proxy import FaultProxy


@pytest.fixture
async def echo_proxy() -> AsyncIterator[FaultProxy]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    proxy = FaultProxy("127.0.0.1", server.sockets[0].getsockname()[1])
    await proxy.start()
    yield proxy
    await proxy.stop()
    server.close()


async def _round_trip(port: int, data: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), 1.0)
    finally:
        writer.close()


async def test_open_proxy_forwards_both_ways(echo_proxy: FaultProxy) -> None:
    assert await _round_trip(echo_proxy.port) == b"ping"


async def test_cut_closes_open_connections_and_refuses_new_ones_until_restored(
    echo_proxy: FaultProxy,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", echo_proxy.port)
    writer.write(b"a")
    assert await asyncio.wait_for(reader.read(10), 1.0) == b"a"
    echo_proxy.cut()
    assert await asyncio.wait_for(reader.read(10), 1.0) == b""  # closed under the client
    with pytest.raises((ConnectionError, asyncio.TimeoutError)):
        await _round_trip(echo_proxy.port)
    echo_proxy.restore()
    assert await _round_trip(echo_proxy.port) == b"ping"


async def test_black_hole_accepts_but_forwards_nothing(echo_proxy: FaultProxy) -> None:
    echo_proxy.black_hole()
    with pytest.raises(asyncio.TimeoutError):
        await _round_trip(echo_proxy.port)
    echo_proxy.restore()
    assert await _round_trip(echo_proxy.port) == b"ping"


async def test_delay_slows_each_chunk(echo_proxy: FaultProxy) -> None:
    echo_proxy.delay = 0.2
    started = asyncio.get_running_loop().time()
    assert await _round_trip(echo_proxy.port) == b"ping"
    assert asyncio.get_running_loop().time() - started >= 0.4  # delayed going and coming back
