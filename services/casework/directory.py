"""The people an agency mock knows: the seeded population of its own process, and the people it learnt
from the national population database over HTTP (SOAP `XacMinhThongTinNhanThan`), as the real agencies
consult it. Newborns issued a number in another process are found that way.

    directory = PeopleDirectory(population, client)      # client: httpx.AsyncClient on the population DB
    await directory.learn(["031226665682"])              # before the synchronous rules run
    directory.citizen("031226665682")

Without a client it is the local population alone (one process sharing it with the other mocks).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx
from lxml import etree

from safe_xml import UnsafeXml, parse_untrusted
from services.citizens import Citizen, CongDan, Population
from services.citizens import models as m
from services.citizens.civil_status import DeceasedCitizen

LOOKUP_NS = "http://www.mic.gov.vn/dancu/1.0"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
LEARNT_LIMIT = 100_000
_log = logging.getLogger(__name__)


def _lookup_request(id_number: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><XacMinhThongTinNhanThanRequest xmlns="{LOOKUP_NS}">'
        f"<MaYeuCau>AGENCY</MaYeuCau><MaCanBo>HETHONG</MaCanBo><SoDinhDanh>{id_number}</SoDinhDanh>"
        "</XacMinhThongTinNhanThanRequest></s:Body></s:Envelope>"
    ).encode()


def _as_dict(element: etree._Element) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        fields[name] = _as_dict(child) if len(child) else (child.text or "")
    return fields


def _address(block: dict[str, str]) -> m.Address:
    return m.Address(
        province=block["MaTinhThanh"], district=block["MaQuanHuyen"], ward=block["MaPhuongXa"],
        detail=block["ChiTiet"], country=block["QuocGia"],
    )  # fmt: skip


def _relative(block: dict[str, str] | None) -> m.Relative | None:
    if block is None:
        return None
    return m.Relative(
        full_name=block["HoVaTen"], nationality=block["QuocTich"],
        id_number=block.get("SoDinhDanh") or None, old_id_number=block.get("SoCMND") or None,
    )  # fmt: skip


def citizen_of(record: dict[str, Any]) -> Citizen:
    """A CongDan record (as parsed from the population database's answer) as a Citizen."""
    fields = {key: value for key, value in record.items() if key != "NgayMat"}
    # The database leaves out what a person has not (minOccurs="0"): no old ID card, no spouse, …
    for optional in ("SoCMND", "Cha", "Me", "VoChong", "NguoiDaiDien"):
        fields.setdefault(optional, None)
    for block in ("ChuHo", "Cha", "Me", "VoChong", "NguoiDaiDien"):
        if isinstance(fields.get(block), dict):
            fields[block] = {"SoDinhDanh": None, "SoCMND": None} | fields[block]
    wire = CongDan.model_validate(fields)
    sexes = {code: sex for sex, code in m.SEX_CODES.items()}

    def raw(name: str) -> Any:
        return record.get(name)

    person = m.Citizen(
        id_number=wire.SoDinhDanh, old_id_number=wire.SoCMND, family_name=wire.HoVaTen.Ho,
        middle_name=wire.HoVaTen.ChuDem, given_name=wire.HoVaTen.Ten, sex=sexes[wire.GioiTinh],
        birth_date=datetime.strptime(wire.NgayThangNamSinh.NgayThangNam, "%Y%m%d").date(),
        ethnicity=wire.DanToc, religion=wire.TonGiao, marital_status=wire.TinhTrangHonNhan,
        blood_type=wire.NhomMau, birth_registration=_address(raw("NoiDangKyKhaiSinh")),
        hometown=_address(raw("QueQuan")), permanent_address=_address(raw("ThuongTru")),
        current_address=_address(raw("NoiOHienTai")), father=_relative(raw("Cha")),
        mother=_relative(raw("Me")),
        spouse=_relative(raw("VoChong")), representative=_relative(raw("NguoiDaiDien")),
        household=m.HouseholdLink(
            relation=wire.ChuHo.QuanHe, head_id_number=wire.ChuHo.SoDinhDanh,
            head_old_id_number=wire.ChuHo.SoCMND, head_name=wire.ChuHo.HoVaTen, book_number=wire.SoSoHoKhau,
        ),
    )  # fmt: skip
    died = record.get("NgayMat")
    if died:
        return DeceasedCitizen(**dict(person), death_date=datetime.strptime(died, "%Y%m%d").date())
    return person


class PeopleDirectory:
    """Citizens of the local population, plus those learnt from the population database."""

    def __init__(self, population: Population, client: httpx.AsyncClient | None = None) -> None:
        self.population = population
        self.client = client
        self._learnt: OrderedDict[str, Citizen] = OrderedDict()

    def citizen(self, id_number: str) -> Citizen | None:
        """The person with this number, or None; ValueError for a malformed number."""
        return self.population.citizen(id_number) or self._learnt.get(id_number)

    def known(self, id_number: str) -> Citizen | None:
        """The person with this number, or None, also for a malformed number (the rules refuse it)."""
        try:
            return self.citizen(id_number)
        except ValueError:
            return None

    async def learn(self, id_numbers: Iterable[str]) -> None:
        """Ask the population database for the well-formed numbers this process does not know."""
        if self.client is None:
            return
        for number in dict.fromkeys(id_numbers):
            try:
                known = self.citizen(number)
            except ValueError:
                continue  # malformed: the rules refuse it with the field named
            if known is None:
                await self._ask(number)

    async def _ask(self, number: str) -> None:
        assert self.client is not None
        try:
            soap = {"Content-Type": "text/xml; charset=utf-8"}
            response = await self.client.post("/", content=_lookup_request(number), headers=soap)
            root = parse_untrusted(response.content)
        except (httpx.HTTPError, UnsafeXml) as exc:
            _log.info("population database did not answer about %s: %s", number, exc)
            return  # not found, then: the rules refuse the request naming the person
        record = root.find(f".//{{{LOOKUP_NS}}}CongDan")
        if response.status_code != 200 or record is None:
            return
        self._learnt[number] = citizen_of(_as_dict(record))
        while len(self._learnt) > LEARNT_LIMIT:
            self._learnt.popitem(last=False)


def people_of(
    population: Population, url: str | None, transport: httpx.AsyncBaseTransport | None = None
) -> PeopleDirectory:
    """The directory an agency mock uses: asking the population database at `url` when one is set."""
    client = None if url is None else httpx.AsyncClient(base_url=url, transport=transport, timeout=5.0)
    return PeopleDirectory(population, client)


async def close_directory(directory: PeopleDirectory) -> None:
    """Close the directory's connection to the population database, if it has one."""
    if directory.client is not None:
        await directory.client.aclose()
