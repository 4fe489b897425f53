"""The law's age rule (vn_calendar.ages): N on the N-th anniversary; a 29 February birth turns N on
28 February of a common year (Civil Code 2015, art. 148(3))."""

from __future__ import annotations

from datetime import date

import pytest

from vn_calendar import age_on, anniversary

LEAP_DAY = date(2024, 2, 29)


def test_a_birthday_is_the_same_day_and_month_years_later() -> None:
    assert anniversary(date(2020, 3, 2), 6) == date(2026, 3, 2)
    assert anniversary(date(2026, 12, 31), 1) == date(2027, 12, 31)
    assert anniversary(date(2026, 12, 31), 0) == date(2026, 12, 31)


def test_a_29_february_birth_turns_n_on_28_february_of_a_common_year_and_on_29_in_a_leap_year() -> None:
    assert anniversary(LEAP_DAY, 6) == date(2030, 2, 28)
    assert anniversary(LEAP_DAY, 1) == date(2025, 2, 28)
    assert anniversary(LEAP_DAY, 4) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (date(2030, 2, 27), 5),
        (date(2030, 2, 28), 6),  # common year: the last day of February
        (date(2030, 3, 1), 6),
        (date(2028, 2, 28), 3),  # leap year: the 29th itself
        (date(2028, 2, 29), 4),
        (LEAP_DAY, 0),
        (date(2024, 2, 28), 0),  # before the birth: no full year lived
    ],
)
def test_age_on_a_day_around_a_29_february_birthday(day: date, age: int) -> None:
    assert age_on(LEAP_DAY, day) == age


def test_age_on_an_ordinary_birth_turns_on_the_birthday() -> None:
    assert age_on(date(2020, 3, 2), date(2026, 3, 1)) == 5
    assert age_on(date(2020, 3, 2), date(2026, 3, 2)) == 6


@pytest.mark.parametrize("years", [-1, 1.5, True])
def test_an_anniversary_of_a_negative_or_fractional_number_of_years_is_refused(years: object) -> None:
    with pytest.raises(ValueError, match="whole number of years"):
        anniversary(LEAP_DAY, years)  # type: ignore[arg-type]
