"""Who issues a newborn's personal ID number for the civil registry: the population database.

`HttpIdIssuer` is the real flow: POST {population_url}/api/v1/dinhdanh/capso, keyed by the birth
dossier's maHoSo so a retried call issues the same number. `SharedPopulationIssuer` does the same in
process over a population shared with the population mock (the embedded stack's default, and tests).

IssuerUnavailable (no answer, 5xx, garbage) leaves the birth waiting for its number; IssuerRefused
(4xx) refuses the registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

import httpx

from services.citizens import Population

ISSUE_PATH = "/api/v1/dinhdanh/capso"


@dataclass(frozen=True)
class NewbornIdRequest:
    """What the population database needs to issue a child's number."""

    request_code: str
    family_name: str
    middle_name: str
    given_name: str
    sex: Literal["M", "F"]
    birth_date: date
    province_code: str
    mother_id: str
    father_id: str | None


class IssuerUnavailable(Exception):
    """The population database did not issue a number now; asking again later may."""


class IssuerRefused(Exception):
    """The population database refused to issue a number for this child."""


class ChildIdIssuer(Protocol):
    """Issues a newborn's number once per request code."""

    async def issue(self, request: NewbornIdRequest) -> str:
        """The child's number; IssuerUnavailable or IssuerRefused otherwise."""
        ...


class SharedPopulationIssuer:
    """Issues numbers in the population object this process shares with the population mock."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self._issued: dict[str, str] = {}

    async def issue(self, request: NewbornIdRequest) -> str:
        """The child's number, registered in the shared population."""
        known = self._issued.get(request.request_code)
        if known is not None:
            return known
        number = self.population.issue_id(request.province_code, request.sex, request.birth_date.year)
        try:
            self.population.register_newborn(
                family_name=request.family_name, middle_name=request.middle_name,
                given_name=request.given_name, sex=request.sex, birth_date=request.birth_date,
                mother_id=request.mother_id, father_id=request.father_id,
                province_code=request.province_code, id_number=number,
            )  # fmt: skip
        except ValueError as exc:
            raise IssuerRefused(str(exc)) from None
        self._issued[request.request_code] = number
        return number


class HttpIdIssuer:
    """Asks the population database over HTTP."""

    def __init__(self, client: httpx.AsyncClient, timeout_s: float = 5.0) -> None:
        self.client = client
        self.timeout_s = timeout_s

    async def issue(self, request: NewbornIdRequest) -> str:
        """The number the population database issued for this request code."""
        body = {
            "MaYeuCau": request.request_code,
            "HoVaTen": {"Ho": request.family_name, "ChuDem": request.middle_name, "Ten": request.given_name},
            "GioiTinh": 1 if request.sex == "M" else 2,
            "NgayThangNamSinh": request.birth_date.strftime("%Y%m%d"),
            "MaTinhKhaiSinh": request.province_code,
            "SoDinhDanhMe": request.mother_id,
            "SoDinhDanhCha": request.father_id,
        }
        try:
            response = await self.client.post(ISSUE_PATH, json=body, timeout=self.timeout_s)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IssuerUnavailable(f"the population database did not answer: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429 or not isinstance(answer, dict):
            raise IssuerUnavailable(f"the population database answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise IssuerRefused(f"{answer.get('MoTaKetQua', 'refused')} ({answer.get('MaKetQua')})")
        number = answer.get("SoDinhDanh")
        if not isinstance(number, str) or len(number) != 12 or not number.isdigit():
            raise IssuerUnavailable(f"the population database answered no number: {answer!r:.200}")
        return number
