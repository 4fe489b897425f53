"""`/admin/...`: list clients, rotate keys, list/grant/revoke access rights; needs the admin credential."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from bus.admin.credential import AdminCredential
from bus.auth.keyring import RotatedKey
from bus.auth.rights import Right
from bus.catalog.model import EndpointGrant
from bus.errors import BadRequest, ErrorBody, UnknownService
from bus.gateway.access import AccessControl
from bus.identifiers import ClientId

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_ADMIN_BODY = 8192


class KeyValidity(BaseModel):
    """When one run-time key is valid (the key itself is never shown again)."""

    not_before: datetime | None
    not_after: datetime | None


class ClientView(BaseModel):
    """A client as the admin sees it: no key, no digest."""

    id: str
    name: str
    groups: list[str]
    catalog_keys: int
    catalog_keys_until: datetime | None
    rotated_keys: list[KeyValidity]


class RotateRequest(BaseModel):
    """Which client gets a new key."""

    model_config = ConfigDict(extra="forbid")

    client: ClientId


class Change(BaseModel):
    """Whether a grant or revocation changed anything (False: it was already so)."""

    changed: bool


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


async def _parse(request: Request, model: type[ModelT]) -> ModelT:
    body = await request.body()
    if len(body) > MAX_ADMIN_BODY:
        raise BadRequest(f"the body is larger than {MAX_ADMIN_BODY} bytes")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise BadRequest(f"invalid {model.__name__}: {problems}") from exc


def admin_router(access: AccessControl, credential: AdminCredential) -> APIRouter:
    """The admin routes; every one requires `credential` and answers errors in the bus taxonomy."""
    router = APIRouter(
        prefix="/admin", tags=["admin"], dependencies=[Depends(credential)], responses=_errors(400, 401, 403)
    )

    @router.get("/clients", response_model=list[ClientView])
    async def list_clients() -> list[ClientView]:
        """Every declared client with its groups and the validity of its keys."""
        views = []
        for client in access.catalog.clients:
            rotated = await access.keyring.rotated_keys(client)
            views.append(
                ClientView(
                    id=str(client.id),
                    name=client.name,
                    groups=list(client.groups),
                    catalog_keys=len(client.api_key_sha256),
                    catalog_keys_until=rotated.catalog_keys_until,
                    rotated_keys=[
                        KeyValidity(not_before=k.not_before, not_after=k.not_after) for k in rotated.keys
                    ],
                )
            )
        return views

    @router.post(
        "/keys/rotate",
        response_model=RotatedKey,
        status_code=201,
        responses=_errors(404, 503),
        openapi_extra=_body_schema(RotateRequest),
    )
    async def rotate_key(request: Request) -> RotatedKey:
        """Issue a new API key, shown only in this answer; the client's current keys work for the overlap."""
        wanted = await _parse(request, RotateRequest)
        client = access.catalog.client(wanted.client)
        if client is None:
            raise BadRequest(f"client {wanted.client} is not in the catalog")
        rotated = await access.keyring.rotate(client)
        log.info("admin: rotated the key of client=%s", client.id, extra={"event": "key_rotated"})
        return rotated

    @router.get("/rights", response_model=list[Right])
    async def list_rights() -> list[Right]:
        """Every right in force: the catalog's (minus revocations) and those granted at run time."""
        return await access.rights.rights()

    @router.post(
        "/rights/grant",
        response_model=Change,
        responses=_errors(404, 503),
        openapi_extra=_body_schema(EndpointGrant),
    )
    async def grant(request: Request) -> Change:
        """Grant a right to a client or group (whole service, or some methods under a path prefix)."""
        wanted = await _parse(request, EndpointGrant)
        changed = await access.rights.grant(wanted)
        log.info("admin: grant %s changed=%s", _describe(wanted), changed, extra={"event": "right_granted"})
        return Change(changed=changed)

    @router.post(
        "/rights/revoke",
        response_model=Change,
        responses=_errors(404, 503),
        openapi_extra=_body_schema(EndpointGrant),
    )
    async def revoke(request: Request) -> Change:
        """Revoke exactly this right (as listed by GET /admin/rights)."""
        wanted = await _parse(request, EndpointGrant)
        if access.catalog.service(wanted.service) is None:
            raise UnknownService(f"service {wanted.service} is not in the catalog")
        changed = await access.rights.revoke(wanted)
        log.info("admin: revoke %s changed=%s", _describe(wanted), changed, extra={"event": "right_revoked"})
        return Change(changed=changed)

    return router


def _describe(grant: EndpointGrant) -> str:
    methods = ",".join(grant.methods) or "*"
    return f"to={grant.to} service={grant.service} methods={methods} path=/{grant.path_prefix}"
