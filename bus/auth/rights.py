"""Access rights: the catalog's, changed at run time by grants and revocations kept in the shared Store."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ValidationError

from bus.auth.lease import StoreLease
from bus.catalog import Catalog, ClientSpec, ServiceSpec
from bus.catalog.model import GROUP_PREFIX, EndpointGrant
from bus.errors import BadRequest, InternalError, UnknownService
from bus.identifiers import ServiceId
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


class RightsIndex:
    """The effective grants of one state of the run-time changes, looked up by grantee and service."""

    def __init__(self, catalog_grants: list[EndpointGrant], runtime: RuntimeRights) -> None:
        revoked = set(runtime.revoked)
        self.catalog = [g for g in catalog_grants if g not in revoked]
        self.runtime = list(runtime.granted)
        # Keyed by the service id's text: a probe keyed by a ServiceId hashes and compares a pydantic
        # model (its Python `__eq__` on every hit).
        self._by_party: dict[tuple[str, str], list[EndpointGrant]] = {}
        for grant in (*self.catalog, *self.runtime):
            self._by_party.setdefault((grant.to, str(grant.service)), []).append(grant)

    def grants(self, names: frozenset[str], service: ServiceId) -> list[EndpointGrant]:
        """The grants held by any of `names` on `service`."""
        found: list[EndpointGrant] = []
        text = str(service)
        for name in names:
            found += self._by_party.get((name, text), ())
        return found


class RightsBook:
    """Who may call which service and endpoint: catalog rights plus run-time changes from the Store.

    The Store is read on every check (another replica may have revoked a right a moment ago; on Redis the
    gateway answers that read from memory while Redis tracks the key, `bus.auth.tracked_reads`); only
    parsing and indexing are skipped while the stored changes stay byte-for-byte the same.
    """

    def __init__(self, catalog: Catalog, store: Store) -> None:
        self._catalog = catalog
        self._store = store
        self._catalog_rights = catalog_rights(catalog)
        self._grantees: dict[str, frozenset[str]] = {}
        empty = RightsIndex(self._catalog_rights, RuntimeRights())
        self._indexed: tuple[bytes | None, RightsIndex] = (None, empty)

    async def rights(self) -> list[Right]:
        """Every effective right, catalog ones first."""
        index = await self._index()
        found = [Right(grant=g, origin="catalog") for g in index.catalog]
        found += [Right(grant=g, origin="runtime") for g in index.runtime]
        return found

    async def permits(self, client: ClientSpec, service: ServiceSpec, method: str, path: str) -> bool:
        """Whether some effective right lets `client` call `method` on `path` of `service`."""
        index = await self._index()
        return any(g.covers(method, path) for g in index.grants(self._names(client), service.id))

    async def permits_some(self, client: ClientSpec, service: ServiceSpec) -> bool:
        """Whether `client` holds any right to `service` at all (for listing what it may call)."""
        index = await self._index()
        return bool(index.grants(self._names(client), service.id))

    def _names(self, client: ClientSpec) -> frozenset[str]:
        # Keyed by id: catalog clients are fixed for the life of the book.
        key = str(client.id)
        names = self._grantees.get(key)
        if names is None:
            names = self._grantees[key] = frozenset(grantees(client))
        return names

    async def _index(self) -> RightsIndex:
        raw = await self._store.get(RIGHTS_KEY)
        cached_raw, index = self._indexed
        if raw == cached_raw:
            return index
        index = RightsIndex(self._catalog_rights, self._parsed(raw))
        self._indexed = (raw, index)
        return index

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
        return self._parsed(await self._store.get(RIGHTS_KEY))

    @staticmethod
    def _parsed(raw: bytes | None) -> RuntimeRights:
        if raw is None:
            return RuntimeRights()
        try:
            return RuntimeRights.model_validate_json(raw)
        except ValidationError as exc:
            # Failing closed: unreadable revocations must not resurrect rights.
            raise InternalError("stored access rights are unreadable") from exc

    async def _save(self, rights: RuntimeRights) -> None:
        await self._store.set(RIGHTS_KEY, rights.model_dump_json().encode())
