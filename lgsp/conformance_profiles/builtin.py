"""Conformance profiles of the echo and population adapters (registered in `lgsp.conformance`)."""

from __future__ import annotations

from adapters.conformance.profile import ConformanceProfile, Sample
from lgsp.mock_provider import mock_provider
from services.citizens import Population

_POPULATION_SIZE = 3000


def echo_profile() -> ConformanceProfile:
    """The echo adapter calls nobody: only its own behaviour is checked."""
    return ConformanceProfile(
        provider=None,
        samples=(
            Sample(
                service="VN/GOV/HPG/LGSP/Echo/v1",
                payload={"greeting": "Xin chào Hải Phòng", "dossier": "H31.29-20250105-0001"},
            ),
        ),
    )


def population_profile() -> ConformanceProfile:
    """The population-database mock (SOAP) over a small population; verify and look up a known citizen."""
    population = Population(seed=2023, size=_POPULATION_SIZE)
    citizen = population.citizen(population.id_at(0))
    assert citizen is not None
    prefix = "VN/GOV/BCA/CSDLDC"
    return ConformanceProfile(
        provider=mock_provider("population", population=population, latency=False),
        config={"timeout_cap": 10.0},
        samples=(
            Sample(
                service=f"{prefix}/XacThucThongTinCongDan/v1",
                payload={"id_number": citizen.id_number, "full_name": citizen.full_name},
            ),
            Sample(
                service=f"{prefix}/XacMinhThongTinNhanThan/v1",
                payload={"id_number": citizen.id_number, "full_name": citizen.full_name},
            ),
            Sample(service=f"{prefix}/BienDongKhaiTu/v1", payload={"after": 0, "limit": 10}),
        ),
        soap=True,
    )
