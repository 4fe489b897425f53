"""Dates and times as many Vietnamese agency systems write them: `dd/MM/yyyy` and `dd/MM/yyyy HH:mm:ss`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from services.clock import VIETNAM_TIME

DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%d/%m/%Y %H:%M:%S"


def _parse_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.strptime(value, DATE_FORMAT).date()
        except ValueError:
            raise ValueError(f"{value!r} is not a date dd/MM/yyyy") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError("a date must be a string dd/MM/yyyy")


def _parse_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=VIETNAM_TIME)
        except ValueError:
            raise ValueError(f"{value!r} is not a time dd/MM/yyyy HH:mm:ss") from None
    if isinstance(value, datetime):
        return value
    raise ValueError("a time must be a string dd/MM/yyyy HH:mm:ss")


NgayVN = Annotated[
    date,
    BeforeValidator(_parse_date),
    PlainSerializer(lambda day: day.strftime(DATE_FORMAT), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", "example": "07/08/2026"}),
]
ThoiDiemVN = Annotated[
    datetime,
    BeforeValidator(_parse_time),
    PlainSerializer(lambda at: at.astimezone(VIETNAM_TIME).strftime(TIME_FORMAT), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}$"}),
]
