"""Declared services: lookup by envelope, payload validation naming the field, answers, JSON schema."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from adapters.sdk import ServiceSpec, ServiceTable
from bus.errors import BadRequest, BadResponse, UnknownService
from bus.identifiers import ServiceId


class Address(BaseModel):
    province_code: str = Field(pattern=r"^\d{3}$")


class LookupRequest(BaseModel):
    id_number: str = Field(pattern=r"^\d{12}$")
    address: Address | None = None


class LookupResponse(BaseModel):
    found: bool
    name: str | None = None


LOOKUP = ServiceSpec("TraCuu", "v1", LookupRequest, LookupResponse, summary="Look a citizen up")
LOOKUP_V2 = ServiceSpec("TraCuu", "v2", LookupRequest, LookupResponse)
TABLE = ServiceTable([LOOKUP, LOOKUP_V2])


def test_spec_is_found_by_service_code_and_version() -> None:
    assert TABLE.spec_for(ServiceId.parse("VN/GOV/BCA/CSDLDC/TraCuu/v2")) is LOOKUP_V2
    assert [spec.key for spec in TABLE] == ["TraCuu/v1", "TraCuu/v2"]
    assert len(TABLE) == 2


def test_undeclared_service_is_unknown_and_lists_what_is_served() -> None:
    with pytest.raises(UnknownService, match=r"TraCuu/v1, TraCuu/v2"):
        TABLE.spec_for(ServiceId.parse("VN/GOV/BCA/CSDLDC/TraCuu/v3"))


def test_duplicate_declaration_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        ServiceTable([LOOKUP, LOOKUP])


def test_valid_payload_becomes_the_request_model() -> None:
    request = LOOKUP.parse_request({"id_number": "031200001234"})
    assert request == LookupRequest(id_number="031200001234")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id_number": "12"}, "id_number"),
        ({}, "id_number"),
        ({"id_number": "031200001234", "address": {"province_code": "HP"}}, "address.province_code"),
        (["not", "an", "object"], "(payload)"),
    ],
)
def test_invalid_payload_is_bad_request_naming_the_field(payload: object, field: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(f"TraCuu/v1: field '{field}'")):
        LOOKUP.parse_request(payload)  # type: ignore[arg-type]


def test_answer_is_validated_and_dumped_as_json() -> None:
    assert LOOKUP.dump_response(LookupResponse(found=True, name="Lê Văn Đạt")) == {
        "found": True,
        "name": "Lê Văn Đạt",
    }
    assert LOOKUP.dump_response({"found": False}) == {"found": False, "name": None}


def test_answer_that_does_not_fit_its_model_is_bad_response() -> None:
    with pytest.raises(BadResponse, match="field 'found'"):
        LOOKUP.dump_response({"name": "x"})


def test_json_schema_describes_request_and_response_per_service() -> None:
    schemas = TABLE.json_schemas()
    assert set(schemas) == {"TraCuu/v1", "TraCuu/v2"}
    v1 = schemas["TraCuu/v1"]
    assert (v1["service"], v1["version"], v1["summary"]) == ("TraCuu", "v1", "Look a citizen up")
    assert v1["request"]["properties"]["id_number"]["pattern"] == r"^\d{12}$"
    assert v1["request"]["required"] == ["id_number"]
    assert v1["response"]["required"] == ["found"]
