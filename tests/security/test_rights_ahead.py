"""A right checked while its caller is authenticated (`AccessControl.check_ahead`): the same answers, the
same refusals in the same order, the rights' read sharing the key's round trip on Redis."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from bus.catalog.model import EndpointGrant
from bus.errors import AccessDenied, MethodNotAllowed, Unauthenticated
from bus.gateway.access import API_KEY_HEADER, AUTHORIZATION_HEADER, CLIENT_HEADER, AccessControl
from bus.identifiers import ServiceId
from bus.store import MemoryStore, RedisStore, Store
from bus.store.last_known import LastKnownStore
from bus.store.patient import PatientStore
from bus.store.write_behind import WriteBehindStore
from tests.security.conftest import OTHER_KEY, READER_KEY, STP_KEY, auth_settings, security_catalog
from tests.store.conftest import bounded, delete_prefixed

ECHO = ServiceId.parse("VN/GOV/HPG/SEC/Echo/v1")
RECORDS = ServiceId.parse("VN/GOV/HPG/SEC/Records/v1")
STP = {CLIENT_HEADER: "VN/GOV/HPG/STP", API_KEY_HEADER: STP_KEY}


def reading_ahead(store: Store) -> AccessControl:
    access = AccessControl.build(security_catalog(), store, auth_settings())
    access.read_ahead = True  # a memory store never waits, so `build` leaves it off there
    return access


async def admit(
    access: AccessControl, headers: dict[str, str], service_id: ServiceId, method: str, path: str = ""
) -> str:
    """As the router does it: the right started first, then the key and the right taken in order."""
    ahead = access.check_ahead(headers, service_id, method, path)
    if ahead is not None:
        await asyncio.sleep(0)
    try:
        client = await access.authenticate(headers)
        service = await access.authorize(client, service_id, method, path, ahead=ahead)
    finally:
        if ahead is not None:
            ahead.discard()
    return f"{client.id} {service.id}"


def test_a_memory_store_reads_nothing_ahead() -> None:
    access = AccessControl.build(security_catalog(), MemoryStore(), auth_settings())
    assert not access.read_ahead
    assert access.check_ahead(STP, ECHO, "POST", "") is None


def test_a_store_wrapper_reads_locally_as_the_store_it_wraps() -> None:
    remote = RedisStore("redis://127.0.0.1:1/0")  # never connected
    for wrap in (LastKnownStore, PatientStore, WriteBehindStore):
        assert wrap(MemoryStore()).reads_are_local
        assert not wrap(remote).reads_are_local
    assert AccessControl.build(security_catalog(), LastKnownStore(remote), auth_settings()).read_ahead


async def test_only_an_api_key_call_of_a_known_client_and_service_is_checked_ahead(store: Store) -> None:
    access = reading_ahead(store)
    bearer = {**STP, AUTHORIZATION_HEADER: "Bearer x"}
    assert access.check_ahead(bearer, ECHO, "POST", "") is None
    assert access.check_ahead({CLIENT_HEADER: "VN/GOV/HPG/STP"}, ECHO, "POST", "") is None
    assert access.check_ahead({**STP, CLIENT_HEADER: "VN/GOV/HPG/NOBODY"}, ECHO, "POST", "") is None
    assert access.check_ahead({**STP, CLIENT_HEADER: "not/a client"}, ECHO, "POST", "") is None
    assert access.check_ahead(STP, ServiceId.parse("VN/GOV/HPG/SEC/Ghost/v1"), "POST", "") is None
    ahead = access.check_ahead(STP, ECHO, "POST", "")
    assert ahead is not None and await ahead.permitted


async def test_answers_and_refusals_are_those_of_the_plain_checks(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    access = reading_ahead(store)
    assert await admit(access, STP, ECHO, "POST") == f"VN/GOV/HPG/STP {ECHO}"
    reader = {CLIENT_HEADER: "VN/GOV/HPG/READER", API_KEY_HEADER: READER_KEY}
    assert await admit(access, reader, RECORDS, "GET", "records/7") == f"VN/GOV/HPG/READER {RECORDS}"
    with pytest.raises(AccessDenied):
        await admit(access, reader, RECORDS, "POST", "records/7")
    with pytest.raises(MethodNotAllowed):
        await admit(access, STP, ECHO, "GET")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bus.gateway.access"):
        # A wrong key with no right either: refused as unauthenticated, and no denial is logged.
        with pytest.raises(Unauthenticated):
            await admit(access, {CLIENT_HEADER: "VN/GOV/HPG/OTHER", API_KEY_HEADER: "wrong"}, ECHO, "POST")
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["authentication refused"]
    with pytest.raises(AccessDenied):
        await admit(access, {CLIENT_HEADER: "VN/GOV/HPG/OTHER", API_KEY_HEADER: OTHER_KEY}, ECHO, "POST")


async def test_a_right_granted_or_revoked_before_the_call_counts(store: Store) -> None:
    access = reading_ahead(store)
    other = {CLIENT_HEADER: "VN/GOV/HPG/OTHER", API_KEY_HEADER: OTHER_KEY}
    grant = EndpointGrant.model_validate({"to": "VN/GOV/HPG/OTHER", "service": str(ECHO)})
    assert await access.rights.grant(grant)
    assert await admit(access, other, ECHO, "POST") == f"VN/GOV/HPG/OTHER {ECHO}"
    assert await access.rights.revoke(grant)
    with pytest.raises(AccessDenied):
        await admit(access, other, ECHO, "POST")


async def test_an_early_check_of_another_call_is_not_taken(store: Store) -> None:
    access = reading_ahead(store)
    reader = {CLIENT_HEADER: "VN/GOV/HPG/READER", API_KEY_HEADER: READER_KEY}
    allowed = access.check_ahead(reader, RECORDS, "GET", "records/7")
    assert allowed is not None and await allowed.permitted
    client = await access.authenticate(reader)
    with pytest.raises(AccessDenied):  # the method differs: checked anew
        await access.authorize(client, RECORDS, "POST", "records/7", ahead=allowed)
    with pytest.raises(AccessDenied):  # the path differs
        await access.authorize(client, RECORDS, "GET", "admin", ahead=allowed)


@pytest.mark.redis
async def test_on_redis_the_key_and_the_right_are_read_in_one_round_trip(redis_url: str) -> None:
    url, prefix = bounded(redis_url), f"lgsp-test:{uuid.uuid4().hex}:"
    store = RedisStore(url, prefix=prefix)
    try:
        access = AccessControl.build(security_catalog(), store, auth_settings())
        assert access.read_ahead
        await admit(access, STP, ECHO, "POST")
        assert store.read_calls == 1
        client = await access.authenticate(STP)
        await access.authorize(client, ECHO, "POST", "")
        assert store.read_calls == 3  # without the early check: one round trip each
    finally:
        await store.close()
        await delete_prefixed(url, prefix)
