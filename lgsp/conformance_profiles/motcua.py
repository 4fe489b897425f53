"""The motcua adapter's conformance profile: the one-stop mock (no latency, no progress reports), a
portal dossier, sent as the portal sends it, and a paid dossier handed to the officers, then looked up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp

from adapters.conformance.profile import ConformanceProfile, Sample
from adapters.motcua.wire import PORTAL_TIME, VIETNAM_TIME
from services.faults import Latency
from services.motcua import MotcuaSettings, create_app

SERVICE = "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"
HAND_OVER = "VN/GOV/HPG/MOTCUA/ChuyenXuLyHoSo/v1"
LOOK_UP = "VN/GOV/HPG/MOTCUA/TraCuuXuLyHoSo/v1"


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


def handed_over(number: str, received: datetime) -> dict[str, Any]:
    """A civil-status extract dossier, its fee paid, handed to the officers (ChuyenXuLyHoSo)."""
    return {
        "dossier_number": number,
        "procedure": {"code": "2.000908", "name": "Thủ tục cấp bản sao trích lục hộ tịch",
                      "field_code": "HT", "field_name": "Hộ tịch", "service_code": "2.000908.H31"},
        "owner": {"full_name": "Nguyễn Thị Hương", "id_number": "030190745721"},
        "received_at": received.isoformat(),
        "summary": "Thủ tục cấp bản sao trích lục hộ tịch - Nguyễn Thị Hương",
        "unit": "H31.29",
        "fees": [{"code": "LP-TLHT", "name": "Lệ phí cấp bản sao trích lục", "amount_vnd": 8000, "kind": 2}],
    }  # fmt: skip


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
        samples=(
            Sample(service=SERVICE, payload=portal_dossier("H31.29-20250105-9001", received)),
            Sample(service=HAND_OVER, payload=handed_over("H31.29-20250105-9003", received)),
            Sample(service=LOOK_UP, payload={"dossier_number": "H31.29-20250105-9003"}),
        ),
        large_sample=Sample(service=SERVICE, payload=large),
    )
