"""Access rights: service and endpoint level, granted to clients or groups, changed at run time."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bus.auth import RightsBook
from bus.catalog import Catalog, ClientSpec, ServiceSpec
from bus.catalog.loader import CatalogError, parse_catalog
from bus.catalog.model import EndpointGrant
from bus.errors import AccessDenied, BadRequest, UnknownService
from bus.gateway.access import AccessControl
from bus.identifiers import ClientId, ServiceId
from bus.store import Store
from tests.security.conftest import auth_settings, security_catalog

ECHO = ServiceId.parse("VN/GOV/HPG/SEC/Echo/v1")
RECORDS = ServiceId.parse("VN/GOV/HPG/SEC/Records/v1")


def client(catalog: Catalog, name: str) -> ClientSpec:
    found = catalog.client(ClientId.parse(f"VN/GOV/HPG/{name}"))
    assert found is not None
    return found


def service(catalog: Catalog, service_id: ServiceId) -> ServiceSpec:
    found = catalog.service(service_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("methods", "prefix", "method", "path", "covered"),
    [
        ((), "", "DELETE", "anything/at/all", True),
        (("GET",), "records", "GET", "records", True),
        (("GET",), "records", "get", "records/7", True),
        (("GET",), "records", "POST", "records/7", False),
        (("GET",), "records", "GET", "recordsX", False),
        (("GET",), "/records/", "GET", "/records/7/", True),
        (("GET", "PUT"), "a/b", "PUT", "a", False),
    ],
)
def test_endpoint_grant_covers_methods_under_its_path_prefix_on_segment_boundaries(
    methods: tuple[str, ...], prefix: str, method: str, path: str, covered: bool
) -> None:
    grant = EndpointGrant.model_validate(
        {"to": "x", "service": str(ECHO), "methods": methods, "path_prefix": prefix}
    )
    assert grant.covers(method, path) is covered


def test_catalog_grant_naming_an_unknown_group_is_refused_with_its_line() -> None:
    text = """
adapters: {echo: {}}
clients:
  - {id: VN/GOV/HPG/STP, api_key_sha256: ["%s"]}
services:
  - {id: VN/GOV/HPG/SEC/Echo/v1, adapter: echo}
grants:
  - {to: "group:ghosts", service: VN/GOV/HPG/SEC/Echo/v1}
""" % ("0" * 64)
    with pytest.raises(CatalogError, match=r"grants\[0\].*unknown client or group 'group:ghosts'") as caught:
        parse_catalog(text)
    assert caught.value.problems[0].line == 8


async def test_group_with_a_get_grant_reads_records_but_may_not_write_or_leave_the_prefix(
    store: Store,
) -> None:
    catalog = security_catalog()
    book = RightsBook(catalog, store)
    reader, records = client(catalog, "READER"), service(catalog, RECORDS)
    assert await book.permits(reader, records, "GET", "records/031094411047")
    assert not await book.permits(reader, records, "POST", "records/031094411047")
    assert not await book.permits(reader, records, "GET", "admin")
    assert not await book.permits(reader, service(catalog, ECHO), "GET", "")


async def test_runtime_grant_and_revoke_are_seen_by_every_replica(store_factory: Callable[[], Store]) -> None:
    catalog = security_catalog()
    replica_a, replica_b = RightsBook(catalog, store_factory()), RightsBook(catalog, store_factory())
    other, echo = client(catalog, "OTHER"), service(catalog, ECHO)
    grant = EndpointGrant(to="VN/GOV/HPG/OTHER", service=ECHO, methods=("POST",))
    assert not await replica_b.permits(other, echo, "POST", "")
    assert await replica_a.grant(grant)
    assert not await replica_a.grant(grant)  # already in force: nothing changes
    assert await replica_b.permits(other, echo, "POST", "")
    assert not await replica_b.permits(other, echo, "GET", "")
    assert await replica_b.revoke(grant)
    assert not await replica_a.permits(other, echo, "POST", "")
    assert [r.origin for r in await replica_a.rights()].count("runtime") == 0


async def test_revoking_a_catalog_right_denies_it_and_granting_it_back_restores_it(store: Store) -> None:
    catalog = security_catalog()
    book = RightsBook(catalog, store)
    stp, echo = client(catalog, "STP"), service(catalog, ECHO)
    catalog_right = EndpointGrant(to="group:province", service=ECHO)
    assert await book.revoke(catalog_right)
    assert not await book.revoke(catalog_right)
    assert not await book.permits(stp, echo, "POST", "")
    assert catalog_right not in [r.grant for r in await book.rights()]
    assert await book.grant(catalog_right)
    assert await book.permits(stp, echo, "POST", "")


@pytest.mark.parametrize(
    ("grant", "error"),
    [
        (EndpointGrant(to="VN/GOV/HPG/NOBODY", service=ECHO), BadRequest),
        (EndpointGrant(to="group:ghosts", service=ECHO), BadRequest),
        (EndpointGrant(to="VN/GOV/HPG/OTHER", service=ServiceId.parse("VN/GOV/X/Y/Nope/v1")), UnknownService),
    ],
)
async def test_grant_to_unknown_parties_is_refused_and_changes_nothing(
    store: Store, grant: EndpointGrant, error: type[Exception]
) -> None:
    book = RightsBook(security_catalog(), store)
    before = await book.rights()
    with pytest.raises(error):
        await book.grant(grant)
    assert await book.rights() == before


async def test_denial_is_access_denied_and_logged_with_client_service_and_reason(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = security_catalog()
    access = AccessControl.build(catalog, store, auth_settings())
    with caplog.at_level(logging.WARNING, logger="bus.gateway.access"), pytest.raises(AccessDenied):
        await access.authorize(client(catalog, "READER"), RECORDS, "POST", "records/1")
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "access_denied"]
    assert line.client == "VN/GOV/HPG/READER"  # type: ignore[attr-defined]
    assert line.service == str(RECORDS)  # type: ignore[attr-defined]
    assert line.reason == "no right to POST /records/1"  # type: ignore[attr-defined]


async def test_services_for_lists_only_services_with_some_right(store: Store) -> None:
    catalog = security_catalog()
    access = AccessControl.build(catalog, store, auth_settings())
    assert [s.id for s in await access.services_for(client(catalog, "READER"))] == [RECORDS]
    assert await access.services_for(client(catalog, "OTHER")) == []
