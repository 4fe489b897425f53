"""Fixtures of the security tests: a catalog with keys in rotation, auth settings, stores to share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bus.auth import AuthSettings
from bus.catalog import Catalog, hash_api_key
from bus.store import MemoryStore, RedisStore, Store
from tests.store.conftest import bounded, delete_prefixed

STP_KEY = "stp-current-key"
STP_OLD_KEY = "stp-old-key-in-overlap"
STP_EXPIRED_KEY = "stp-expired-key"
STP_FUTURE_KEY = "stp-not-yet-valid-key"
OTHER_KEY = "other-client-key"
READER_KEY = "reader-client-key"
ADMIN_KEY = "admin-key-for-tests"
TOKEN_SECRET = "s" * 40
MONITORING_TOKEN = "monitoring-token-for-tests"
NOW = datetime.now(UTC)


def security_catalog(subsystem: str = "SEC") -> Catalog:
    """STP with keys before, during and after a rotation; OTHER with no right; READER with GET on /records;
    Echo takes POST alone; Slow (STP only) is served slowly by `secured_stack`."""
    return Catalog.model_validate(
        {
            "adapters": {"echo": {}, "slow": {}},
            "clients": [
                {
                    "id": "VN/GOV/HPG/STP",
                    "groups": ["province"],
                    "api_key_sha256": [
                        hash_api_key(k) for k in (STP_KEY, STP_OLD_KEY, STP_EXPIRED_KEY, STP_FUTURE_KEY)
                    ],
                    "key_windows": [
                        {"sha256": hash_api_key(STP_OLD_KEY), "not_after": NOW + timedelta(days=1)},
                        {"sha256": hash_api_key(STP_EXPIRED_KEY), "not_after": NOW - timedelta(days=1)},
                        {"sha256": hash_api_key(STP_FUTURE_KEY), "not_before": NOW + timedelta(days=1)},
                    ],
                },
                {"id": "VN/GOV/HPG/OTHER", "api_key_sha256": [hash_api_key(OTHER_KEY)]},
                {
                    "id": "VN/GOV/HPG/READER",
                    "groups": ["readers"],
                    "api_key_sha256": [hash_api_key(READER_KEY)],
                },
            ],
            "services": [
                {
                    "id": f"VN/GOV/HPG/{subsystem}/Echo/v1",
                    "adapter": "echo",
                    "allow": ["group:province"],
                    "methods": ["POST"],
                },
                {"id": f"VN/GOV/HPG/{subsystem}/Records/v1", "adapter": "echo", "allow": ["VN/GOV/HPG/STP"]},
                {"id": f"VN/GOV/HPG/{subsystem}/Slow/v1", "adapter": "slow", "allow": ["VN/GOV/HPG/STP"]},
            ],
            "grants": [
                {
                    "to": "group:readers",
                    "service": f"VN/GOV/HPG/{subsystem}/Records/v1",
                    "methods": ["GET"],
                    "path_prefix": "records",
                }
            ],
        }
    )


def auth_settings(**changes: object) -> AuthSettings:
    """Settings with a known token secret and admin key (no environment involved)."""
    values: dict[str, object] = {
        "token_secret": SecretStr(TOKEN_SECRET),
        "admin_key_sha256": (hash_api_key(ADMIN_KEY),),
        "monitoring_token_sha256": (hash_api_key(MONITORING_TOKEN),),
        "token_ttl_seconds": 60,
        "key_overlap_seconds": 3600,
    }
    values.update(changes)
    return AuthSettings.model_validate(values)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store_factory(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Store]]:
    """Makes stores that share state the way gateway replicas do (one dict, or one Redis prefix)."""
    if request.param == "memory":
        shared = MemoryStore()
        yield lambda: shared
        return
    url = bounded(request.getfixturevalue("redis_url"))
    prefix = f"lgsp-test:{uuid.uuid4().hex}:"
    made: list[Store] = []

    def make() -> Store:
        made.append(RedisStore(url, prefix=prefix))
        return made[-1]

    yield make
    for store in made:
        await store.close()
    await delete_prefixed(url, prefix)


@pytest.fixture
async def store(store_factory: Callable[[], Store]) -> Store:
    """One store (memory or Redis)."""
    made = store_factory()
    await made.connect()
    return made
