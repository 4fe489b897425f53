"""vn_calendar's clock stopped at a chosen instant, for what depends on the date in Vietnam."""

from __future__ import annotations

from datetime import datetime, tzinfo

import pytest


class _ClockAt(datetime):
    """A `datetime` whose now() is one fixed instant (set on the class by `clock_at`)."""

    instant: datetime

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return cls.instant.astimezone(tz)


def clock_at(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    """Stop vn_calendar's clock at `instant`."""
    monkeypatch.setattr(_ClockAt, "instant", instant, raising=False)
    monkeypatch.setattr("vn_calendar.calendar.datetime", _ClockAt)
