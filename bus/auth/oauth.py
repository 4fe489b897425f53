"""`POST /oauth/token`: the OAuth2 client-credentials grant (RFC 6749 §4.4), the API key as secret."""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bus.auth.keyring import KeyRing
from bus.auth.tokens import IssuedToken, TokenIssuer
from bus.catalog import Catalog
from bus.identifiers import ClientId, IdentifierError

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 4096
_FORM = "application/x-www-form-urlencoded"
_FORM_SCHEMA = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
    },
}


class TokenError(BaseModel):
    """An OAuth2 error answer (RFC 6749 §5.2), with the bus's error type alongside."""

    error: str
    error_description: str
    type: str


class _Refused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> JSONResponse:
        bus_type = "Client.Unauthenticated" if self.status == 401 else "Client.BadRequest"
        body = TokenError(error=self.error, error_description=self.description, type=bus_type)
        headers = {"www-authenticate": 'Basic realm="lgsp"'} if self.status == 401 else {}
        return JSONResponse(body.model_dump(), status_code=self.status, headers=headers)


def _form(body: bytes) -> dict[str, str]:
    if len(body) > MAX_FORM_BYTES:
        raise _Refused(400, "invalid_request", f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=bool(body), max_num_fields=16)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Refused(
            400, "invalid_request", "the body must be an application/x-www-form-urlencoded form"
        ) from exc
    repeated = [name for name, values in fields.items() if len(values) > 1]
    if repeated:
        raise _Refused(400, "invalid_request", f"parameters given more than once: {', '.join(repeated)}")
    return {name: values[0] for name, values in fields.items()}


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _Refused(401, "invalid_client", "the Basic credentials are not valid base64 text") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _Refused(401, "invalid_client", "the Basic credentials must be client_id:client_secret")
    return client_id, secret


def token_router(catalog: Catalog, keyring: KeyRing, tokens: TokenIssuer) -> APIRouter:
    """The token endpoint: a client proves itself with its API key and gets a short-lived bearer token."""
    router = APIRouter(tags=["authentication"])

    @router.post(
        "/oauth/token",
        response_model=IssuedToken,
        responses={400: {"model": TokenError}, 401: {"model": TokenError}},
        openapi_extra={"requestBody": {"required": True, "content": {_FORM: {"schema": _FORM_SCHEMA}}}},
    )
    async def issue_token(request: Request) -> IssuedToken | JSONResponse:
        """Client credentials in the form or as HTTP Basic; the client secret is the API key."""
        try:
            return await _issue(request)
        except _Refused as refused:
            return refused.response()

    async def _issue(request: Request) -> IssuedToken:
        form = _form(await request.body())
        if form.get("grant_type") != "client_credentials":
            raise _Refused(400, "unsupported_grant_type", "grant_type must be client_credentials")
        basic = _basic_credentials(request.headers.get("authorization"))
        raw_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
        if not raw_id or not secret:
            raise _Refused(401, "invalid_client", "send client_id and client_secret (form or HTTP Basic)")
        try:
            client = catalog.client(ClientId.parse(raw_id))
        except IdentifierError:
            client = None
        # One answer for an unknown client and a wrong secret: do not reveal which clients exist.
        if client is None or not await keyring.matches(client, secret):
            log.warning("token refused: client=%s reason=bad credentials", raw_id[:128])
            raise _Refused(401, "invalid_client", "the client credentials were not accepted")
        return tokens.issue(client.id)

    return router
