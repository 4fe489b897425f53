"""Ages as Vietnamese law counts them, for every rule that turns on one (a child's free health-insurance
card ends at six, adults sign for themselves, pensioners, …).

A person turns N on the N-th anniversary of their birth date. A period counted in years ends on the
corresponding day and month of its last year (Civil Code 2015, art. 147-148); when the last month has no
corresponding day it ends on that month's last day (art. 148(3)), so one born on 29 February turns N on
28 February in a common year and on 29 February in a leap year.
"""

from __future__ import annotations

from datetime import date


def anniversary(born: date, years: int) -> date:
    """The day a person born on `born` turns `years` (28 February for a 29 February birth in a common
    year); ValueError for a negative `years`."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 0:
        raise ValueError(f"an age is a whole number of years >= 0, got {years!r}")
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February, in a common year
        return date(born.year + years, 2, 28)


def age_on(born: date, day: date) -> int:
    """Full years lived by `day` by a person born on `born` (0 before the first birthday, and before the
    birth itself: callers that must refuse such a day check it apart)."""
    if day < born:
        return 0
    years = day.year - born.year
    return years if anniversary(born, years) <= day else years - 1
