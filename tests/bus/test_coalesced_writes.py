"""CoalescingTransport: the writes of a loop turn (or of two) reach the real transport as one write, in
order."""

from __future__ import annotations

import asyncio

from bus.coalesced_writes import CoalescingTransport


class RecordingTransport(asyncio.Transport):
    """A transport that records what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self.events.append("write")

    def close(self) -> None:
        self.closing = True
        self.events.append("close")

    def abort(self) -> None:
        self.closing = True
        self.events.append("abort")

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7


async def test_writes_of_one_turn_leave_in_one_write_at_the_next_turn_in_order() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
    coalescing.writelines([b"{", b"}"])
    coalescing.write(b"")
    assert real.writes == []
    assert coalescing.get_write_buffer_size() == 7 + 21
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    coalescing.write(b"next")
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"next"]


async def test_with_two_turns_the_writes_of_a_turn_and_the_next_leave_in_one_write_in_order() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop(), turns=2)
    coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
    coalescing.writelines([b"{", b"}"])
    coalescing.write(b"")
    assert real.writes == []
    assert coalescing.get_write_buffer_size() == 7 + 21
    await asyncio.sleep(0)
    assert real.writes == []  # the next turn still gathers
    coalescing.write(b"more")
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}more"]
    coalescing.write(b"next")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}more", b"next"]


async def test_a_mutable_buffer_is_copied_when_written() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    buffer = bytearray(b"frame")
    coalescing.write(buffer)
    buffer[:] = b"xxxxx"
    await asyncio.sleep(0)
    assert real.writes == [b"frame"]


async def test_close_writes_what_was_kept_before_closing_and_abort_drops_it() -> None:
    loop = asyncio.get_running_loop()
    closed, aborted = RecordingTransport(), RecordingTransport()
    for real in (closed, aborted):
        coalescing = CoalescingTransport(real, loop)
        coalescing.write(b"last words")
        if real is closed:
            coalescing.close()
        else:
            coalescing.abort()
    await asyncio.sleep(0)
    assert (closed.events, closed.writes) == (["write", "close"], [b"last words"])
    assert (aborted.events, aborted.writes) == (["abort"], [])
