"""API keys: rotation windows from the catalog, and rotation at run time through the shared Store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bus.auth import KeyRing
from bus.catalog import Catalog, ClientSpec, hash_api_key
from bus.catalog.model import KeyWindow
from bus.identifiers import ClientId
from bus.store import Store
from tests.security.conftest import (
    STP_EXPIRED_KEY,
    STP_FUTURE_KEY,
    STP_KEY,
    STP_OLD_KEY,
    security_catalog,
)


def stp(catalog: Catalog) -> ClientSpec:
    client = catalog.client(ClientId.parse("VN/GOV/HPG/STP"))
    assert client is not None
    return client


def test_catalog_key_windows_allow_old_and_new_key_during_the_overlap_only() -> None:
    client = stp(security_catalog())
    assert client.key_matches(STP_KEY)
    assert client.key_matches(STP_OLD_KEY)
    assert not client.key_matches(STP_EXPIRED_KEY)
    assert not client.key_matches(STP_FUTURE_KEY)
    later = datetime.now(UTC) + timedelta(days=2)
    assert not client.key_matches(STP_OLD_KEY, at=later)
    assert client.key_matches(STP_FUTURE_KEY, at=later)


def test_a_window_for_a_key_the_client_does_not_list_is_a_catalog_error() -> None:
    with pytest.raises(ValidationError, match="not in api_key_sha256"):
        ClientSpec(
            id=ClientId.parse("VN/GOV/HPG/STP"),
            api_key_sha256=(hash_api_key("a"),),
            key_windows=(KeyWindow(sha256=hash_api_key("b")),),
        )


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValidationError, match="earlier than"):
        KeyWindow(sha256=hash_api_key("a"), not_before=now, not_after=now - timedelta(seconds=1))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_rotated_key_works_at_once_and_old_keys_only_until_the_overlap_ends(
    store_factory: Callable[[], Store],
) -> None:
    clock = Clock()
    replica_a = KeyRing(store_factory(), overlap=timedelta(hours=1), clock=clock)
    replica_b = KeyRing(store_factory(), overlap=timedelta(hours=1), clock=clock)
    client = stp(security_catalog())
    issued = await replica_a.rotate(client)
    assert issued.previous_keys_valid_until == clock.now + timedelta(hours=1)
    # Another gateway replica sees the new key and still accepts the old one.
    assert await replica_b.matches(client, issued.api_key)
    assert await replica_b.matches(client, STP_KEY)
    clock.now += timedelta(hours=1, seconds=1)
    assert await replica_b.matches(client, issued.api_key)
    assert not await replica_b.matches(client, STP_KEY)
    assert not await replica_b.matches(client, "anything else")


async def test_second_rotation_retires_the_first_rotated_key_after_its_overlap(store: Store) -> None:
    clock = Clock()
    ring = KeyRing(store, overlap=timedelta(minutes=10), clock=clock)
    client = stp(security_catalog())
    first = await ring.rotate(client)
    clock.now += timedelta(minutes=1)
    second = await ring.rotate(client)
    assert await ring.matches(client, first.api_key) and await ring.matches(client, second.api_key)
    clock.now += timedelta(minutes=11)
    assert not await ring.matches(client, first.api_key)
    assert await ring.matches(client, second.api_key)


async def test_the_store_never_holds_the_new_key_in_clear(store: Store) -> None:
    ring = KeyRing(store, overlap=timedelta(minutes=10))
    client = stp(security_catalog())
    issued = await ring.rotate(client)
    stored = await store.get("auth:keys:" + str(client.id))
    assert stored is not None
    assert issued.api_key.encode() not in stored
    assert hash_api_key(issued.api_key).encode() in stored
