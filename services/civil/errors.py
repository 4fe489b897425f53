"""The registry's errors and how they render: one JSON body, `LoiBody`, naming the faulty field.

HoTichError                       (status, maLoi)
├── FieldInvalid      422  DU_LIEU_KHONG_HOP_LE   a field breaks a format or a civil-status rule
├── RecordNotFound    404  KHONG_TIM_THAY         no such record or person
└── DossierConflict   409  TRUNG_MA_HO_SO         maHoSo already used for a different request
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.civil.models import LoiBody, LoiTruong


class HoTichError(Exception):
    """Base of the registry's errors; subclasses fix the HTTP status and the error code."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "YEU_CAU_KHONG_HOP_LE"

    def __init__(self, message: str, fields: list[LoiTruong] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []

    def body(self) -> LoiBody:
        """The error as the caller sees it."""
        return LoiBody(maLoi=self.code, thongBao=self.message, chiTiet=self.fields)


class FieldInvalid(HoTichError):
    """One field of the request is wrong; the message names it."""

    status = 422
    code = "DU_LIEU_KHONG_HOP_LE"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", [LoiTruong(truong=field, thongBao=message)])


class RecordNotFound(HoTichError):
    """The record or person asked for does not exist."""

    status = 404
    code = "KHONG_TIM_THAY"


class DossierConflict(HoTichError):
    """The dossier number was already registered with a different request."""

    status = 409
    code = "TRUNG_MA_HO_SO"


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(part) for part in loc if part != "body"]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Render registry errors and request-validation errors as `LoiBody`."""

    async def on_registry_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HoTichError)
        return JSONResponse(exc.body().model_dump(), status_code=exc.status)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = [
            LoiTruong(truong=_field_path(tuple(err["loc"])), thongBao=err["msg"]) for err in exc.errors()
        ]
        names = ", ".join(dict.fromkeys(f.truong for f in fields))
        body = LoiBody(maLoi=FieldInvalid.code, thongBao=f"invalid field(s): {names}", chiTiet=fields)
        return JSONResponse(body.model_dump(), status_code=FieldInvalid.status)

    app.add_exception_handler(HoTichError, on_registry_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
