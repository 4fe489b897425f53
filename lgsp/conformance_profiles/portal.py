"""The portal adapter's conformance profile: the portal mock holding one dossier it sent, a look-up of
it and progress updates (status 4, which may follow itself, so samples can be resent)."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.types import ASGIApp

from adapters.conformance.profile import ConformanceProfile, Sample
from adapters.portal.wire import VIETNAM_TIME
from services.citizens import Population
from services.portal import DossierFactory, HoSoMC, PortalSettings, create_app
from services.registry import without_latency

SERVICE_PREFIX = "VN/GOV/DVCQG/PORTAL"
POPULATION_SIZE = 3000


def _provider(dossier: HoSoMC, population: Population) -> ASGIApp:
    app = create_app(PortalSettings(population_size=POPULATION_SIZE), population=population)
    without_latency(app)
    app.state.dossiers.add(dossier)  # as if the portal had sent it to the province
    return app


def conformance_profile() -> ConformanceProfile:
    """A dossier received an hour ago; updates stamped now."""
    population = Population(seed=2023, size=POPULATION_SIZE)
    received = datetime.now(VIETNAM_TIME).replace(microsecond=0, tzinfo=None) - timedelta(hours=1)
    dossier = DossierFactory(population, now=lambda: received).next_dossier()
    now = (received + timedelta(hours=1)).replace(tzinfo=VIETNAM_TIME).isoformat()
    update = {
        "dossier_number": dossier.MaHoSo,
        "status": 4,
        "updated_at": now,
        "note": "Chuyển chuyên viên thụ lý, thẩm định hồ sơ",
        "officer": "Trần Thị Mai",
        "unit": dossier.DonViXuLy,
    }
    long_note = ("Bộ phận một cửa phường Lạch Tray đang thẩm định hồ sơ của công dân. " * 40)[:2000]
    return ConformanceProfile(
        provider=lambda: _provider(dossier, population),
        config={"timeout_cap": 10.0},
        samples=(
            Sample(service=f"{SERVICE_PREFIX}/TraCuuHoSo/v1", payload={"dossier_number": dossier.MaHoSo}),
            Sample(service=f"{SERVICE_PREFIX}/CapNhatTienDoHoSoMC/v1", payload=update),
            Sample(
                service=f"{SERVICE_PREFIX}/DongBoTrangThaiLienThong/v1",
                payload={
                    "dossier_number": f"LT-{dossier.MaHoSo}",
                    "status": "received",
                    "updated_at": now,
                    "note": "Tiếp nhận hồ sơ liên thông khai sinh, thường trú, BHYT",
                },
            ),
        ),
        large_sample=Sample(
            service=f"{SERVICE_PREFIX}/CapNhatTienDoHoSoMC/v1", payload=update | {"note": long_note}
        ),
    )
