"""Issuing a newborn's personal ID number (cấp số định danh cá nhân): the civil registry asks, on each
birth it registers, and the child then exists in the population database.

REST/JSON beside the SOAP look-ups: POST /api/v1/dinhdanh/capso
    {"MaYeuCau": "<the birth dossier's maHoSo>", "HoVaTen": {"Ho", "ChuDem", "Ten"}, "GioiTinh": 1|2,
     "NgayThangNamSinh": "yyyymmdd", "MaTinhKhaiSinh": "031", "SoDinhDanhMe": …, "SoDinhDanhCha": …}
→ 201 {"MaKetQua": "00", "MoTaKetQua", "SoDinhDanh"}; the same request again 200 with the same number
(X-Idempotent-Replay: true); MaYeuCau reused for another child 409 "04"; a refusal 422 "03" naming
`Truong` (an unknown parent, a bad date, an unknown province).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from services.citizens import Population
from vn_calendar import vietnam_today

RESULT_ISSUED, RESULT_REFUSED, RESULT_CONFLICT = "00", "03", "04"
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]


class HoVaTen(BaseModel):
    """The child's name in three parts."""

    model_config = ConfigDict(extra="forbid")

    Ho: Annotated[Name, StringConstraints(min_length=1)]
    ChuDem: Name = ""
    Ten: Annotated[Name, StringConstraints(min_length=1)]


class CapSoDinhDanhRequest(BaseModel):
    """The civil registry's request for a newborn's number."""

    model_config = ConfigDict(extra="forbid")

    MaYeuCau: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]
    HoVaTen: HoVaTen
    GioiTinh: Literal[1, 2]
    NgayThangNamSinh: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
    MaTinhKhaiSinh: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
    SoDinhDanhMe: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")] | None = None
    SoDinhDanhCha: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")] | None = None


class KetQuaCapSo(BaseModel):
    """The answer: the number issued, or why not."""

    MaKetQua: str
    MoTaKetQua: str
    SoDinhDanh: str | None = None
    Truong: str | None = None


class IssuingRefused(Exception):
    """A request the database refuses; `field` is the field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


class NewbornNumbers:
    """Numbers issued by request code: one child per MaYeuCau, however often it is asked."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self._issued: dict[str, tuple[str, str]] = {}  # MaYeuCau → (request fingerprint, number)

    def __len__(self) -> int:
        return len(self._issued)

    def issue(self, req: CapSoDinhDanhRequest) -> tuple[str, bool]:
        """The child's number and whether it was issued before (a replay)."""
        fingerprint = req.model_dump_json()
        known = self._issued.get(req.MaYeuCau)
        if known is not None:
            if known[0] != fingerprint:
                message = f"MaYeuCau {req.MaYeuCau} was already used to issue {known[1]} for another child"
                raise IssuingRefused(409, RESULT_CONFLICT, message, "MaYeuCau")
            return known[1], True
        try:
            born = datetime.strptime(req.NgayThangNamSinh, "%Y%m%d").date()
        except ValueError:
            raise IssuingRefused(422, RESULT_REFUSED, "not a date yyyymmdd", "NgayThangNamSinh") from None
        if born > vietnam_today():
            raise IssuingRefused(
                422, RESULT_REFUSED, "the date of birth is in the future", "NgayThangNamSinh"
            )
        sex: Literal["M", "F"] = "M" if req.GioiTinh == 1 else "F"
        try:
            number = self.population.issue_id(req.MaTinhKhaiSinh, sex, born.year)
            self.population.register_newborn(
                family_name=req.HoVaTen.Ho, middle_name=req.HoVaTen.ChuDem, given_name=req.HoVaTen.Ten,
                sex=sex, birth_date=born, mother_id=req.SoDinhDanhMe, father_id=req.SoDinhDanhCha,
                province_code=req.MaTinhKhaiSinh, id_number=number,
            )  # fmt: skip
        except ValueError as exc:
            field = (
                "SoDinhDanhMe" if "mother" in str(exc) else "SoDinhDanhCha" if "father" in str(exc) else None
            )
            raise IssuingRefused(422, RESULT_REFUSED, str(exc), field) from None
        self._issued[req.MaYeuCau] = (fingerprint, number)
        return number, False


def _answer(status: int, body: KetQuaCapSo, replayed: bool | None = None) -> JSONResponse:
    headers = {} if replayed is None else {"X-Idempotent-Replay": "true" if replayed else "false"}
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def install_issuing(app: FastAPI, population: Population) -> NewbornNumbers:
    """Add the issuing route to the population app; its validation errors answer in the same shape."""
    numbers = NewbornNumbers(population)
    router = APIRouter(prefix="/api/v1/dinhdanh", tags=["định danh"])

    @router.post("/capso", responses={201: {"model": KetQuaCapSo}, 200: {"model": KetQuaCapSo}})
    async def cap_so(req: CapSoDinhDanhRequest) -> JSONResponse:
        """Issue a newborn's personal ID number; the child is in the population database afterwards."""
        try:
            number, replayed = numbers.issue(req)
        except IssuingRefused as refused:
            return _answer(refused.status, KetQuaCapSo(MaKetQua=refused.code, MoTaKetQua=refused.message,
                                                       Truong=refused.field))  # fmt: skip
        body = KetQuaCapSo(
            MaKetQua=RESULT_ISSUED, MoTaKetQua="Đã cấp số định danh cá nhân", SoDinhDanh=number
        )
        return _answer(200 if replayed else 201, body, replayed)

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p != "body") or "body"
        return _answer(
            422, KetQuaCapSo(MaKetQua=RESULT_REFUSED, MoTaKetQua=f"{field}: {first['msg']}", Truong=field)
        )

    app.include_router(router)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.state.newborn_numbers = numbers
    return numbers
