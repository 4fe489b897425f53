"""`get_else_set_if_absent` through the store wrappers (the contract tests run it on memory and Redis):
each keeps its own outage rule for it, as for `set_if_absent`."""

from __future__ import annotations

import pytest

from bus.auth.tracked_reads import TrackedReads
from bus.errors import BusUnavailable
from bus.redis_tracking import TrackingListener, TrackingTarget
from bus.store import MemoryStore, Store
from bus.store.last_known import LastKnownStore
from bus.store.patient import PatientStore
from bus.store.write_behind import WriteBehindStore


class Blinking(MemoryStore):
    """A memory store whose next `refusals` operations are refused; `lose_reply` applies a refused
    get_else_set_if_absent first (its reply lost on the way back)."""

    def __init__(self, *, refusals: int = 0, lose_reply: bool = False) -> None:
        super().__init__()
        self.refusals = refusals
        self.lose_reply = lose_reply

    def _refuse(self) -> None:
        if self.refusals > 0:
            self.refusals -= 1
            raise BusUnavailable("blink")

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._refuse()
        await super().set(key, value, ttl=ttl)

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        if self.lose_reply and self.refusals > 0:
            await super().get_else_set_if_absent(found_key, key, value, ttl=ttl)
        self._refuse()
        return await super().get_else_set_if_absent(found_key, key, value, ttl=ttl)


@pytest.mark.parametrize("wrap", [PatientStore, WriteBehindStore, LastKnownStore])
async def test_a_wrapper_returns_the_found_value_or_writes_the_absent_key(wrap: type[Store]) -> None:
    inner = MemoryStore()
    store = wrap(inner)  # type: ignore[call-arg]
    assert await store.get_else_set_if_absent("done", "lease", b"me") == (None, True)
    assert await store.get_else_set_if_absent("done", "lease", b"you") == (None, False)
    await inner.set("done", b"reply")
    assert await store.get_else_set_if_absent("done", "lease", b"you") == (b"reply", False)
    assert await inner.get("lease") == b"me"


class HandDriven(TrackingListener):
    """A tracking listener that never connects: the test says when tracking is on."""

    def __init__(self) -> None:
        super().__init__("redis://127.0.0.1:1/0", ["x"])

    def start(self, target: TrackingTarget) -> None:
        """Nothing to start."""


async def test_tracked_reads_forget_a_kept_key_the_step_writes() -> None:
    inner = MemoryStore()
    store = TrackedReads(inner, HandDriven(), prefixes=("lease",), server_prefix="lgsp:")
    store.tracking_started()
    assert await store.get("lease") is None  # kept: absent
    assert await store.get_else_set_if_absent("done", "lease", b"me") == (None, True)
    assert await store.get("lease") == b"me"
    await inner.set("done", b"reply")
    assert await store.get_else_set_if_absent("done", "lease", b"you") == (b"reply", False)


@pytest.mark.parametrize("lose_reply", [False, True], ids=["refused", "reply-lost"])
async def test_patient_store_waits_out_a_blink_and_counts_its_own_landed_write_as_written(
    lose_reply: bool,
) -> None:
    inner = Blinking(refusals=1, lose_reply=lose_reply)
    store = PatientStore(inner, patience=5.0)
    assert await store.get_else_set_if_absent("done", "lease", b"me") == (None, True)
    assert store.waits == 1
    assert await inner.get("lease") == b"me"


async def test_write_behind_store_answers_from_a_held_write_and_treats_its_key_as_taken() -> None:
    inner = Blinking(refusals=2)
    store = WriteBehindStore(inner)
    await store.set("done", b"held reply")
    await store.set("lease", b"held lease")
    assert store.held == 2
    assert await store.get_else_set_if_absent("done", "other", b"me") == (b"held reply", False)
    assert await store.get_else_set_if_absent("none", "lease", b"me") == (None, False)
    assert await inner.get("other") is None
    await store.close()
