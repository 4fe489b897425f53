"""One socket write per event-loop turn (or two): a transport proxy that gathers what a turn writes.

A write syscall on loopback TCP costs tens of microseconds here (it runs the receiver's TCP stack
too), and the bus wrote several small pieces per transaction: uvicorn a response's head and its body
apart, aiormq every AMQP frame (a publish, an ack) on its own. `CoalescingTransport` keeps the bytes
written during one turn of the loop and hands them to the real transport in one write at the next
turn, in order. With `turns=2` it gathers one turn more, in which the loop polls its sockets once
again and what the work it wakes writes joins the write: worth it on a connection that many
transactions share (AMQP: broker −25 %, transport −12 % CPU per request/reply), for one turn of
latency. Closing flushes first, aborting drops what an abort drops anyway.
"""

from __future__ import annotations

import asyncio
from typing import Any


class CoalescingTransport(asyncio.Transport):
    """Proxy of `transport` whose writes of `turns` loop turns (1 or 2) reach the socket as one write."""

    def __init__(
        self, transport: asyncio.WriteTransport, loop: asyncio.AbstractEventLoop, *, turns: int = 1
    ) -> None:
        super().__init__()
        if turns not in (1, 2):
            raise ValueError(f"turns must be 1 or 2, got {turns!r}")
        self._transport = transport
        self._loop = loop
        self._turns = turns
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Keep `data` (copied if mutable) for the coming write."""
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush if self._turns == 1 else self._flush_next_turn)
        chunk = data if type(data) is bytes else bytes(data)
        self._pending.append(chunk)
        self._size += len(chunk)

    def writelines(self, list_of_data: Any) -> None:
        """Keep every piece for the coming write."""
        for data in list_of_data:
            self.write(data)

    def _flush_next_turn(self) -> None:
        self._loop.call_soon(self.flush)

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
