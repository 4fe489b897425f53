"""Access rights: the catalog's, changed at run time by grants and revocations kept in the shared Store."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ValidationError

from bus.auth.lease import StoreLease
from bus.catalog import Catalog, ClientSpec, ServiceSpec
from bus.catalog.model import GROUP_PREFIX, EndpointGrant
from bus.errors import BadRequest, InternalError, UnknownService
from bus.store.base import Store

RIGHTS_KEY = "auth:rights"
LOCK_KEY = "auth:lock:rights"


class RuntimeRights(BaseModel):
    """Run-time changes to the catalog's rights; a revocation removes exactly the right it names."""

    granted: tuple[EndpointGrant, ...] = ()
    revoked: tuple[EndpointGrant, ...] = ()


class Right(BaseModel):
    """One effective right and where it comes from."""

    grant: EndpointGrant
    origin: Literal["catalog", "runtime"]


def catalog_rights(catalog: Catalog) -> list[EndpointGrant]:
    """The catalog's rights as grants: each `allow` entry is a right to the whole service."""
    whole = [EndpointGrant(to=to, service=s.id) for s in catalog.services for to in s.allow]
    return [*whole, *catalog.grants]


def grantees(client: ClientSpec) -> set[str]:
    """The names a right may be granted to that include `client`: its id and its groups."""
    return {str(client.id), *(GROUP_PREFIX + group for group in client.groups)}


class RightsBook:
    """Who may call which service and endpoint: catalog rights plus run-time changes from the Store."""

    def __init__(self, catalog: Catalog, store: Store) -> None:
        self._catalog = catalog
        self._store = store
        self._catalog_rights = catalog_rights(catalog)

    async def rights(self) -> list[Right]:
        """Every effective right, catalog ones first."""
        runtime = await self._load()
        revoked = set(runtime.revoked)
        found = [Right(grant=g, origin="catalog") for g in self._catalog_rights if g not in revoked]
        found += [Right(grant=g, origin="runtime") for g in runtime.granted]
        return found

    async def permits(self, client: ClientSpec, service: ServiceSpec, method: str, path: str) -> bool:
        """Whether some effective right lets `client` call `method` on `path` of `service`."""
        names = grantees(client)
        return any(
            r.grant.to in names and r.grant.service == service.id and r.grant.covers(method, path)
            for r in await self.rights()
        )

    async def permits_some(self, client: ClientSpec, service: ServiceSpec) -> bool:
        """Whether `client` holds any right to `service` at all (for listing what it may call)."""
        names = grantees(client)
        return any(r.grant.to in names and r.grant.service == service.id for r in await self.rights())

    async def grant(self, grant: EndpointGrant) -> bool:
        """Add a right; False when it was already in force."""
        self._check_parties(grant)
        async with self._locked():
            runtime = await self._load()
            if grant in runtime.revoked:
                updated = RuntimeRights(
                    granted=runtime.granted, revoked=tuple(g for g in runtime.revoked if g != grant)
                )
            elif grant in runtime.granted or grant in self._catalog_rights:
                return False
            else:
                updated = RuntimeRights(granted=(*runtime.granted, grant), revoked=runtime.revoked)
            await self._save(updated)
        return True

    async def revoke(self, grant: EndpointGrant) -> bool:
        """Remove a right in force; False when no such right exists."""
        async with self._locked():
            runtime = await self._load()
            if grant in runtime.granted:
                updated = RuntimeRights(
                    granted=tuple(g for g in runtime.granted if g != grant), revoked=runtime.revoked
                )
            elif grant in self._catalog_rights and grant not in runtime.revoked:
                updated = RuntimeRights(granted=runtime.granted, revoked=(*runtime.revoked, grant))
            else:
                return False
            await self._save(updated)
        return True

    def _check_parties(self, grant: EndpointGrant) -> None:
        known = {str(c.id) for c in self._catalog.clients}
        known |= {GROUP_PREFIX + g for c in self._catalog.clients for g in c.groups}
        if grant.to not in known:
            raise BadRequest(f"'to' names unknown client or group {grant.to!r}")
        if self._catalog.service(grant.service) is None:
            raise UnknownService(f"service {grant.service} is not in the catalog")

    def _locked(self) -> StoreLease:
        return StoreLease(self._store, LOCK_KEY, "change of access rights")

    async def _load(self) -> RuntimeRights:
        raw = await self._store.get(RIGHTS_KEY)
        if raw is None:
            return RuntimeRights()
        try:
            return RuntimeRights.model_validate_json(raw)
        except ValidationError as exc:
            # Failing closed: unreadable revocations must not resurrect rights.
            raise InternalError("stored access rights are unreadable") from exc

    async def _save(self, rights: RuntimeRights) -> None:
        await self._store.set(RIGHTS_KEY, rights.model_dump_json().encode())
