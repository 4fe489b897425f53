"""A robust aio-pika connection over the nodes of a RabbitMQ cluster: aio-pika connects to one URL only.

aio-pika's RobustConnection reconnects by calling its `_on_connection_close` (for a lost connection and
for a failed attempt alike) and then connecting to `self.url` again. `FailoverConnection` moves `url` to
the next node in that callback, so each loss or failed attempt tries the next node of the list: the first
attempt after a loss is immediate, later ones `reconnect_interval` apart. Its robust channels then
restore what they declared (exchanges, queues, bindings, consumers) on the node reached: durable quorum
queues live on every node of the cluster, the exclusive reply queue is declared again under its name.
With one URL it is aio-pika's RobustConnection but for its socket, opened by a CoalescingTransportFactory
(amqp_connection) on every (re)connect: writes coalesced, the hot inbound frames dispatched as they are
read once each new aiormq connection is bound to its socket's frames, before its channels are restored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast

import aiormq
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aio_pika.robust_connection import RobustConnection
from yarl import URL

from bus.config_masking import hide_url_secrets
from bus.transport.amqp_connection import CoalescingTransportFactory

log = logging.getLogger(__name__)


class FailoverConnection(RobustConnection):
    """A robust connection that reconnects to the next of its `nodes` after each loss or failed attempt."""

    def __init__(self, nodes: Sequence[str], **kwargs: Any) -> None:
        if not nodes:
            raise ValueError("a failover connection needs at least one broker URL")
        self.nodes = tuple(URL(node) for node in nodes)
        self._current = 0
        super().__init__(self.nodes[0], **kwargs)
        # aio-pika turns unknown keyword arguments into URL query parameters, so the factory is set here.
        self._transport_factory = CoalescingTransportFactory()
        self.kwargs["transport_factory"] = self._transport_factory

    async def _on_connected(self) -> None:
        # Called after each (re)connect, before the robust channels are restored on it.
        frames = self._transport_factory.take_frames()
        if frames is not None and self.transport is not None:
            frames.bind(cast(aiormq.Connection, self.transport.connection))
        await super()._on_connected()

    async def _on_connection_close(self, closing: asyncio.Future[Any]) -> None:
        if not self.close_called:
            self._current = (self._current + 1) % len(self.nodes)
            self.url = self.nodes[self._current]
        await super()._on_connection_close(closing)


async def connect_failover(nodes: Sequence[str], *, timeout: float, **kwargs: Any) -> FailoverConnection:
    """A connection to the first of `nodes` that answers within `timeout` s, each tried once in order
    (the list rotated so that the one reached comes first); raises the last node's error if none does.

    `kwargs` go to the connection (client_properties, reconnect_interval)."""
    for start, node in enumerate(nodes):
        connection = FailoverConnection([*nodes[start:], *nodes[:start]], **kwargs)
        try:
            await connection.connect(timeout=timeout)
        except BaseException as error:
            # Closed whatever stopped the attempt (a caller's cancellation too): a robust connection left
            # open goes on reconnecting in a task that outlives its caller and ignores cancellation.
            await connection.close()
            if start == len(nodes) - 1 or not isinstance(error, CONNECTION_EXCEPTIONS):
                raise
            log.warning(
                "broker %s does not answer (%s: %s)", hide_url_secrets(node), type(error).__name__, error
            )
            continue
        return connection
    raise ValueError("a failover connection needs at least one broker URL")
