"""FailoverConnection and connect_failover without a broker: the node order, and nothing left reconnecting."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from bus.transport.amqp_failover import FailoverConnection, connect_failover


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _reconnecting_tasks() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if "connection_factory" in repr(task.get_coro())]


@pytest.fixture
async def silent_node() -> AsyncIterator[str]:
    """A node that accepts TCP connections and never answers (a hung broker)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"amqp://guest:guest@127.0.0.1:{port}/"
    for writer in held:
        writer.transport.abort()
    server.close()
    with contextlib.suppress(Exception):
        await server.wait_closed()


async def test_each_loss_or_failed_attempt_moves_to_the_next_node_round_the_list() -> None:
    connection = FailoverConnection(
        ["amqp://rabbit-1:5672/", "amqp://rabbit-2:5672/", "amqp://rabbit-3:5672/"]
    )
    seen = [connection.url.host]
    for _ in range(3):
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lost.set_exception(ConnectionResetError("node gone"))
        await connection._on_connection_close(lost)
        seen.append(connection.url.host)
    assert seen == ["rabbit-1", "rabbit-2", "rabbit-3", "rabbit-1"]
    await connection.close()


async def test_no_node_answering_raises_the_last_error_and_leaves_nothing_reconnecting() -> None:
    nodes = [f"amqp://guest:guest@127.0.0.1:{_free_port()}/" for _ in range(2)]
    with pytest.raises(CONNECTION_EXCEPTIONS):
        await connect_failover(nodes, timeout=2, reconnect_interval=0.05)
    assert _reconnecting_tasks() == []


async def test_a_hung_node_is_given_up_after_the_timeout_for_the_next(silent_node: str) -> None:
    refused = f"amqp://guest:guest@127.0.0.1:{_free_port()}/"
    started = asyncio.get_running_loop().time()
    with pytest.raises(CONNECTION_EXCEPTIONS):
        await connect_failover([silent_node, refused], timeout=0.3, reconnect_interval=0.05)
    assert asyncio.get_running_loop().time() - started < 5
    assert _reconnecting_tasks() == []


async def test_a_connect_cancelled_by_its_caller_leaves_nothing_reconnecting(silent_node: str) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(connect_failover([silent_node], timeout=30, reconnect_interval=0.05), 0.2)
    assert _reconnecting_tasks() == []
