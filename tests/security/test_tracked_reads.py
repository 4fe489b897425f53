"""Authentication's reads kept in memory while Redis tracks them (`TrackedReads`, `TrackingListener`): a
changed or revoked key or right holds at once here, and as soon as Redis announces it elsewhere; nothing
is kept that may have missed an announcement."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import pytest

from bus.auth.tracked_reads import TRACKED_PREFIXES, TrackedReads, tracked_auth_reads
from bus.catalog.model import EndpointGrant
from bus.errors import AccessDenied, Unauthenticated
from bus.gateway.access import API_KEY_HEADER, CLIENT_HEADER, AccessControl
from bus.identifiers import ClientId, ServiceId
from bus.redis_tracking import TrackingListener, TrackingTarget
from bus.store import MemoryStore, RedisStore
from tests.security.conftest import OTHER_KEY, STP_KEY, auth_settings, security_catalog
from tests.store.conftest import bounded, delete_prefixed
from tests.support.fault_proxy import proxy_to

ECHO = ServiceId.parse("VN/GOV/HPG/SEC/Echo/v1")
STP = {CLIENT_HEADER: "VN/GOV/HPG/STP", API_KEY_HEADER: STP_KEY}
OTHER = {CLIENT_HEADER: "VN/GOV/HPG/OTHER", API_KEY_HEADER: OTHER_KEY}
RIGHTS = TRACKED_PREFIXES[1]


class IdleListener(TrackingListener):
    """A listener the test drives by hand (calling the target's methods): it never connects."""

    def __init__(self) -> None:
        super().__init__("redis://127.0.0.1:1/0", ["x"])

    def start(self, target: TrackingTarget) -> None:
        """Nothing to start."""


class HeldStore(MemoryStore):
    """A memory store whose next read waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.hold: asyncio.Event | None = None

    async def get(self, key: str) -> bytes | None:
        self.reads += 1
        value = await super().get(key)
        if self.hold is not None:
            await self.hold.wait()
        return value


def kept(store: HeldStore) -> TrackedReads:
    return TrackedReads(store, IdleListener(), prefixes=TRACKED_PREFIXES, server_prefix="lgsp:")


async def read_while(reads: TrackedReads, store: HeldStore, event: Callable[[], object]) -> None:
    """Read the rights key with `event` happening while the read is under way."""
    store.hold = asyncio.Event()
    read = asyncio.ensure_future(reads.get(RIGHTS))
    await asyncio.sleep(0)
    event()
    store.hold.set()
    await read
    store.hold = None


async def test_nothing_is_kept_before_tracking_starts_nor_after_it_is_lost() -> None:
    store = HeldStore()
    reads = kept(store)
    await reads.get(RIGHTS)
    await reads.get(RIGHTS)
    assert store.reads == 2
    reads.tracking_started()
    await reads.get(RIGHTS)
    await reads.get(RIGHTS)
    assert (store.reads, reads.hits) == (3, 1)
    reads.tracking_lost()
    await reads.get(RIGHTS)
    await reads.get(RIGHTS)
    assert store.reads == 5


async def test_only_the_tracked_prefixes_are_kept() -> None:
    store = HeldStore()
    reads = kept(store)
    reads.tracking_started()
    for _ in range(2):
        await reads.get("idempotency:x")
        await reads.get(TRACKED_PREFIXES[0] + "VN/GOV/HPG/STP")
    assert store.reads == 3


@pytest.mark.parametrize(
    "event",
    [
        lambda reads: reads.invalidated(["lgsp:auth:keys:someone-else"]),
        lambda reads: reads.invalidated(None),
        lambda reads: (reads.tracking_lost(), reads.tracking_started()),
    ],
    ids=["announcement", "flush", "reconnection"],
)
async def test_a_read_under_way_when_something_is_announced_is_not_kept(
    event: Callable[[TrackedReads], object],
) -> None:
    store = HeldStore()
    reads = kept(store)
    reads.tracking_started()
    await read_while(reads, store, lambda: event(reads))
    await reads.get(RIGHTS)
    assert store.reads == 2  # the value read across the announcement may predate it: read again


async def test_an_announced_key_and_a_flush_are_forgotten() -> None:
    store = HeldStore()
    reads = kept(store)
    reads.tracking_started()
    await store.set(RIGHTS, b"old")
    assert await reads.get(RIGHTS) == b"old"
    await store.set(RIGHTS, b"new")  # behind the wrapper's back, as another gateway would
    assert await reads.get(RIGHTS) == b"old"
    reads.invalidated(["lgsp:" + RIGHTS])
    assert await reads.get(RIGHTS) == b"new"
    await store.set(RIGHTS, b"newer")
    reads.invalidated(None)
    assert await reads.get(RIGHTS) == b"newer"


async def test_a_write_through_it_is_read_back_at_once() -> None:
    reads = kept(HeldStore())
    reads.tracking_started()
    assert await reads.get(RIGHTS) is None
    await reads.set(RIGHTS, b"granted")
    assert await reads.get(RIGHTS) == b"granted"
    await reads.delete(RIGHTS)
    assert await reads.get(RIGHTS) is None


def test_a_memory_store_is_not_wrapped() -> None:
    store = MemoryStore()
    assert tracked_auth_reads(store, "memory://") is store


# --- on Redis ---


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"lgsp-test:{uuid.uuid4().hex}:"
    yield prefix
    await delete_prefixed(bounded(redis_url), prefix)


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Wait (up to 5 s) until `check` holds; a bound against hanging, not a timing assertion."""
    for _ in range(500):
        held = check()
        if await held if inspect.isawaitable(held) else held:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@asynccontextmanager
async def tracking(
    url: str, prefix: str, *, listener_url: str | None = None, ping: float = 1.0
) -> AsyncIterator[TrackedReads]:
    """Reads of a Redis store under `prefix`, tracked (through `listener_url` if given) and started;
    closed afterwards."""
    store = RedisStore(url, prefix=prefix)
    listener = TrackingListener(
        listener_url or url, [prefix + p for p in TRACKED_PREFIXES], ping_seconds=ping
    )
    reads = TrackedReads(store, listener, prefixes=TRACKED_PREFIXES, server_prefix=prefix)
    await reads.connect()
    try:
        await started(reads)
        yield reads
    finally:
        await reads.close()


async def started(reads: TrackedReads) -> None:
    await eventually(lambda: reads.tracking, "tracking started")


async def admit(access: AccessControl, headers: dict[str, str]) -> None:
    client = await access.authenticate(headers)
    await access.authorize(client, ECHO, "POST", "")


async def refused(access: AccessControl, headers: dict[str, str], errors: Sequence[type[Exception]]) -> bool:
    try:
        await admit(access, headers)
    except tuple(errors):
        return True
    return False


@pytest.mark.redis
async def test_on_redis_a_call_reads_nothing_from_redis_once_its_key_and_right_are_kept(
    redis_url: str, prefix: str
) -> None:
    url = bounded(redis_url)
    # The listener speaks RESP2 whatever the URL asks.
    async with tracking(url, prefix, listener_url=f"{url}&protocol=3") as reads:
        access = AccessControl.build(security_catalog(), reads, auth_settings())
        assert not access.read_ahead  # reads are answered here: nothing to read ahead
        await admit(access, STP)
        store = reads.store
        assert isinstance(store, RedisStore)
        before = store.read_calls
        for _ in range(3):
            await admit(access, STP)
        assert store.read_calls == before


@pytest.mark.redis
async def test_on_redis_a_right_revoked_or_a_key_retired_by_another_gateway_is_refused_here(
    redis_url: str, prefix: str
) -> None:
    url = bounded(redis_url)
    elsewhere = RedisStore(url, prefix=prefix)  # another gateway's admin path, on the same Redis
    try:
        async with tracking(url, prefix) as reads:
            here = AccessControl.build(security_catalog(), reads, auth_settings(key_overlap_seconds=0))
            there = AccessControl.build(security_catalog(), elsewhere, auth_settings(key_overlap_seconds=0))
            grant = EndpointGrant.model_validate({"to": "VN/GOV/HPG/OTHER", "service": str(ECHO)})
            assert await there.rights.grant(grant)
            await eventually(lambda: _not(refused(here, OTHER, [AccessDenied])), "the grant seen here")
            await admit(here, OTHER)  # now kept
            assert await there.rights.revoke(grant)
            await eventually(lambda: refused(here, OTHER, [AccessDenied]), "the revocation seen here")

            await admit(here, STP)  # the key kept
            client = here.catalog.client(ClientId.parse(STP[CLIENT_HEADER]))
            assert client is not None
            await there.keyring.rotate(client)  # no overlap: the catalog key stops now
            await eventually(lambda: refused(here, STP, [Unauthenticated]), "the retired key refused here")
    finally:
        await elsewhere.close()


async def _not(check: Awaitable[bool]) -> bool:
    return not await check


@pytest.mark.redis
async def test_on_redis_a_revocation_through_this_gateway_holds_for_its_next_call(
    redis_url: str, prefix: str
) -> None:
    async with tracking(bounded(redis_url), prefix) as reads:
        access = AccessControl.build(security_catalog(), reads, auth_settings())
        grant = EndpointGrant.model_validate({"to": "VN/GOV/HPG/OTHER", "service": str(ECHO)})
        assert await access.rights.grant(grant)
        await admit(access, OTHER)
        await admit(access, OTHER)
        assert await access.rights.revoke(grant)
        with pytest.raises(AccessDenied):
            await admit(access, OTHER)


@pytest.mark.redis
async def test_on_redis_a_lost_tracking_connection_forgets_everything_until_it_is_back(
    redis_url: str, prefix: str
) -> None:
    url = bounded(redis_url)
    writer = RedisStore(url, prefix=prefix)
    try:
        async with proxy_to(url, 6379) as proxy, tracking(url, prefix, listener_url=proxy.url(url)) as reads:
            await writer.set(RIGHTS, b"v1")
            await eventually(lambda: _equal(reads.get(RIGHTS), b"v1"), "v1 read")
            proxy.cut()
            await eventually(lambda: not reads.tracking, "tracking lost")
            await writer.set(RIGHTS, b"v2")  # unannounced: the connection is down
            assert await reads.get(RIGHTS) == b"v2"  # forgotten: read from Redis
            hits = reads.hits
            await reads.get(RIGHTS)
            assert reads.hits == hits  # and not kept while untracked
            proxy.restore()
            await started(reads)
            await reads.get(RIGHTS)
            assert await reads.get(RIGHTS) == b"v2" and reads.hits == hits + 1
    finally:
        await writer.close()


@pytest.mark.redis
async def test_on_redis_a_silent_tracking_connection_counts_as_lost(redis_url: str, prefix: str) -> None:
    url = bounded(redis_url)
    async with (
        proxy_to(url, 6379) as proxy,
        tracking(url, prefix, listener_url=proxy.url(url), ping=0.05) as reads,
    ):
        await reads.get(RIGHTS)
        proxy.black_hole()  # packets dropped, no reset: only the unanswered ping tells
        await eventually(lambda: not reads.tracking, "tracking lost")
        assert await reads.get(RIGHTS) is None and reads.hits == 0


async def _equal(value: Awaitable[bytes | None], expected: bytes) -> bool:
    return await value == expected


@pytest.mark.redis
async def test_on_redis_tracking_refused_by_the_server_leaves_every_read_to_redis(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = bounded(redis_url)
    # Redis refuses overlapping BCAST prefixes, as a server without tracking refuses the command.
    listener = TrackingListener(url, [prefix + "auth:", prefix + "auth:keys:"])
    reads = TrackedReads(
        RedisStore(url, prefix=prefix), listener, prefixes=TRACKED_PREFIXES, server_prefix=prefix
    )
    await reads.connect()
    try:
        await eventually(lambda: "not started" in caplog.text, "the refusal logged")
        for _ in range(3):
            assert await reads.get(RIGHTS) is None
        assert not reads.tracking and reads.hits == 0
    finally:
        await reads.close()
