"""The parsed client-id memo of AccessControl is only a cache: bounded, and never a different answer."""

from __future__ import annotations

import pytest

from bus.errors import BadRequest, Unauthenticated
from bus.gateway.access import API_KEY_HEADER, CLIENT_HEADER, CLIENT_MEMO_SIZE, AccessControl
from bus.store import MemoryStore
from tests.security.conftest import STP_KEY, auth_settings, security_catalog

STP = "VN/GOV/HPG/STP"


async def test_a_flood_of_distinct_client_ids_keeps_the_memo_bounded_and_the_answers_right() -> None:
    access = AccessControl.build(security_catalog(), MemoryStore(), auth_settings())
    assert str((await access.authenticate({CLIENT_HEADER: STP, API_KEY_HEADER: STP_KEY})).id) == STP
    for n in range(CLIENT_MEMO_SIZE + 10):
        with pytest.raises(Unauthenticated):
            await access.authenticate({CLIENT_HEADER: f"VN/GOV/HPG/NOBODY{n}", API_KEY_HEADER: STP_KEY})
    assert len(access._client_ids) <= CLIENT_MEMO_SIZE
    assert str((await access.authenticate({CLIENT_HEADER: STP, API_KEY_HEADER: STP_KEY})).id) == STP
    with pytest.raises(Unauthenticated):
        await access.authenticate({CLIENT_HEADER: STP, API_KEY_HEADER: "wrong"})


async def test_a_malformed_client_id_is_refused_every_time_it_is_sent() -> None:
    access = AccessControl.build(security_catalog(), MemoryStore(), auth_settings())
    for _ in range(2):
        with pytest.raises(BadRequest):
            await access.authenticate({CLIENT_HEADER: "not/a client", API_KEY_HEADER: STP_KEY})
