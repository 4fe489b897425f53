"""Who is calling, and may they: authentication by API key and the catalog's access rights."""

from __future__ import annotations

from collections.abc import Mapping

from bus.catalog import Catalog, ClientSpec, ServiceSpec
from bus.errors import AccessDenied, BadRequest, Unauthenticated, UnknownService
from bus.identifiers import ClientId, IdentifierError, ServiceId

CLIENT_HEADER = "x-road-client"
API_KEY_HEADER = "x-api-key"


def authenticate(catalog: Catalog, headers: Mapping[str, str]) -> ClientSpec:
    """The declared client whose API key the request carries; raises Unauthenticated otherwise."""
    raw_client = headers.get(CLIENT_HEADER)
    key = headers.get(API_KEY_HEADER)
    if not raw_client or not key:
        raise Unauthenticated(f"send the client id in {CLIENT_HEADER!r} and its key in {API_KEY_HEADER!r}")
    try:
        client_id = ClientId.parse(raw_client)
    except IdentifierError as exc:
        raise BadRequest(str(exc)) from exc
    client = catalog.client(client_id)
    # Same answer for an unknown client and a wrong key: do not reveal which clients exist.
    if client is None or not client.key_matches(key):
        raise Unauthenticated(f"credentials for client {client_id} were not accepted")
    return client


def authorize(catalog: Catalog, client: ClientSpec, service_id: ServiceId) -> ServiceSpec:
    """The service, if it exists and `client` holds a right to it."""
    service = catalog.service(service_id)
    if service is None:
        raise UnknownService(f"service {service_id} is not in the catalog")
    if not catalog.may_call(client, service):
        raise AccessDenied(f"client {client.id} has no access right to {service_id}")
    return service
