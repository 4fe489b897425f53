"""The payment platform's wire protocol (1.0.6): initiate, payer page, status query and its error codes.

Checksums here are computed by hand from the published field order, never by the platform's own signer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.faults import Latency
from services.payment import PartnerConfig, PaymentSettings, create_app

PARTNER = "HPG_LGSP"
SECRET = "test-secret-of-hai-phong"
OTHER_PARTNER = "HNI_LGSP"
OTHER_SECRET = "test-secret-of-ha-noi"
REFERENCE = "HS-031-0001"


def sha256_joined(*values: object) -> str:
    return hashlib.sha256("|".join(str(v) for v in values).encode()).hexdigest()


def init_message(reference: str = REFERENCE, amount: int = 150_000, secret: str = SECRET) -> dict[str, Any]:
    message: dict[str, Any] = {
        "LoaiBanTin": "INIT",
        "PhienBan": "1.0.6",
        "MaDoiTac": PARTNER,
        "MaThamChieu": reference,
        "SoTien": amount,
        "MaTienTe": "VND",
        "ThongTinGiaoDich": "Lệ phí đăng ký khai sinh",
        "ThoiGianGD": "20240501103000",
        "Ip": "10.31.0.7",
        "NgonNgu": "vi-VN",
        "ThongTinBienLai": {
            "MaTTHC": "1.001193",
            "MaDVC": "DVC-KS-01",
            "MaDonVi": "031-STP",
            "MaHoSo": reference,
            "HoTenNguoiNop": "Nguyễn Thị Hương",
            "SoCMNDNguoiNop": "031190001234",
            "PhiLePhi": [
                {
                    "LoaiPhiLePhi": "2",
                    "MaPhiLePhi": "LP01",
                    "TenPhiLePhi": "Lệ phí",
                    "SoTien": amount - 50_000,
                },
                {"LoaiPhiLePhi": "1", "MaPhiLePhi": "P01", "TenPhiLePhi": "Phí bản sao", "SoTien": 50_000},
            ],
        },
    }
    return sign_init(message, secret)


def sign_init(message: dict[str, Any], secret: str = SECRET) -> dict[str, Any]:
    m = message
    m["MaXacThuc"] = sha256_joined(
        m["LoaiBanTin"], m["PhienBan"], m["MaDoiTac"], m["MaThamChieu"], m["SoTien"], m["MaTienTe"],
        m["ThongTinGiaoDich"], m["ThoiGianGD"], m["Ip"], m["NgonNgu"], secret,
    )  # fmt: skip
    return m


def query_message(reference: str = REFERENCE, amount: int = 150_000, secret: str = SECRET) -> dict[str, Any]:
    m: dict[str, Any] = {
        "LoaiBanTin": "QUERY",
        "PhienBan": "1.0.6",
        "MaDoiTac": PARTNER,
        "MaThamChieu": reference,
        "SoTien": amount,
        "ThoiGianGD": "20240501110000",
    }
    m["MaXacThuc"] = sha256_joined(
        m["LoaiBanTin"], m["PhienBan"], m["MaDoiTac"], m["MaThamChieu"], m["SoTien"], m["ThoiGianGD"], secret
    )
    return m


def settings(**changes: Any) -> PaymentSettings:
    values: dict[str, Any] = {
        "partners": {
            PARTNER: PartnerConfig(secret=SECRET),
            OTHER_PARTNER: PartnerConfig(secret=OTHER_SECRET),
        },
        "latency": Latency(),
        "lost_callback_rate": 0.0,
        "stay_pending_rate": 0.0,
        "seed": 7,
    }
    return PaymentSettings(**(values | changes))


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://payment", timeout=5) as client:
            yield client


@pytest.fixture
async def payment() -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(create_app(settings())):
        yield client


async def effects(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/_control/effects")
    assert response.status_code == 200
    result: dict[str, int] = response.json()
    return result


async def trang_thai(client: httpx.AsyncClient, reference: str = REFERENCE) -> int:
    response = await client.post("/api/v1/query", json=query_message(reference))
    assert response.status_code == 200, response.text
    status: int = response.json()["message"]["TrangThaiGD"]
    return status


async def test_signed_initiate_answers_a_payment_url_whose_page_shows_the_amount(
    payment: httpx.AsyncClient,
) -> None:
    response = await payment.post("/api/v1/init", json=init_message())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["error_code"] == "0"
    url = body["message"]["UrlThanhToan"]
    assert re.fullmatch(r"http://127\.0\.0\.1:8103/pay/[0-9a-f]{32}", url)
    page = await payment.get(httpx.URL(url).path)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "150,000 VND" in page.text and "Nguyễn Thị Hương" in page.text
    assert (await effects(payment))["payments_created"] == 1


async def test_checksum_is_case_insensitive_hex(payment: httpx.AsyncClient) -> None:
    message = init_message()
    message["MaXacThuc"] = message["MaXacThuc"].upper()

    response = await payment.post("/api/v1/init", json=message)

    assert response.json()["error_code"] == "0"


async def test_initiate_with_bad_checksum_is_refused_with_code_03_and_records_nothing(
    payment: httpx.AsyncClient,
) -> None:
    tampered = init_message()
    tampered["SoTien"] = 15_000  # changed after signing
    tampered["ThongTinBienLai"]["PhiLePhi"] = [
        tampered["ThongTinBienLai"]["PhiLePhi"][1] | {"SoTien": 15_000}
    ]

    response = await payment.post("/api/v1/init", json=tampered)

    assert response.status_code == 401
    assert response.json()["error_code"] == "03"
    assert (await effects(payment))["payments_created"] == 0
    assert (await payment.post("/api/v1/query", json=query_message(amount=15_000))).json()[
        "error_code"
    ] == "05"


async def test_initiate_signed_with_another_partners_secret_is_refused_with_code_03(
    payment: httpx.AsyncClient,
) -> None:
    response = await payment.post("/api/v1/init", json=init_message(secret=OTHER_SECRET))

    assert response.json()["error_code"] == "03"


async def test_initiate_from_unknown_partner_is_refused_with_code_02(payment: httpx.AsyncClient) -> None:
    message = init_message()
    message["MaDoiTac"] = "XYZ_LGSP"

    response = await payment.post("/api/v1/init", json=sign_init(message))

    assert response.status_code == 403
    assert response.json()["error_code"] == "02"
    assert (await effects(payment))["payments_created"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("SoTien", "150000"),  # a string where the protocol has a number
        ("SoTien", -5),
        ("MaTienTe", "USD"),
        ("ThoiGianGD", "20241399250000"),  # 14 digits, but no such date
        ("Ip", "10.31.0.999"),
        ("PhienBan", "1.0.5"),
        ("MaThamChieu", "HS 031/0001"),
    ],
)
async def test_malformed_initiate_is_refused_with_code_01_naming_the_field(
    payment: httpx.AsyncClient, field: str, value: object
) -> None:
    message = init_message()
    message[field] = value

    response = await payment.post("/api/v1/init", json=message)

    assert response.status_code == 400
    assert response.json()["error_code"] == "01"
    assert field in response.json()["message"]
    assert (await effects(payment))["payments_created"] == 0


async def test_initiate_missing_a_field_or_not_json_is_refused_with_code_01(
    payment: httpx.AsyncClient,
) -> None:
    message = init_message()
    del message["ThongTinBienLai"]["MaHoSo"]

    missing = await payment.post("/api/v1/init", json=message)
    garbage = await payment.post(
        "/api/v1/init", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert missing.status_code == 400 and "MaHoSo" in missing.json()["message"]
    assert garbage.status_code == 400 and garbage.json()["error_code"] == "01"


async def test_fee_lines_not_adding_up_to_the_amount_are_refused_with_code_06(
    payment: httpx.AsyncClient,
) -> None:
    message = init_message()
    message["ThongTinBienLai"]["PhiLePhi"][0]["SoTien"] += 1

    response = await payment.post("/api/v1/init", json=message)

    assert response.status_code == 422
    assert response.json()["error_code"] == "06"
    assert (await effects(payment))["payments_created"] == 0


async def test_repeated_identical_initiate_answers_the_same_url_without_a_new_payment(
    payment: httpx.AsyncClient,
) -> None:
    first = await payment.post("/api/v1/init", json=init_message())
    second = await payment.post("/api/v1/init", json=init_message())

    assert second.json() == first.json()
    assert (await effects(payment))["payments_created"] == 1


async def test_reinitiate_with_another_amount_is_refused_with_code_06_and_keeps_the_original(
    payment: httpx.AsyncClient,
) -> None:
    await payment.post("/api/v1/init", json=init_message(amount=150_000))

    response = await payment.post("/api/v1/init", json=init_message(amount=250_000))

    assert response.json()["error_code"] == "06"
    assert (await payment.post("/api/v1/query", json=query_message(amount=150_000))).json()[
        "error_code"
    ] == "0"


async def test_reinitiate_of_a_completed_payment_is_refused_as_duplicate_reference_04(
    payment: httpx.AsyncClient,
) -> None:
    await payment.post("/api/v1/init", json=init_message())
    command = {"MaDoiTac": PARTNER, "MaThamChieu": REFERENCE, "outcome": "fail"}
    assert (await payment.post("/_control/payments/complete", json=command)).status_code == 200

    response = await payment.post("/api/v1/init", json=init_message())

    assert response.status_code == 409
    assert response.json()["error_code"] == "04"


async def test_query_of_unknown_reference_answers_code_05(payment: httpx.AsyncClient) -> None:
    response = await payment.post("/api/v1/query", json=query_message("HS-NEVER-SEEN"))

    assert response.status_code == 404
    assert response.json()["error_code"] == "05"


async def test_query_with_wrong_amount_answers_code_06(payment: httpx.AsyncClient) -> None:
    await payment.post("/api/v1/init", json=init_message(amount=150_000))

    response = await payment.post("/api/v1/query", json=query_message(amount=151_000))

    assert response.json()["error_code"] == "06"


async def test_query_with_bad_checksum_answers_code_03(payment: httpx.AsyncClient) -> None:
    await payment.post("/api/v1/init", json=init_message())
    message = query_message()
    message["MaXacThuc"] = sha256_joined("not", "the", "fields", SECRET)

    response = await payment.post("/api/v1/query", json=message)

    assert response.json()["error_code"] == "03"


async def test_partner_cannot_query_another_partners_payment(payment: httpx.AsyncClient) -> None:
    await payment.post("/api/v1/init", json=init_message())
    m = query_message(secret=OTHER_SECRET) | {"MaDoiTac": OTHER_PARTNER}
    m["MaXacThuc"] = sha256_joined(
        m["LoaiBanTin"],
        m["PhienBan"],
        m["MaDoiTac"],
        m["MaThamChieu"],
        m["SoTien"],
        m["ThoiGianGD"],
        OTHER_SECRET,
    )

    response = await payment.post("/api/v1/query", json=m)

    assert response.json()["error_code"] == "05"


async def test_paid_through_the_page_query_answers_success_signed_over_the_result_fields(
    payment: httpx.AsyncClient,
) -> None:
    url = (await payment.post("/api/v1/init", json=init_message())).json()["message"]["UrlThanhToan"]
    assert await trang_thai(payment) == 3

    paid = await payment.post(httpx.URL(url).path, data={"outcome": "success"})

    assert paid.status_code == 200
    result = (await payment.post("/api/v1/query", json=query_message())).json()["message"]
    assert result["TrangThaiGD"] == 1
    assert re.fullmatch(r"PG\d{12}", result["MaGiaoDich"])
    assert re.fullmatch(r"\d{14}", result["ThoiGianGD"])
    r = result
    assert r["MaXacThuc"] == sha256_joined(
        r["MaDoiTac"], r["MaThamChieu"], r["SoTien"], r["MaTienTe"], r["TrangThaiGD"], r["MaGiaoDich"],
        r["MaNganHang"], r["ThoiGianGD"], SECRET,
    )  # fmt: skip


@pytest.mark.parametrize("outcome", ["fail", "abandon"])
async def test_failed_or_abandoned_payment_queries_as_failed_4(
    payment: httpx.AsyncClient, outcome: str
) -> None:
    await payment.post("/api/v1/init", json=init_message())
    command = {"MaDoiTac": PARTNER, "MaThamChieu": REFERENCE, "outcome": outcome}

    response = await payment.post("/_control/payments/complete", json=command)

    assert response.json()["message"]["TrangThaiGD"] == 4
    assert await trang_thai(payment) == 4


async def test_paying_twice_is_refused_and_keeps_the_first_outcome(payment: httpx.AsyncClient) -> None:
    url = (await payment.post("/api/v1/init", json=init_message())).json()["message"]["UrlThanhToan"]
    await payment.post(httpx.URL(url).path, data={"outcome": "fail"})

    again = await payment.post(httpx.URL(url).path, data={"outcome": "success"})

    assert again.status_code == 409
    assert await trang_thai(payment) == 4
    assert (await effects(payment))["payments_completed"] == 1


async def test_payer_form_with_unknown_outcome_or_unknown_page_is_refused(payment: httpx.AsyncClient) -> None:
    url = (await payment.post("/api/v1/init", json=init_message())).json()["message"]["UrlThanhToan"]

    odd = await payment.post(httpx.URL(url).path, data={"outcome": "maybe"})
    unknown = await payment.get("/pay/" + "0" * 32)

    assert odd.status_code == 400
    assert unknown.status_code == 404
    assert await trang_thai(payment) == 3


async def test_success_stuck_at_the_intermediary_stays_pending_3() -> None:
    async for client in serve(create_app(settings(stay_pending_rate=1.0))):
        await client.post("/api/v1/init", json=init_message())
        command = {"MaDoiTac": PARTNER, "MaThamChieu": REFERENCE, "outcome": "success"}
        await client.post("/_control/payments/complete", json=command)

        assert await trang_thai(client) == 3
        assert (await effects(client))["payments_pending"] == 1


def test_settings_refuse_an_inverted_delay_range() -> None:
    with pytest.raises(ValueError, match="confirm_delay_min_s"):
        settings(confirm_delay_min_s=10.0, confirm_delay_max_s=1.0)


def test_settings_read_partners_from_lgsp_payment_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_PAYMENT_PARTNERS", '{"QNH_LGSP": {"secret": "quang-ninh-secret"}}')
    monkeypatch.setenv("LGSP_PAYMENT_TIME_SCALE", "0.01")

    loaded = PaymentSettings()

    assert loaded.partners["QNH_LGSP"].secret == "quang-ninh-secret"
    assert loaded.time_scale == 0.01


async def test_injected_errors_reach_the_caller_and_record_nothing(payment: httpx.AsyncClient) -> None:
    patched = await payment.patch("/_control/faults", json={"error_rate": 1.0, "error_status": 502})
    assert patched.status_code == 200

    response = await payment.post("/api/v1/init", json=init_message())

    assert response.status_code == 502
    assert (await effects(payment))["payments_created"] == 0
