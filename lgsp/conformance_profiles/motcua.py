"""The motcua adapter's conformance profile: the one-stop mock (no latency, no progress reports) and a
portal dossier, sent as the portal sends it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp

from adapters.conformance.profile import ConformanceProfile, Sample
from adapters.motcua.wire import PORTAL_TIME, VIETNAM_TIME
from services.faults import Latency
from services.motcua import MotcuaSettings, create_app

SERVICE = "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"


def portal_dossier(number: str, received: datetime) -> dict[str, Any]:
    """A birth-registration dossier in the portal's DongBoHoSoMC format."""
    return {
        "MaHoSo": number,
        "MaTTHC": "1.001193",
        "TenTTHC": "Thủ tục đăng ký khai sinh",
        "MaLinhVuc": "HT",
        "TenLinhVuc": "Hộ tịch",
        "MaDVC": "1.001193.H31",
        "ChuHoSo": {"HoVaTen": "Nguyễn Thị Hương", "SoDinhDanh": "030190745721"},
        "KenhThucHien": 2,
        "NgayTiepNhan": received.strftime(PORTAL_TIME),
        "NgayHenTra": (received + timedelta(days=1)).strftime(PORTAL_TIME),
        "TrangThaiHoSo": 1,
        "TrichYeuHoSo": "Thủ tục đăng ký khai sinh - Nguyễn Thị Hương",
        "DonViXuLy": "H31.29",
        "LePhi": [
            {"MaPhiLePhi": "LP-KS", "TenPhiLePhi": "Lệ phí đăng ký khai sinh", "Gia": 0, "LoaiPhiLePhi": 2}
        ],
    }


def _provider() -> ASGIApp:
    # No gateway: the kit checks the adapter, not the reports the mock would send on its own.
    return create_app(MotcuaSettings(gateway_url=None, latency=Latency()))


def conformance_profile() -> ConformanceProfile:
    """One dossier (safe to resend: the system takes it in once) and a large one."""
    received = datetime.now(VIETNAM_TIME).replace(microsecond=0)
    large = portal_dossier("H31.29-20250105-9002", received)
    long_text = ("Đăng ký khai sinh cho trẻ sinh tại Bệnh viện Phụ sản Hải Phòng, phường Lạch Tray. " * 30)[
        :2000
    ]
    large |= {"TrichYeuHoSo": long_text, "TenTTHC": long_text[:255], "DonViXuLy": long_text[:255]}
    return ConformanceProfile(
        provider=_provider,
        config={"timeout_cap": 10.0},
        samples=(Sample(service=SERVICE, payload=portal_dossier("H31.29-20250105-9001", received)),),
        large_sample=Sample(service=SERVICE, payload=large),
    )
