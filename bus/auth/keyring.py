"""API keys: the catalog's, plus those rotated at run time and kept (hashed) in the shared Store."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ValidationError

from bus.auth.lease import StoreLease
from bus.catalog import ClientSpec, hash_api_key
from bus.catalog.model import KeyWindow
from bus.errors import InternalError
from bus.store.base import Store

KEYS_PREFIX = "auth:keys:"
LOCK_PREFIX = "auth:lock:keys:"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RotatedKeys(BaseModel):
    """What run-time rotations changed for one client: keys added, and when its catalog keys stop."""

    keys: tuple[KeyWindow, ...] = ()
    catalog_keys_until: AwareDatetime | None = None


class RotatedKey(BaseModel):
    """A freshly issued key, shown once: the secret itself and until when the replaced keys work."""

    client: str
    api_key: str
    previous_keys_valid_until: AwareDatetime


# What `_load` answers for a client never rotated (most calls): one shared value, never altered.
_NEVER_ROTATED = RotatedKeys()


class KeyRing:
    """Checks presented API keys against the catalog and the Store; rotates keys at run time."""

    def __init__(self, store: Store, *, overlap: timedelta, clock: Callable[[], datetime] = _utc_now) -> None:
        self._store = store
        self._overlap = overlap
        self._clock = clock

    async def matches(self, client: ClientSpec, key: str) -> bool:
        """Whether `key` is one of `client`'s keys valid now (constant time over all candidates)."""
        now = self._clock()
        rotated = await self._load(client)
        presented = hash_api_key(key)  # hashed once for the catalog's digests and the rotated ones
        catalog_ok = client.digest_matches(presented, at=now) and (
            rotated.catalog_keys_until is None or now < rotated.catalog_keys_until
        )
        rotated_ok = False
        for window in rotated.keys:
            same = hmac.compare_digest(presented, window.sha256)
            rotated_ok |= same and window.valid_at(now)
        return catalog_ok or rotated_ok

    async def rotate(self, client: ClientSpec) -> RotatedKey:
        """Issue a new key for `client`; every key valid now keeps working for the overlap window."""
        async with StoreLease(self._store, LOCK_PREFIX + str(client.id), f"key rotation of {client.id}"):
            now = self._clock()
            until = now + self._overlap
            rotated = await self._load(client)
            kept = [
                w.model_copy(update={"not_after": min(until, w.not_after) if w.not_after else until})
                for w in rotated.keys
                if w.not_after is None or now < w.not_after
            ]
            api_key = secrets.token_urlsafe(32)
            kept.append(KeyWindow(sha256=hash_api_key(api_key), not_before=now))
            catalog_until = min(until, rotated.catalog_keys_until) if rotated.catalog_keys_until else until
            updated = RotatedKeys(keys=tuple(kept), catalog_keys_until=catalog_until)
            await self._store.set(KEYS_PREFIX + str(client.id), updated.model_dump_json().encode())
        return RotatedKey(client=str(client.id), api_key=api_key, previous_keys_valid_until=until)

    async def rotated_keys(self, client: ClientSpec) -> RotatedKeys:
        """The run-time key state of `client` (digests and windows only)."""
        return await self._load(client)

    async def _load(self, client: ClientSpec) -> RotatedKeys:
        raw = await self._store.get(KEYS_PREFIX + str(client.id))
        if raw is None:
            return _NEVER_ROTATED
        try:
            return RotatedKeys.model_validate_json(raw)
        except ValidationError as exc:
            # A corrupt entry must not silently fall back to the catalog's (possibly retired) keys.
            raise InternalError(f"stored keys of {client.id} are unreadable") from exc
