"""Dates and times as many Vietnamese agency systems write them: `dd/MM/yyyy`, `dd/MM/yyyy HH:mm:ss`
(Vietnam time), and months `MM/yyyy`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bus.errors import BadResponse

VIETNAM_TIME = timezone(timedelta(hours=7))
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%d/%m/%Y %H:%M:%S"


def to_vn_date(day: date) -> str:
    """`day` as dd/MM/yyyy."""
    return day.strftime(DATE_FORMAT)


def to_vn_month(day: date) -> str:
    """The month of `day` as MM/yyyy."""
    return day.strftime("%m/%Y")


def parse_vn_date(text: str, provider: str) -> date:
    """A provider's dd/MM/yyyy; BadResponse when it is not one."""
    try:
        return datetime.strptime(text, DATE_FORMAT).date()
    except ValueError as exc:
        raise BadResponse(f"{provider} answered {text!r} where a date dd/MM/yyyy belongs") from exc


def parse_vn_time(text: str, provider: str) -> datetime:
    """A provider's dd/MM/yyyy HH:mm:ss in Vietnam time; BadResponse when it is not one."""
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=VIETNAM_TIME)
    except ValueError as exc:
        raise BadResponse(f"{provider} answered {text!r} where a time dd/MM/yyyy HH:mm:ss belongs") from exc
