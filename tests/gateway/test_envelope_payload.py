"""The gateway's envelope takes the parsed body as it is: the same envelope, and the same bytes on the
wire, as one whose payload pydantic validated as `JsonValue`."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from bus.catalog import load_catalog
from bus.codec import envelope_message
from bus.envelope import Envelope
from bus.gateway.requests import build_envelope, parse_payload
from bus.identifiers import ClientId, ServiceId
from loadtests.stack import DEFAULT_CATALOG

CATALOG = load_catalog(DEFAULT_CATALOG)
CLIENT = CATALOG.client(ClientId.parse("VN/GOV/HPG/LOADTEST"))
SERVICE = CATALOG.service(ServiceId.parse("VN/GOV/HPG/LGSP/Echo/v1"))

BODIES = [
    b'{"MaHoSo": "H31.34-1", "ChuHoSo": {"HoVaTen": "Ph\\u1ea1m Th\\u1ecb My", "SoDinhDanh": "030193063828"},'
    b' "KenhThucHien": 2, "LePhi": [{"SoTien": 8000.5, "Ten": "Ph\xc3\xad"}],'
    b' "DaTra": false, "GhiChu": null}',
    b'{"id_number": "031190000001", "n": 123456789012345678901234567890, "x": -1.5e300, "e": [], "o": {}}',
    b'[1, "two", 3.0, true, null, [[]]]',
    b'"just text"',
    b"42",
    b"",
]


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""})


@pytest.mark.parametrize("body", BODIES)
def test_envelope_of_a_parsed_body_is_the_validated_one(body: bytes) -> None:
    assert CLIENT is not None and SERVICE is not None
    payload = parse_payload(body)

    built = build_envelope(_request(), {}, "t-1", CLIENT, SERVICE, "", payload)
    validated = Envelope.model_validate(built.model_dump() | {"payload": payload})

    assert built == validated
    assert "payload" in built.model_fields_set  # given, as before
    assert envelope_message(built).body == envelope_message(validated).body
    assert Envelope.model_validate_json(envelope_message(built).body) == validated


def test_envelope_stays_frozen_with_its_payload() -> None:
    assert CLIENT is not None and SERVICE is not None
    built = build_envelope(_request(), {}, "t-1", CLIENT, SERVICE, "", parse_payload(b'{"a": 1}'))

    assert built.payload == {"a": 1}
    with pytest.raises(ValueError, match="frozen"):
        built.payload = {"a": 2}  # type: ignore[misc]
