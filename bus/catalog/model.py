"""The catalog's shape: clients with credentials, adapters, services, and who may call what."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bus.derived_once import DerivedOnce
from bus.identifiers import ClientId, ServiceId
from bus.reliability.policy import BreakerPolicy, RetryPolicy

GROUP_PREFIX = "group:"


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest under which an API key is stored in the catalog."""
    return hashlib.sha256(key.encode()).hexdigest()


class _Strict(DerivedOnce):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- credentials and rights ---
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class KeyWindow(_Strict):
    """When a key is valid; a rotation overlaps the old key's not_after with the new one's not_before."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="a digest listed in api_key_sha256")
    not_before: AwareDatetime | None = None
    not_after: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> KeyWindow:
        if self.not_before and self.not_after and self.not_before >= self.not_after:
            raise ValueError("not_before must be earlier than not_after")
        return self

    def valid_at(self, moment: datetime) -> bool:
        """Whether the key may be used at `moment`."""
        return (self.not_before is None or self.not_before <= moment) and (
            self.not_after is None or moment < self.not_after
        )


class EndpointGrant(_Strict):
    """A right to some endpoints of a REST service: methods (none = all) under a path prefix ("" = all)."""

    to: str = Field(description="a client id or 'group:NAME'")
    service: ServiceId
    methods: tuple[HttpMethod, ...] = ()
    path_prefix: str = Field("", max_length=256)

    @field_validator("path_prefix")
    @classmethod
    def _trim_slashes(cls, prefix: str) -> str:
        return prefix.strip("/")

    def covers(self, method: str, path: str) -> bool:
        """Whether a call with `method` to `path` (below the service id) falls under this grant."""
        if self.methods and method.upper() not in self.methods:
            return False
        path = path.strip("/")
        return not self.path_prefix or path == self.path_prefix or path.startswith(self.path_prefix + "/")


# --- end credentials and rights ---


class ClientSpec(_Strict):
    """A calling subsystem and its credentials (API keys stored as SHA-256 digests)."""

    id: ClientId
    name: str = ""
    groups: tuple[str, ...] = ()
    api_key_sha256: tuple[str, ...] = Field(min_length=1)
    # --- rate quota (gateway, shared by replicas) ---
    rate_limit_per_second: float | None = Field(None, gt=0, description="sustained calls/s; None = no quota")
    rate_limit_burst: int | None = Field(None, ge=1, description="calls allowed at once; default ⌈rate⌉")
    # --- end rate quota ---
    # --- credentials and rights ---
    key_windows: tuple[KeyWindow, ...] = Field(
        default=(), description="key validity; unlisted keys never expire"
    )

    @model_validator(mode="after")
    def _windows_name_keys(self) -> ClientSpec:
        for window in self.key_windows:
            if window.sha256 not in self.api_key_sha256:
                raise ValueError(f"key_windows names {window.sha256[:12]}…, which is not in api_key_sha256")
        return self

    # --- end credentials and rights ---

    @field_validator("api_key_sha256")
    @classmethod
    def _hex_digests(cls, digests: tuple[str, ...]) -> tuple[str, ...]:
        for digest in digests:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("each entry must be a 64-character lower-case SHA-256 hex digest")
        return digests

    def key_matches(self, key: str, at: datetime | None = None) -> bool:
        """Constant-time check of a presented API key against every digest valid `at` (default: now)."""
        return self.digest_matches(hash_api_key(key), at)

    def digest_matches(self, presented: str, at: datetime | None = None) -> bool:
        """`key_matches` for a key already hashed (`hash_api_key`): `presented` is its digest."""
        moment = at or datetime.now(UTC)
        windows = {w.sha256: w for w in self.key_windows}
        matched = False
        for stored in self.api_key_sha256:
            # No early exit: the time taken must not tell which key, or whether any, matched.
            same = hmac.compare_digest(presented, stored)
            window = windows.get(stored)
            matched |= same and (window is None or window.valid_at(moment))
        return matched


class ServiceSpec(_Strict):
    """A service on the bus: which adapter serves it, its deadline and concurrency, who may call it."""

    id: ServiceId
    name: str = ""
    adapter: str
    timeout: float = Field(10.0, gt=0, le=300, description="seconds the gateway waits for the reply")
    concurrency: int = Field(16, ge=1, le=1024, description="requests one worker serves at once")
    allow: tuple[str, ...] = Field(default=(), description="client ids or 'group:NAME'")
    methods: tuple[HttpMethod, ...] = Field(
        default=(), description="HTTP methods the service takes (others get 405); none = any"
    )
    # Reliability policy: how failures are retried, when the provider's circuit opens,
    # and how many requests may wait in the service's queue before publishing is refused.
    retry: RetryPolicy = RetryPolicy()
    breaker: BreakerPolicy = BreakerPolicy()
    # None leaves the queue unbounded, as before: RabbitMQ refuses to re-declare an existing queue with
    # changed arguments, so a bound is opt-in per service.
    max_queue_length: int | None = Field(None, ge=1, le=10_000_000, description="messages waiting, at most")
    # --- rate quota (gateway, all clients together, shared by replicas) ---
    rate_limit_per_second: float | None = Field(None, gt=0, description="sustained calls/s; None = no quota")
    rate_limit_burst: int | None = Field(None, ge=1, description="calls allowed at once; default ⌈rate⌉")
    # --- end rate quota ---


class Catalog(_Strict):
    """The whole configuration of the bus, as loaded from one YAML file."""

    province: str = ""
    adapters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    clients: tuple[ClientSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = ()
    events: tuple[str, ...] = Field(default=(), description="event types published on the bus")
    # --- credentials and rights ---
    grants: tuple[EndpointGrant, ...] = Field(default=(), description="endpoint rights to REST services")

    @model_validator(mode="after")
    def _grants_name_known_parties(self) -> Catalog:
        known_clients = {str(c.id) for c in self.clients}
        known_groups = {GROUP_PREFIX + g for c in self.clients for g in c.groups}
        known_services = {s.id for s in self.services}
        for index, grant in enumerate(self.grants):
            if grant.to not in known_clients | known_groups:
                raise ValueError(f"grants[{index}]: 'to' names unknown client or group {grant.to!r}")
            if grant.service not in known_services:
                raise ValueError(f"grants[{index}]: service {grant.service} is not in the catalog")
        return self

    # --- end credentials and rights ---
    # Indexed by the ids' text: a dict probe with a ClientId/ServiceId key hashes and compares pydantic
    # models (3-6 µs a call, on every request's path). Cached properties, not private attributes: reading
    # one of those goes through pydantic's `__getattr__` (≈ 3 µs, a caught AttributeError inside) on
    # every lookup. The catalog is frozen and its clients and services are tuples, so they never change
    # (a copy with other ones works its indexes out again: DerivedOnce).
    @cached_property
    def _client_index(self) -> dict[str, ClientSpec]:
        return {str(c.id): c for c in self.clients}

    @cached_property
    def _service_index(self) -> dict[str, ServiceSpec]:
        return {str(s.id): s for s in self.services}

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        _no_duplicates("clients", [str(c.id) for c in self.clients])
        _no_duplicates("services", [str(s.id) for s in self.services])
        known_clients = {str(c.id) for c in self.clients}
        known_groups = {g for c in self.clients for g in c.groups}
        for index, service in enumerate(self.services):
            if service.adapter not in self.adapters:
                raise ValueError(
                    f"services[{index}] ({service.id}): adapter {service.adapter!r} has no section "
                    f"under 'adapters' (known: {', '.join(sorted(self.adapters)) or 'none'})"
                )
            for grant in service.allow:
                if grant.startswith(GROUP_PREFIX):
                    if grant[len(GROUP_PREFIX) :] not in known_groups:
                        raise ValueError(f"services[{index}] ({service.id}): allow names unknown {grant!r}")
                elif grant not in known_clients:
                    raise ValueError(
                        f"services[{index}] ({service.id}): allow names unknown client {grant!r}"
                    )
        return self

    def client(self, client_id: ClientId) -> ClientSpec | None:
        """The client with this id, if declared."""
        return self._client_index.get(str(client_id))

    def service(self, service_id: ServiceId) -> ServiceSpec | None:
        """The service with this id, if declared."""
        return self._service_index.get(str(service_id))

    def may_call(self, client: ClientSpec, service: ServiceSpec) -> bool:
        """Whether `client` holds a right to `service`, directly or through one of its groups."""
        grants = set(service.allow)
        if str(client.id) in grants:
            return True
        return any(GROUP_PREFIX + group in grants for group in client.groups)

    def services_for(self, client: ClientSpec) -> list[ServiceSpec]:
        """The services `client` may call (X-Road's allowedMethods)."""
        return [s for s in self.services if self.may_call(client, s)]


def _no_duplicates(section: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise ValueError(f"{section}[{index}]: duplicate id {ident!r}")
        seen.add(ident)
