"""A case's planned course, derived from (seed, dossier code, reception time) alone: no loop moves it,
the simulated clock passing each step's time does.

received ─(0.2–2 h each)→ the steps in between ─(…)→ the final step, in office hours on a working day
of the second half of the allowed time (by the appointment, or by an earlier `settle_by` that leaves the
rest of the period for returning the result), or one or two working days after the appointment for the
`late_rate` share.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time

from services.clock import VIETNAM_TIME
from vn_calendar import WorkingCalendar

HOUR = 3600.0
OPENING = time(8, 0)
OFFICE_HOURS = 8.75  # 08:00 to 16:45


@dataclass(frozen=True)
class Step:
    """One status change: the new status, when (simulated epoch seconds), and what happened."""

    status: int
    at: float
    note: str


def plan_steps(
    rng: random.Random,
    calendar: WorkingCalendar,
    received_at: float,
    due: datetime,
    middle: list[tuple[int, str]],
    final: tuple[int, str],
    late_rate: float,
    *,
    settle_by: datetime | None = None,
) -> tuple[Step, ...]:
    """The steps from reception (the first `middle` status) to `final`, in office hours by `settle_by`
    (default: `due`, the appointment).

    `middle` lists the statuses between reception and the end, the first being reception itself. The
    `late_rate` share ends one or two working days after `due` instead.
    """
    target = min(settle_by, due) if settle_by is not None else due
    steps = [Step(middle[0][0], received_at, middle[0][1])]
    at = received_at
    for status, note in middle[1:]:
        at += rng.uniform(0.2, 2.0) * HOUR
        steps.append(Step(status, at, note))
    if rng.random() < late_rate:
        day = calendar.working_days_after(due.date(), rng.choice((1, 2)))
    else:
        first = calendar.counting_day(datetime.fromtimestamp(received_at, VIETNAM_TIME))
        days = [first]
        while days[-1] < target.date():
            days.append(calendar.next_working_day(days[-1]))
        day = rng.choice(days[len(days) // 2 :])  # most cases are settled in the second half
    end = datetime.combine(day, OPENING, VIETNAM_TIME).timestamp() + rng.uniform(0, OFFICE_HOURS) * HOUR
    if end <= at:  # settled the same day it was received: shortly after the last step
        end = at + rng.uniform(0.1, 1.0) * HOUR
    if day <= target.date():
        end = min(end, target.timestamp())
    steps.append(Step(final[0], max(end, at + 60), final[1]))
    return tuple(steps)


def as_datetime(at: float) -> datetime:
    """Simulated epoch seconds as a Vietnam-time datetime, to the second."""
    return datetime.fromtimestamp(round(at), VIETNAM_TIME)
