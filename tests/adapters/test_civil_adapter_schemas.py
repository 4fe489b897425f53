"""The civil adapter's canonical schemas, served by the gateway's schemas router."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.civil import create_adapter
from adapters.echo import EchoAdapter
from bus.catalog import parse_catalog
from bus.errors import BusError
from bus.gateway.routing import error_response
from bus.gateway.schemas import schemas_router

CATALOG = """
adapters:
  civil: {}
  echo: {}
clients:
  - id: VN/GOV/HPG/STP
    api_key_sha256: [1968480932cc2b3de54e4a49f00cdcb1c0279c42c29ba82f262ecb6bd66ae33b]
services:
  - id: VN/GOV/BTP/HOTICH/DangKyKhaiSinh/v1
    name: Đăng ký khai sinh
    adapter: civil
  - id: VN/GOV/HPG/LGSP/Echo/v1
    adapter: echo
"""


def _client() -> TestClient:
    app = FastAPI()
    app.add_exception_handler(BusError, lambda _, error: error_response(error, None))  # type: ignore[arg-type]
    adapters = {"civil": create_adapter({}), "echo": EchoAdapter({})}
    app.include_router(schemas_router(parse_catalog(CATALOG), adapters))
    return TestClient(app, raise_server_exceptions=False)


def test_schema_of_a_civil_service_lists_canonical_fields() -> None:
    answer = _client().get("/catalog/schemas/VN/GOV/BTP/HOTICH/DangKyKhaiSinh/v1")
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "Đăng ký khai sinh"
    assert {"register_entry", "child", "mother", "requester"} <= set(body["request"]["properties"])
    assert "child_id_number" in body["response"]["properties"]


def test_service_outside_the_catalog_or_without_schemas_is_unknown() -> None:
    client = _client()
    for path in ("VN/GOV/BTP/HOTICH/Nope/v1", "VN/GOV/HPG/LGSP/Echo/v1", "not-an-id"):
        answer = client.get(f"/catalog/schemas/{path}")
        assert answer.status_code == 404, path
        assert answer.json()["type"] == "Client.UnknownService"
