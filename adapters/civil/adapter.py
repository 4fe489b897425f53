"""The civil registry adapter: canonical JSON on the bus ⇄ the Ministry of Justice's hộ tịch REST API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretStr, ValidationError

from adapters.civil.models import (
    BirthRegistrationRequest,
    CivilRecord,
    DeathRegistrationRequest,
    DossierNumber,
    MaritalStatusCertificateRequest,
    MarriageRegistrationRequest,
    RecordLookupRequest,
    RecordLookupResponse,
)
from adapters.civil.wire import (
    BIRTH_FIELDS,
    CERTIFICATE_FIELDS,
    DEATH_FIELDS,
    MARRIAGE_FIELDS,
    PROVIDER,
    WIRE_OF_PREFIX,
    FieldMap,
    WireError,
    WirePerson,
    WireRecord,
    canonical_field,
    parse_wire,
    to_person,
    to_record,
    to_wire,
)
from adapters.sdk import (
    ProviderClient,
    ServiceSpec,
    ServiceTable,
    describe_validation_error,
    json_body,
    raise_for_status,
)
from bus.envelope import Envelope
from bus.errors import BadRequest, ProviderRejected

API = "/api/v1/hotich"
API_KEY_HEADER = "X-API-Key"

BIRTH = ServiceSpec(
    "DangKyKhaiSinh", "v1", BirthRegistrationRequest, CivilRecord, summary="Register a birth (khai sinh)"
)
DEATH = ServiceSpec(
    "DangKyKhaiTu", "v1", DeathRegistrationRequest, CivilRecord, summary="Register a death (khai tử)"
)
MARRIAGE = ServiceSpec(
    "DangKyKetHon", "v1", MarriageRegistrationRequest, CivilRecord, summary="Register a marriage (kết hôn)"
)
LOOKUP = ServiceSpec(
    "TraCuuHoTich",
    "v1",
    RecordLookupRequest,
    RecordLookupResponse,
    summary="Look up a civil-status record by its id, or a person's status and records by id number",
)
MARITAL_STATUS = ServiceSpec(
    "XacNhanTinhTrangHonNhan",
    "v1",
    MaritalStatusCertificateRequest,
    CivilRecord,
    summary="Certify a person's marital status (xác nhận tình trạng hôn nhân)",
)
# service → (registry path, field table) for the four registrations.
REGISTRATIONS: dict[str, tuple[str, Sequence[FieldMap]]] = {
    BIRTH.key: ("khaisinh", BIRTH_FIELDS),
    DEATH.key: ("khaitu", DEATH_FIELDS),
    MARRIAGE.key: ("kethon", MARRIAGE_FIELDS),
    MARITAL_STATUS.key: ("xacnhantthn", CERTIFICATE_FIELDS),
}


class _Dossier(BaseModel):
    number: DossierNumber


class CivilConfig(BaseModel):
    """The adapter's section of the catalog."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("http://127.0.0.1:8102", pattern=r"^https?://")
    timeout_cap: float = Field(10.0, gt=0, description="upper bound of one call, whatever the deadline")
    max_connections: int = Field(100, ge=1)
    api_key: SecretStr | None = Field(None, description="sent as X-API-Key when the registry requires one")


class CivilAdapter:
    """Serves birth, death and marriage registration, record look-up and marital-status certificates."""

    services = ServiceTable([BIRTH, DEATH, MARRIAGE, LOOKUP, MARITAL_STATUS])

    def __init__(self, config: CivilConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # e.g. httpx.ASGITransport to call the mock in-process
        self._client: ProviderClient | None = None

    async def start(self) -> None:
        """Open the connection pool (called once by the worker; `handle` opens it if not)."""
        if self._client is None:
            key = self.config.api_key
            self._client = ProviderClient(
                self.config.base_url,
                provider=PROVIDER,
                timeout_cap=self.config.timeout_cap,
                max_connections=self.config.max_connections,
                headers={API_KEY_HEADER: key.get_secret_value()} if key else None,
                transport=self._transport,
            )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def handle(self, request: Envelope) -> JsonValue:
        """Serve one request, the operation chosen by the envelope's service code."""
        spec = self.services.spec_for(request.service)
        if spec is LOOKUP:
            return LOOKUP.dump_response(await self._lookup(request, LOOKUP.parse_request(request.payload)))
        path, fields = REGISTRATIONS[spec.key]
        canonical = spec.parse_request(request.payload)
        body = to_wire(canonical, fields, self.dossier_number(request, canonical.dossier_number))
        response = await self._send(request, "POST", f"{API}/{path}", body)
        if response.status_code >= 400:
            raise self._rejection(spec.key, response, fields)
        return spec.dump_response(to_record(parse_wire(WireRecord, json_body(response, PROVIDER))))

    def dossier_number(self, request: Envelope, given: str | None) -> str:
        """The dossier number: the payload's, else the envelope's issue, else the transaction id.

        Derived only from the envelope, so a redelivered request carries the same number and the
        registry answers it with the first record instead of registering again.
        """
        number = given or request.issue or request.correlation_id
        try:
            return _Dossier.model_validate({"number": number}).number
        except ValidationError as exc:
            raise BadRequest(
                f"field 'dossier_number' (or the envelope's issue): {number!r} is not a valid "
                f"dossier number: {describe_validation_error(exc)}"
            ) from exc

    async def _lookup(self, request: Envelope, lookup: RecordLookupRequest) -> RecordLookupResponse:
        if lookup.record_id is not None:
            kind = WIRE_OF_PREFIX[lookup.record_id[:2]]
            response = await self._send(request, "GET", f"{API}/{kind}/{lookup.record_id}")
            if response.status_code == 404:
                return RecordLookupResponse(found=False)
            if response.status_code >= 400:
                raise self._rejection(LOOKUP.key, response, ())
            record = to_record(parse_wire(WireRecord, json_body(response, PROVIDER)))
            return RecordLookupResponse(found=True, record=record)
        response = await self._send(request, "GET", f"{API}/congdan/{lookup.person_id}")
        if response.status_code == 404:
            return RecordLookupResponse(found=False)
        if response.status_code >= 400:
            raise self._rejection(LOOKUP.key, response, ())
        person = to_person(parse_wire(WirePerson, json_body(response, PROVIDER)))
        return RecordLookupResponse(found=True, person=person)

    async def _send(
        self, request: Envelope, method: str, url: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One call to the registry; 4xx answers are returned (they carry field-named errors)."""
        await self.start()
        assert self._client is not None
        response = await self._client.request(request, method, url, json=body, check_status=False)
        if response.status_code >= 500 or response.status_code == 429:
            # Server-side failures and throttling: the SDK's mapping knows them.
            raise_for_status(response, PROVIDER)
        return response

    def _rejection(
        self, service: str, response: httpx.Response, fields: Sequence[FieldMap]
    ) -> ProviderRejected:
        """The registry's 4xx as ProviderRejected, its Ministry field names translated to canonical ones."""
        error = parse_wire(WireError, json_body(response, PROVIDER))
        if error.maLoi == "TRUNG_MA_HO_SO":
            return ProviderRejected(
                f"{PROVIDER} refused {service}: field 'dossier_number': already used for a different "
                f"request ({error.thongBao})"
            )
        if not error.chiTiet:
            return ProviderRejected(f"{PROVIDER} refused {service} ({error.maLoi}): {error.thongBao}")
        problems = "; ".join(
            f"field '{canonical_field(item.truong, fields)}': {item.thongBao}" for item in error.chiTiet
        )
        return ProviderRejected(f"{PROVIDER} refused {service} ({error.maLoi}): {problems}")


def create_adapter(config: Mapping[str, Any]) -> CivilAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    try:
        return CivilAdapter(CivilConfig.model_validate(dict(config)))
    except ValidationError as exc:
        raise ValueError(f"civil adapter config: {describe_validation_error(exc)}") from exc
