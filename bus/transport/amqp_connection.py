"""How the RabbitMQ connection writes: its frames coalesced per event-loop turn (see amqp_failover).

aiormq writes every frame (a publish, an ack) with its own socket write: 2.1 writes per echo
transaction in the worker, 3.1 in the gateway (with its HTTP response). Through a CoalescingTransport
the frames of one event-loop turn leave in one write, in the same order (0.4 and 1.4 writes); with two
turns gathered, fewer still.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiormq
from aiormq.connection import TLSTransportFactory, TransportFactory
from yarl import URL

from bus.coalesced_writes import CoalescingTransport


class CoalescingTransportFactory(TransportFactory):
    """aiormq's plain TCP stream (asyncio.open_connection's) writing through a CoalescingTransport;
    amqps connections are opened by aiormq's own TLS factory, uncoalesced."""

    async def create(self, url: URL, **kwargs: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if url.scheme == "amqps":
            return await TLSTransportFactory().create(url, **kwargs)
        kwargs.pop("ssl_context_provider", None)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=kwargs.pop("limit", 2**16), loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        try:
            transport, _ = await loop.create_connection(
                lambda: protocol, url.host or "localhost", url.port or 5672, **kwargs
            )
        except OSError as error:
            raise aiormq.exceptions.AMQPConnectionError(*error.args) from error
        # Two turns: one connection carries many transactions, so a turn more gathers more of them.
        coalescing = CoalescingTransport(transport, loop, turns=2)
        return reader, asyncio.StreamWriter(coalescing, protocol, reader, loop)
