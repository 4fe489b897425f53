"""The agency mocks' error answer `{maLoi, thongBao, truong}`: an `AgencyError` raised anywhere, and
request-validation failures (422, the system's own invalid-data code, naming the field)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.casework.book import CaseConflict, CaseUnknown


class LoiNghiepVu(BaseModel):
    """The error body: the system's code, a message, the field at fault when there is one."""

    maLoi: str
    thongBao: str
    truong: str | None = None


class AgencyError(Exception):
    """A refusal with its HTTP status and the system's own error code."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def body(self) -> LoiNghiepVu:
        """The error as the caller sees it."""
        return LoiNghiepVu(maLoi=self.code, thongBao=self.message, truong=self.field)


def install_agency_errors(
    app: FastAPI, *, invalid: str, conflict: str, unknown: str, field_names: dict[str, str] | None = None
) -> None:
    """Render AgencyError, validation failures (`invalid`), CaseConflict (`conflict`, 409, on
    `field_names['code']`) and CaseUnknown (`unknown`, 404) with the system's own codes."""
    code_field = (field_names or {}).get("code", "maHoSo")

    def answer(error: AgencyError) -> JSONResponse:
        return JSONResponse(error.body().model_dump(), status_code=error.status)

    async def on_agency_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AgencyError)
        return answer(exc)

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "path", "query")) or "body"
        message = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        return answer(AgencyError(422, invalid, f"{field}: {message}{more}", field))

    async def on_conflict(_: Request, exc: Exception) -> JSONResponse:
        return answer(AgencyError(409, conflict, str(exc), code_field))

    async def on_unknown(_: Request, exc: Exception) -> JSONResponse:
        return answer(AgencyError(404, unknown, str(exc), code_field))

    app.add_exception_handler(AgencyError, on_agency_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(CaseConflict, on_conflict)
    app.add_exception_handler(CaseUnknown, on_unknown)
