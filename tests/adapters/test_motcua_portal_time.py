"""The one-stop portal's times (yyyyMMddHHmmss) read as strptime reads them, whatever the text."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from adapters.motcua.wire import PORTAL_TIME, VIETNAM_TIME, parsed_portal_time, portal_time
from bus.errors import BadRequest


def strptime_reading(value: str) -> datetime | str:
    """What strptime makes of `value` (in Vietnam time), or its refusal's text."""
    try:
        return datetime.strptime(value, PORTAL_TIME).replace(tzinfo=VIETNAM_TIME)
    except ValueError as exc:
        return str(exc)


def reading(value: str) -> datetime | str:
    try:
        return parsed_portal_time(value)
    except ValueError as exc:
        return str(exc)


DIGITS = st.text(alphabet="0123456789", min_size=10, max_size=16)
FIELDS = st.tuples(
    st.integers(0, 9999),
    st.integers(0, 19),
    st.integers(0, 39),
    st.integers(0, 29),
    st.integers(0, 69),
    st.integers(0, 69),
).map(lambda f: f"{f[0]:04d}{f[1]:02d}{f[2]:02d}{f[3]:02d}{f[4]:02d}{f[5]:02d}")


@given(st.one_of(FIELDS, DIGITS, st.text(max_size=16)))
@example("20261207103015")
@example("20240229235959")  # a leap day
@example("20230229120000")  # not one: strptime's refusal
@example("20261301120000")  # month 13: strptime splits the digits otherwise
@example("20261207106015")  # second 60... as split
@example("00001207103015")  # year 0
@example("２０２６１２０７１０３０１５")  # digits, not ASCII ones
@example("2026120710301")
def test_a_portal_time_is_read_as_strptime_reads_it(value: str) -> None:
    assert reading(value) == strptime_reading(value)


def test_a_portal_time_becomes_iso_8601_in_vietnam_time_and_a_bad_one_names_its_field() -> None:
    assert portal_time("20261207103015", "NgayTiepNhan") == "2026-12-07T10:30:15+07:00"
    with pytest.raises(BadRequest, match="field 'NgayHenTra'"):
        portal_time("20261232000000", "NgayHenTra")
