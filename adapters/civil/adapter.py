"""The civil registry adapter: canonical JSON on the bus ⇄ the Ministry of Justice's hộ tịch REST API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr, ValidationError

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
    to_person,
    to_record,
    to_wire,
)
from adapters.sdk import (
    Operation,
    ProviderAdapter,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    describe_validation_error,
    json_model,
    parse_config,
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


class CivilConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8102"
    api_key: SecretStr | None = Field(None, description="sent as X-API-Key when the registry requires one")


class CivilAdapter(ProviderAdapter[CivilConfig]):
    """Serves birth, death and marriage registration, record look-up and marital-status certificates."""

    services = ServiceTable([BIRTH, DEATH, MARRIAGE, LOOKUP, MARITAL_STATUS])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation: the four registrations share one, with their own path and fields."""
        registrations = {key: partial(self.register, key) for key in REGISTRATIONS}
        return {**registrations, LOOKUP.key: self.lookup}

    def provider_headers(self) -> Mapping[str, str] | None:
        """The API key, when the registry requires one."""
        key = self.config.api_key
        return {API_KEY_HEADER: key.get_secret_value()} if key else None

    async def register(self, service: str, request: Envelope, canonical: Any) -> CivilRecord:
        """Register one event at the registry; a redelivery is answered with the first record."""
        path, fields = REGISTRATIONS[service]
        body = to_wire(canonical, fields, self.dossier_number(request, canonical.dossier_number))
        response = await self.send(request, "POST", f"{API}/{path}", json=body)
        if response.status_code >= 400:
            raise self._rejection(service, response, fields)
        return to_record(json_model(response, WireRecord, PROVIDER))

    def dossier_number(self, request: Envelope, given: str | None) -> str:
        """The dossier number: the payload's, else the envelope's issue, else its `request_code`.

        Derived only from the request, so every attempt (a retry, a redelivery, a replay, the client's
        retry with its Idempotency-Key) carries the same number and the registry answers it with the
        first record instead of registering again.
        """
        number = given or request.issue or request.request_code
        try:
            return _Dossier.model_validate({"number": number}).number
        except ValidationError as exc:
            raise BadRequest(
                f"field 'dossier_number' (or the envelope's issue): {number!r} is not a valid "
                f"dossier number: {describe_validation_error(exc)}"
            ) from exc

    async def lookup(self, request: Envelope, lookup: RecordLookupRequest) -> RecordLookupResponse:
        """A record by its id, or a person's status and records by id number; found=False when unknown."""
        if lookup.record_id is not None:
            kind = WIRE_OF_PREFIX[lookup.record_id[:2]]
            response = await self.send(request, "GET", f"{API}/{kind}/{lookup.record_id}")
            if response.status_code == 404:
                return RecordLookupResponse(found=False)
            if response.status_code >= 400:
                raise self._rejection(LOOKUP.key, response, ())
            record = to_record(json_model(response, WireRecord, PROVIDER))
            return RecordLookupResponse(found=True, record=record)
        response = await self.send(request, "GET", f"{API}/congdan/{lookup.person_id}")
        if response.status_code == 404:
            return RecordLookupResponse(found=False)
        if response.status_code >= 400:
            raise self._rejection(LOOKUP.key, response, ())
        person = to_person(json_model(response, WirePerson, PROVIDER))
        return RecordLookupResponse(found=True, person=person)

    def _rejection(
        self, service: str, response: httpx.Response, fields: Sequence[FieldMap]
    ) -> ProviderRejected:
        """The registry's 4xx as ProviderRejected, its Ministry field names translated to canonical ones."""
        error = json_model(response, WireError, PROVIDER)
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
    return CivilAdapter(parse_config(CivilConfig, config, adapter="civil"))
