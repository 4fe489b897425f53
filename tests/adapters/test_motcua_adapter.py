"""Motcua adapter against the one-stop mock in-process: conversion, idempotency, field-named rejections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from adapters.conformance import check_target
from adapters.motcua import MotcuaAdapter, MotcuaConfig, create_adapter
from adapters.motcua.wire import VIETNAM_TIME
from bus.envelope import Envelope
from bus.errors import BadRequest, ProviderRejected
from lgsp.conformance_profiles.motcua import portal_dossier
from services.faults import Latency
from services.motcua import MotcuaSettings, create_app

RECEIVED = datetime(2025, 1, 5, 8, 30, tzinfo=VIETNAM_TIME)
NUMBER = "H31.29-20250105-0001"


@pytest.fixture
async def system() -> AsyncIterator[tuple[MotcuaAdapter, httpx.AsyncClient]]:
    transport = httpx.ASGITransport(app=create_app(MotcuaSettings(gateway_url=None, latency=Latency())))
    adapter = MotcuaAdapter(MotcuaConfig(base_url="http://motcua"), transport=transport)
    async with httpx.AsyncClient(transport=transport, base_url="http://motcua") as control:
        yield adapter, control
    await adapter.close()


def envelope(payload: Any) -> Envelope:
    return Envelope(
        client="VN/GOV/DVCQG/PORTAL",
        service="VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1",
        payload=payload,
        issue=NUMBER,
    ).with_deadline(5)


async def test_a_portal_dossier_arrives_in_the_systems_own_format(
    system: tuple[MotcuaAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = system
    answer = await adapter.handle(envelope(portal_dossier(NUMBER, RECEIVED)))
    assert isinstance(answer, dict)
    assert answer["dossier_number"] == NUMBER and answer["system_id"] == "MC.031.00000001"
    held = (await control.get(f"/api/v1/hoso/{NUMBER}")).json()["hoSo"]
    assert held["ngayTiepNhan"] == "2025-01-05T08:30:00+07:00"
    assert held["chuHoSo"] == {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "030190745721"}
    assert held["thuTuc"]["tenTTHC"] == "Thủ tục đăng ký khai sinh"
    assert held["phiLePhi"] == [{"ma": "LP-KS", "ten": "Lệ phí đăng ký khai sinh", "soTien": 0, "loai": 2}]


async def test_a_redelivered_dossier_gets_the_same_receipt_and_no_second_effect(
    system: tuple[MotcuaAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = system
    first = await adapter.handle(envelope(portal_dossier(NUMBER, RECEIVED)))
    second = await adapter.handle(envelope(portal_dossier(NUMBER, RECEIVED)))
    assert first == second
    assert (await control.get("/_control/effects")).json()["dossiers_received"] == 1


async def test_the_same_number_with_other_content_is_rejected_naming_mahoso(
    system: tuple[MotcuaAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = system
    await adapter.handle(envelope(portal_dossier(NUMBER, RECEIVED)))
    changed = portal_dossier(NUMBER, RECEIVED) | {"TrichYeuHoSo": "Nội dung khác"}
    with pytest.raises(ProviderRejected, match="field 'MaHoSo'"):
        await adapter.handle(envelope(changed))


async def test_a_due_date_before_reception_is_rejected_with_the_canonical_field_name(
    system: tuple[MotcuaAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = system
    backwards = portal_dossier(NUMBER, RECEIVED) | {"NgayHenTra": "20250104080000"}
    with pytest.raises(ProviderRejected, match="field 'NgayHenTra'"):
        await adapter.handle(envelope(backwards))
    assert (await control.get("/_control/effects")).json()["dossiers_received"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"NgayTiepNhan": "20251301080000"}, "NgayTiepNhan"), ({"KenhThucHien": 9}, "KenhThucHien")],
)
async def test_bad_portal_input_is_a_bad_request_naming_the_field_and_calls_nothing(
    system: tuple[MotcuaAdapter, httpx.AsyncClient], changes: dict[str, Any], field: str
) -> None:
    adapter, control = system
    with pytest.raises(BadRequest, match=field):
        await adapter.handle(envelope(portal_dossier(NUMBER, RECEIVED) | changes))
    assert (await control.get("/_control/effects")).json()["dossiers_received"] == 0


def test_factory_refuses_a_bad_config_naming_the_key() -> None:
    with pytest.raises(ValueError, match="base_url"):
        create_adapter({"base_url": "ftp://nowhere"})
    with pytest.raises(ValueError, match="surprise"):
        create_adapter({"surprise": 1})


@pytest.mark.slow
async def test_motcua_adapter_passes_every_applicable_conformance_check() -> None:
    report = await check_target("adapters.motcua:create_adapter")
    assert report.ok, report.model_dump_json(indent=1)
    statuses = {result.name: result.status for result in report.results}
    assert statuses["idempotent_under_redelivery"] == "pass"
    assert {name for name, status in statuses.items() if status != "pass"} == {
        "maps_soap_fault",
        "no_credentials_in_logs",
    }
