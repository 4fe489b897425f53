"""Who is calling, and may they: API key or bearer token, then the access rights (catalog + run time).

`AccessControl` is the gateway's gatekeeper; every refusal is logged as one structured line
(`access denied` / `authentication refused`, with client, service and reason, never a secret).
The plain functions `authenticate`/`authorize` check the catalog alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bus.auth.keyring import KeyRing
from bus.auth.rights import RightsBook
from bus.auth.settings import AuthSettings
from bus.auth.tokens import TokenIssuer
from bus.catalog import Catalog, ClientSpec, ServiceSpec
from bus.errors import AccessDenied, BadRequest, MethodNotAllowed, Unauthenticated, UnknownService
from bus.identifiers import ClientId, IdentifierError, ServiceId
from bus.store.base import Store
from bus.store.last_known import LastKnownStore

CLIENT_HEADER = "x-road-client"
API_KEY_HEADER = "x-api-key"
AUTHORIZATION_HEADER = "authorization"
MAX_LOGGED_CHARS = 128
# Client headers already parsed; callers can send any text, so the memo is emptied when full.
CLIENT_MEMO_SIZE = 1024

log = logging.getLogger(__name__)


def _logged(value: str | None) -> str:
    # Caller-controlled text goes into logs: cut it short and keep it on one line.
    return (value or "-")[:MAX_LOGGED_CHARS].replace("\n", " ").replace("\r", " ")


def log_denial(client: str | None, service: str | None, reason: str) -> None:
    """The structured `access denied` line (attributes event, client, service, reason on the record)."""
    log.warning(
        "access denied: client=%s service=%s reason=%s",
        _logged(client),
        _logged(service),
        reason,
        extra={
            "event": "access_denied",
            "client": _logged(client),
            "service": _logged(service),
            "reason": reason,
        },
    )


def _log_refusal(client: str | None, reason: str) -> None:
    log.warning(
        "authentication refused: client=%s reason=%s",
        _logged(client),
        reason,
        extra={"event": "authentication_refused", "client": _logged(client), "reason": reason},
    )


def _parse_client(raw: str) -> ClientId:
    try:
        return ClientId.parse(raw)
    except IdentifierError as exc:
        raise BadRequest(str(exc)) from exc


def authenticate(catalog: Catalog, headers: Mapping[str, str]) -> ClientSpec:
    """The declared client whose (currently valid) catalog API key the request carries."""
    raw_client = headers.get(CLIENT_HEADER)
    key = headers.get(API_KEY_HEADER)
    if not raw_client or not key:
        _log_refusal(raw_client, "no credentials")
        raise Unauthenticated(f"send the client id in {CLIENT_HEADER!r} and its key in {API_KEY_HEADER!r}")
    client_id = _parse_client(raw_client)
    client = catalog.client(client_id)
    # Same answer for an unknown client and a wrong key: do not reveal which clients exist.
    if client is None or not client.key_matches(key):
        _log_refusal(raw_client, "bad credentials")
        raise Unauthenticated(f"credentials for client {client_id} were not accepted")
    return client


def authorize(catalog: Catalog, client: ClientSpec, service_id: ServiceId) -> ServiceSpec:
    """The service, if it exists and `client` holds a catalog right to it."""
    service = catalog.service(service_id)
    if service is None:
        raise UnknownService(f"service {service_id} is not in the catalog")
    if not catalog.may_call(client, service):
        log_denial(str(client.id), str(service_id), "no right to the service")
        raise AccessDenied(f"client {client.id} has no access right to {service_id}")
    return service


def _retrieve(task: asyncio.Task[bool]) -> None:
    # An early check whose answer nobody took (the caller was refused first) must not log its error.
    if not task.cancelled():
        task.exception()


@dataclass(frozen=True)
class RightsCheck:
    """A right checked while its caller is still being authenticated, so that the rights' store read goes
    out with the key's (one round trip, not two); it counts only for exactly that client, service, method
    and path."""

    client: ClientSpec
    service: ServiceSpec
    method: str
    path: str
    permitted: asyncio.Task[bool]

    def discard(self) -> None:
        """Stop it if nobody took its answer."""
        self.permitted.cancel()


class AccessControl:
    """Authenticates a caller by API key (catalog or rotated) or bearer token, and checks its rights.

    `read_ahead`: whether a right may be checked while the caller is being authenticated (`check_ahead`);
    worth it only when the store's reads wait for a server (`build` asks the store)."""

    def __init__(
        self,
        catalog: Catalog,
        keyring: KeyRing,
        tokens: TokenIssuer,
        rights: RightsBook,
        *,
        read_ahead: bool = False,
    ) -> None:
        self.catalog = catalog
        self.keyring = keyring
        self.tokens = tokens
        self.rights = rights
        self.read_ahead = read_ahead
        # The catalog is fixed for the life of this object: a header's client parsed and looked up once.
        self._client_ids: dict[str, tuple[ClientId, ClientSpec | None]] = {}

    @classmethod
    def build(cls, catalog: Catalog, store: Store, settings: AuthSettings) -> AccessControl:
        """The access control of a gateway whose run-time rights and keys live in `store`."""
        overlap = timedelta(seconds=settings.key_overlap_seconds)
        store = LastKnownStore(store)  # a store outage serves the keys and rights last read, for a while
        return cls(
            catalog,
            KeyRing(store, overlap=overlap),
            TokenIssuer(settings),
            RightsBook(catalog, store),
            read_ahead=not store.reads_are_local,
        )

    async def authenticate(self, headers: Mapping[str, str]) -> ClientSpec:
        """The calling client: `Authorization: Bearer <token>`, or X-Road-Client with X-Api-Key."""
        authorization = headers.get(AUTHORIZATION_HEADER)
        if authorization and authorization[:7].lower() == "bearer ":
            return self._bearer(authorization[7:].strip(), headers.get(CLIENT_HEADER))
        raw_client = headers.get(CLIENT_HEADER)
        key = headers.get(API_KEY_HEADER)
        if not raw_client or not key:
            _log_refusal(raw_client, "no credentials")
            raise Unauthenticated(
                f"send a bearer token, or {CLIENT_HEADER!r} with the client's key in {API_KEY_HEADER!r}"
            )
        client_id, client = self._client(raw_client)
        # Same answer for an unknown client and a wrong key: do not reveal which clients exist.
        if client is None or not await self.keyring.matches(client, key):
            _log_refusal(raw_client, "bad credentials")
            raise Unauthenticated(f"credentials for client {client_id} were not accepted")
        return client

    def _client(self, raw: str) -> tuple[ClientId, ClientSpec | None]:
        """The client id a header names, and its catalog entry (None when it declares none)."""
        found = self._client_ids.get(raw)
        if found is None:
            client_id = _parse_client(raw)
            found = (client_id, self.catalog.client(client_id))
            if len(self._client_ids) >= CLIENT_MEMO_SIZE:
                self._client_ids.clear()
            self._client_ids[raw] = found
        return found

    def _bearer(self, token: str, raw_client: str | None) -> ClientSpec:
        try:
            client_id = self.tokens.verify(token)
        except Unauthenticated as refused:
            _log_refusal(raw_client, refused.message)
            raise
        client = self.catalog.client(client_id)
        if client is None:
            _log_refusal(str(client_id), "token for a client no longer in the catalog")
            raise Unauthenticated("the token's client is not known")
        if raw_client is not None and raw_client != str(client_id):
            _log_refusal(raw_client, "client header differs from the token's subject")
            raise Unauthenticated(f"the token was issued to another client than {CLIENT_HEADER!r} names")
        return client

    def check_ahead(
        self, headers: Mapping[str, str], service_id: ServiceId, method: str, path: str
    ) -> RightsCheck | None:
        """Start checking the right of the client an API-key request names (before its key is checked),
        for `authorize` to take; None for a bearer token, an unknown client or service, or without
        `read_ahead`. Refusals are still decided and logged by `authenticate` and `authorize`, in order."""
        if not self.read_ahead or not headers.get(API_KEY_HEADER):
            return None
        authorization = headers.get(AUTHORIZATION_HEADER)
        raw_client = headers.get(CLIENT_HEADER)
        if not raw_client or (authorization and authorization[:7].lower() == "bearer "):
            return None
        try:
            _, client = self._client(raw_client)
        except BadRequest:
            return None
        service = self.catalog.service(service_id)
        if client is None or service is None:
            return None
        permitted = asyncio.ensure_future(self.rights.permits(client, service, method, path))
        permitted.add_done_callback(_retrieve)
        return RightsCheck(client, service, method, path, permitted)

    async def authorize(
        self,
        client: ClientSpec,
        service_id: ServiceId,
        method: str,
        path: str,
        *,
        ahead: RightsCheck | None = None,
    ) -> ServiceSpec:
        """The service, if it exists and some right lets `client` call `method` on `path` of it (the
        answer of `ahead` when it checked exactly that)."""
        service = self.catalog.service(service_id)
        if service is None:
            raise UnknownService(f"service {service_id} is not in the catalog")
        if (
            ahead is not None
            and ahead.client is client
            and ahead.service is service
            and (ahead.method, ahead.path) == (method, path)
        ):
            permitted = await ahead.permitted
        else:
            permitted = await self.rights.permits(client, service, method, path)
        if not permitted:
            reason = f"no right to {method.upper()} /{path.strip('/')}"
            log_denial(str(client.id), str(service_id), reason[:MAX_LOGGED_CHARS])
            raise AccessDenied(f"client {client.id} has no access right to {method.upper()} on {service_id}")
        # After the right: a caller without one learns nothing of the service's methods.
        if service.methods and method.upper() not in service.methods:
            raise MethodNotAllowed(
                f"{service_id} takes {', '.join(service.methods)}, not {method.upper()}",
                allow=service.methods,
            )
        return service

    async def services_for(self, client: ClientSpec) -> list[ServiceSpec]:
        """The services `client` holds some right to (X-Road's allowedMethods)."""
        return [s for s in self.catalog.services if await self.rights.permits_some(client, s)]
