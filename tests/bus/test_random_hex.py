"""Random hex digits for ids: fresh in every call, every thread and every forked process."""

from __future__ import annotations

import os
import re
import threading

import pytest

from bus.envelope import TraceContext, new_id
from bus.random_hex import RandomHex


def test_ids_are_32_hex_digits_and_never_repeat_across_pages() -> None:
    ids = [new_id() for _ in range(5_000)]  # ≈ 20 pages of the pool
    assert all(re.fullmatch(r"[0-9a-f]{32}", one) for one in ids)
    assert len(set(ids)) == len(ids)


def test_a_new_trace_and_its_child_have_fresh_valid_ids() -> None:
    root = TraceContext.start()
    child = root.child()
    assert child.trace_id == root.trace_id
    assert child.traceparent.split("-")[2] != root.traceparent.split("-")[2]
    assert TraceContext(traceparent=child.traceparent) == child


def test_threads_drawing_at_once_never_get_the_same_digits() -> None:
    pool = RandomHex()
    drawn: list[list[str]] = [[] for _ in range(4)]

    def draw(into: list[str]) -> None:
        into.extend(pool.take(32) for _ in range(3_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [one for into in drawn for one in into]
    assert len(set(every)) == len(every) == 12_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_hand_out_its_parents_unused_digits() -> None:
    pool = RandomHex()
    pool.take(32)  # the parent now holds a page it has barely used
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writer, pool.take(32).encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    childs = os.read(reader, 64).decode()
    os.close(reader)
    assert len(childs) == 32
    assert childs != pool.take(32)


@pytest.mark.parametrize("count", [0, -1, 8193])
def test_a_count_outside_one_page_is_refused(count: int) -> None:
    with pytest.raises(ValueError, match="digits at a time"):
        RandomHex().take(count)
