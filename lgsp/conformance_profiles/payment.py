"""The payment adapter's conformance profile: the PayGov mock (no latency, no lost or pending
confirmations, seeded) with its own partner and secret, an initiate that may be resent, status queries,
and a receipt with every line at its longest."""

from __future__ import annotations

from typing import Any

from adapters.conformance.profile import ConformanceProfile, Sample
from lgsp.mock_provider import mock_provider
from services.payment.settings import PartnerConfig, PaymentSettings

SERVICE_PREFIX = "VN/GOV/NAPAS/PAYGOV"
CONFORMANCE_PARTNER = "HPG_LGSP_KIT"
CONFORMANCE_SECRET = "paygov-conformance-secret-7d41e2"
SEED = 2023
MAX_FEES = 50
_FEE_TEXT = "Lệ phí cấp bản sao trích lục hộ tịch, đăng ký khai sinh, phường Lạch Tray, Hải Phòng. "
_LONG_FEE_NAME = (_FEE_TEXT * 4)[:255].strip()


def dossier(number: str, fees: list[dict[str, Any]]) -> dict[str, Any]:
    """A birth-registration dossier of Hải Phòng's Department of Justice, paid by the mother."""
    return {
        "procedure_code": "1.001193",
        "service_code": "1.001193.000.00.00.H31",
        "agency_code": "H31.29",
        "dossier_number": number,
        "payer_name": "Nguyễn Thị Hương",
        "payer_id_number": "031190745721",
        "fees": fees,
    }


def initiate_payload(reference: str, fees: list[dict[str, Any]], description: str) -> dict[str, Any]:
    """A canonical initiate whose amount is the sum of `fees`."""
    return {
        "reference": reference,
        "amount_vnd": sum(fee["amount_vnd"] for fee in fees),
        "description": description,
        "dossier": dossier(f"H31.29-{reference}", fees),
        "payer_ip": "113.160.92.14",
        "language": "vi-VN",
    }


def samples() -> tuple[Sample, ...]:
    """Initiate first (a resend is the same payment), then its status and an unknown reference's; then a
    second payment and its refund (unpaid: cancelled)."""
    fees = [
        {"kind": "charge", "code": "LP-KS", "name": "Lệ phí đăng ký khai sinh quá hạn", "amount_vnd": 8000},
        {"kind": "fee", "code": "P-BS", "name": "Phí cấp bản sao trích lục", "amount_vnd": 16000},
    ]
    reference = "KIT-20250105-0001"
    description = "Nộp lệ phí hồ sơ đăng ký khai sinh – Nguyễn Thị Hương"
    return (
        Sample(
            service=f"{SERVICE_PREFIX}/KhoiTaoThanhToan/v1",
            payload=initiate_payload(reference, fees, description),
        ),
        Sample(service=f"{SERVICE_PREFIX}/TraCuuGiaoDich/v1", payload={"reference": reference}),
        Sample(
            service=f"{SERVICE_PREFIX}/TraCuuGiaoDich/v1",
            payload={"reference": "KIT-NEVER-INITIATED", "amount_vnd": 24000},
        ),
        # a payment of its own to refund: the checks that resend the first sample need it unrefunded
        Sample(
            service=f"{SERVICE_PREFIX}/KhoiTaoThanhToan/v1",
            payload=initiate_payload("KIT-20250105-0002", fees, description),
        ),
        Sample(
            service=f"{SERVICE_PREFIX}/HoanTien/v1",
            payload={
                "reference": "KIT-20250105-0002",
                "reason": "Hồ sơ bị từ chối",
                "cancel_e_receipt": True,
            },
        ),
    )


def large_sample() -> Sample:
    """A receipt with the most fee lines the platform takes, every free text at 255 characters."""
    fees = [
        {"kind": "fee", "code": f"P-{index:02d}", "name": _LONG_FEE_NAME, "amount_vnd": 1000 + index}
        for index in range(MAX_FEES)
    ]
    return Sample(
        service=f"{SERVICE_PREFIX}/KhoiTaoThanhToan/v1",
        payload=initiate_payload("KIT-20250105-LARGE", fees, _LONG_FEE_NAME),
    )


def conformance_profile() -> ConformanceProfile:
    """The PayGov mock knowing only the kit's partner; confirmations never lost, payments never pending."""
    settings = PaymentSettings(
        partners={CONFORMANCE_PARTNER: PartnerConfig(secret=CONFORMANCE_SECRET)},
        lost_callback_rate=0.0,
        stay_pending_rate=0.0,
        time_scale=0.001,
        seed=SEED,
    )
    return ConformanceProfile(
        provider=mock_provider("payment", settings=settings),
        config={
            "timeout_cap": 10.0,
            "partner_code": CONFORMANCE_PARTNER,
            "secret": CONFORMANCE_SECRET,
        },
        samples=samples(),
        large_sample=large_sample(),
        secrets=(CONFORMANCE_SECRET,),
    )
