"""How the RabbitMQ connection writes and reads: its frames coalesced per event-loop turn (see
amqp_failover), its hot inbound frames dispatched as they are read (amqp_inbound).

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
from bus.transport.amqp_inbound import FrameStreamReader, InboundFrames, InboundProtocol


class CoalescingTransportFactory(TransportFactory):
    """aiormq's plain TCP stream (asyncio.open_connection's) writing through a CoalescingTransport and
    reading through InboundFrames; amqps connections are opened by aiormq's own TLS factory, as they are.

    Its connections are opened one at a time (a robust connection's attempts follow each other):
    `take_frames` hands over the InboundFrames of the one opened last, for `bind`."""

    def __init__(self) -> None:
        self._frames: InboundFrames | None = None

    def take_frames(self) -> InboundFrames | None:
        """The InboundFrames of the connection opened last, once (None if taken, or if it was TLS)."""
        frames, self._frames = self._frames, None
        return frames

    async def create(self, url: URL, **kwargs: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if url.scheme == "amqps":
            return await TLSTransportFactory().create(url, **kwargs)
        self._frames = None
        kwargs.pop("ssl_context_provider", None)
        loop = asyncio.get_running_loop()
        reader = FrameStreamReader(limit=kwargs.pop("limit", 2**16), loop=loop)
        protocol = InboundProtocol(reader, loop)
        try:
            transport, _ = await loop.create_connection(
                lambda: protocol, url.host or "localhost", url.port or 5672, **kwargs
            )
        except OSError as error:
            raise aiormq.exceptions.AMQPConnectionError(*error.args) from error
        # Two turns: one connection carries many transactions, so a turn more gathers more of them.
        coalescing = CoalescingTransport(transport, loop, turns=2)
        self._frames = protocol.frames
        return reader, asyncio.StreamWriter(coalescing, protocol, reader, loop)
