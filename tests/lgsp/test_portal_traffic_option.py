"""`lgsp run --portal-traffic`: rates per procedure for the portal's citizens, every journey kind the portal
files (judicial-record certificates too); a bad one is a usage error before anything starts."""

from __future__ import annotations

import pytest
import typer

from lgsp.cli import _portal_traffic


def test_every_procedure_the_portal_files_takes_a_rate() -> None:
    rates = _portal_traffic("birth=2, death=0.5,dossier=20,lltp=1.5", mocks=True, processes=1)
    assert rates == {"birth": 2.0, "death": 0.5, "dossier": 20.0, "lltp": 1.5}


@pytest.mark.parametrize(
    ("option", "mocks", "processes", "why"),
    [
        ("marriage=1", True, 1, "birth, death, dossier or lltp"),
        ("lltp=many", True, 1, "birth, death, dossier or lltp"),
        ("lltp=1e9", True, 1, "a rate is 0 to"),
        ("lltp=1", False, 1, "needs the mocks in this process"),
        ("lltp=1", True, 2, "needs the mocks in this process"),
    ],
)
def test_a_bad_rate_is_a_usage_error(option: str, mocks: bool, processes: int, why: str) -> None:
    with pytest.raises(typer.BadParameter, match=why):
        _portal_traffic(option, mocks=mocks, processes=processes)
