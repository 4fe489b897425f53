"""Who calls in a load test: identities parsed from the command line, each scenario sent by those allowed."""

from __future__ import annotations

import pytest

from loadtests.callers import DEFAULT_CALLERS, Caller, offer, parse_callers
from loadtests.scenarios.population import LOOKUP_CITIZEN, VERIFY_CITIZEN
from loadtests.scenarios.portal import SYNC_DOSSIER

PORTAL = Caller("VN/GOV/DVCQG/PORTAL", "portal-demo-key")
AGENCY = Caller("VN/GOV/HPG/STP", "stp-demo-key")
VERIFY = "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"
SYNC = "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"


def test_callers_are_parsed_in_order_with_their_keys() -> None:
    assert parse_callers(" A/B=k1, C/D=k2 ") == (Caller("A/B", "k1"), Caller("C/D", "k2"))
    assert [c.client for c in parse_callers(DEFAULT_CALLERS)][-1] == "VN/GOV/DVCQG/PORTAL"


@pytest.mark.parametrize("text", ["A/B", "A/B=", "=k", "A/B=k,A/B=k2", ""])
def test_malformed_or_repeated_callers_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="caller"):
        parse_callers(text)


def test_each_scenario_goes_out_as_the_callers_allowed_it() -> None:
    weights = {VERIFY_CITIZEN: 3, SYNC_DOSSIER: 2, LOOKUP_CITIZEN: 1}
    offered = offer({AGENCY: [VERIFY], PORTAL: [VERIFY, SYNC]}, weights)
    assert offered.weights == {VERIFY_CITIZEN: 3, SYNC_DOSSIER: 2}
    assert offered.callers == {VERIFY_CITIZEN: (AGENCY, PORTAL), SYNC_DOSSIER: (PORTAL,)}
    assert offered.service_ids == {"XacThucThongTinCongDan": VERIFY, "DongBoHoSoMC": SYNC}
    assert len(offered.skipped) == 1 and offered.skipped[0].startswith(LOOKUP_CITIZEN.name)


def test_headers_name_the_caller_and_its_key() -> None:
    assert AGENCY.headers() == {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key"}
