"""Dossiers as the National Public Service Portal synchronises them (`DongBoHoSoMC`), and a seeded generator.

MaHoSo looks like `H31.29-20240315-0007`: agency, receiving unit, reception day, that day's sequence.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.citizens import Population

PortalTime = Annotated[str, StringConstraints(pattern=r"^[0-9]{14}$")]  # yyyyMMddHHmmss, as DVCQG sends
TIME_FORMAT = "%Y%m%d%H%M%S"
Channel = Literal[1, 2, 3]  # KenhThucHien: 1 in person, 2 online, 3 public postal service


class ChuHoSo(BaseModel):
    """The dossier's owner: a citizen of the shared population."""

    HoVaTen: str
    SoDinhDanh: str


class PhiLePhi(BaseModel):
    """One fee or charge of the procedure."""

    MaPhiLePhi: str
    TenPhiLePhi: str
    Gia: int = Field(ge=0, description="VND")
    LoaiPhiLePhi: Literal[1, 2] = Field(description="1 fee (phí), 2 charge (lệ phí)")


class HoSoMC(BaseModel):
    """A dossier in the portal's `DongBoHoSoMC` shape."""

    model_config = ConfigDict(extra="forbid")

    MaHoSo: str
    MaTTHC: str
    TenTTHC: str
    MaLinhVuc: str
    TenLinhVuc: str
    MaDVC: str
    ChuHoSo: ChuHoSo
    KenhThucHien: Literal[1, 2, 3] = Field(description="1 in person, 2 online, 3 public postal service")
    NgayTiepNhan: PortalTime
    NgayHenTra: PortalTime
    TrangThaiHoSo: int = Field(ge=1, le=10)
    TrichYeuHoSo: str
    DonViXuLy: str
    LePhi: list[PhiLePhi]


@dataclass(frozen=True)
class Procedure:
    """An administrative procedure (thủ tục hành chính) the generator draws dossiers for."""

    ma_tthc: str
    ten_tthc: str
    ma_linh_vuc: str
    ten_linh_vuc: str
    weight: int
    days_to_result: int
    fees: tuple[tuple[str, str, int, Literal[1, 2]], ...] = ()


# Civil-status procedures dominate a province's online dossiers; codes modelled on the national catalogue.
PROCEDURES: tuple[Procedure, ...] = (
    Procedure("1.001193", "Thủ tục đăng ký khai sinh", "HT", "Hộ tịch", 30, 1),
    Procedure("1.000894", "Thủ tục đăng ký kết hôn", "HT", "Hộ tịch", 10, 3),
    Procedure("1.000656", "Thủ tục đăng ký khai tử", "HT", "Hộ tịch", 8, 1),
    Procedure(
        "1.004873",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        "HT",
        "Hộ tịch",
        20,
        3,
        (("LP-XNTTHN", "Lệ phí cấp giấy xác nhận tình trạng hôn nhân", 3_000, 2),),
    ),
    Procedure(
        "2.000908",
        "Thủ tục cấp bản sao trích lục hộ tịch",
        "HT",
        "Hộ tịch",
        12,
        1,
        (("LP-TLHT", "Lệ phí cấp bản sao trích lục", 8_000, 2),),
    ),
    Procedure(
        "1.004227",
        "Thủ tục cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "LLTP",
        "Lý lịch tư pháp",
        20,
        10,
        (("PHI-LLTP", "Phí cung cấp thông tin lý lịch tư pháp", 200_000, 1),),
    ),
)
# Ordinary dossiers with a fee, filed online and run as the province's `dossier` journey (the judicial
# record certificate has a journey of its own).
ORDINARY_WITH_FEE: tuple[Procedure, ...] = tuple(p for p in PROCEDURES if p.fees and p.ma_linh_vuc != "LLTP")
RECEIVING_UNITS = ("01", "02", "07", "11", "18", "29", "34")
CHANNEL_WEIGHTS: dict[Channel, int] = {1: 9, 2: 90, 3: 1}
OWNER_DRAWS = 50
ADULT_DAYS = 18 * 365 + 5  # 18 years, leap days included  # Hải Phòng 2023: 90.7 % of dossiers online


def new_dossier(
    number: str,
    procedure: Procedure,
    owner: ChuHoSo,
    received: datetime,
    *,
    agency_code: str,
    unit: str,
    channel: Channel,
) -> HoSoMC:
    """A dossier of `procedure` just received (state 1), due after the procedure's days, with its fees."""
    return HoSoMC(
        MaHoSo=number,
        MaTTHC=procedure.ma_tthc,
        TenTTHC=procedure.ten_tthc,
        MaLinhVuc=procedure.ma_linh_vuc,
        TenLinhVuc=procedure.ten_linh_vuc,
        MaDVC=f"{procedure.ma_tthc}.{agency_code}",
        ChuHoSo=owner,
        KenhThucHien=channel,
        NgayTiepNhan=received.strftime(TIME_FORMAT),
        NgayHenTra=(received + timedelta(days=procedure.days_to_result)).strftime(TIME_FORMAT),
        TrangThaiHoSo=1,
        TrichYeuHoSo=f"{procedure.ten_tthc} - {owner.HoVaTen}",
        DonViXuLy=f"{agency_code}.{unit}",
        LePhi=[PhiLePhi(MaPhiLePhi=c, TenPhiLePhi=n, Gia=g, LoaiPhiLePhi=t) for c, n, g, t in procedure.fees],
    )


class DossierFactory:
    """Draws realistic dossiers from a seed: the same seed gives the same dossiers in every process."""

    def __init__(
        self,
        population: Population,
        *,
        agency_code: str = "H31",
        seed: int = 2023,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.population = population
        self.agency_code = agency_code
        self._random = random.Random(seed)
        self._now = now
        self._sequence: dict[tuple[str, str], int] = {}

    def next_dossier(self) -> HoSoMC:
        """A new dossier received now, state 1 (new), its owner drawn from the population."""
        rng = self._random
        procedure = rng.choices(PROCEDURES, weights=[p.weight for p in PROCEDURES])[0]
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        unit = rng.choice(RECEIVING_UNITS)
        owner = self._owner(rng)
        received = self._now().replace(microsecond=0)
        return new_dossier(
            self._dossier_number(unit, received), procedure, owner, received,
            agency_code=self.agency_code, unit=unit, channel=channel,
        )  # fmt: skip

    def _dossier_number(self, unit: str, received: datetime) -> str:
        day = received.strftime("%Y%m%d")
        sequence = self._sequence.get((unit, day), 0) + 1
        self._sequence[(unit, day)] = sequence
        return f"{self.agency_code}.{unit}-{day}-{sequence:04d}"

    def _owner(self, rng: random.Random) -> ChuHoSo:
        """An adult of the population: children do not file dossiers (a few draws, deterministic)."""
        today = self._now().date()
        for id_number in self.population.sample_ids(OWNER_DRAWS, rng):
            person = self.population.identity(id_number)  # a name and an age: not the whole record
            if person is not None and (today - person.birth_date).days >= ADULT_DAYS:
                return ChuHoSo(HoVaTen=person.full_name, SoDinhDanh=id_number)
        raise RuntimeError(f"no adult among {OWNER_DRAWS} sampled citizens; is the population this small?")
