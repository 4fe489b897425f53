"""The officers' decision on a dossier handed over already accepted and paid (trangThaiTiepNhan 4), drawn
from (seed, dossier number, hand-over time) alone, in simulated working time (office hours, weekends and
holidays skipped):

4 processing ─(2–16 working h)→ 9 approved
             │ refusal_rate: 8 refused (từ chối giải quyết), the end
             │ supplement_rate (after 2–12 working h): 5 supplement requested, then 4 again once the
             │   citizen supplies the papers (1–4 working days) and 9 or 8 as above (2–12 working h), or
             │   (abandon_rate of them) 8 stopped once the citizen's 7 working days have passed

Whoever handed the dossier over (the LGSP's journey for the one-stop's part) reports the statuses to the
portal and returns the result; the system only records what its officers decided, for that caller to read.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from services.clock import VIETNAM_TIME
from services.motcua.processing import OFFICERS, SUPPLEMENT_WORKING_DAYS, SUPPLEMENTS, Step
from vn_calendar import WorkingCalendar

_CALENDAR = WorkingCalendar()
_DAY = _CALENDAR.working_day_length
REFUSALS = (
    "Không đủ điều kiện giải quyết theo quy định",
    "Thông tin kê khai không khớp với cơ sở dữ liệu hộ tịch",
)


def plan_decision(
    seed: int,
    dossier_number: str,
    handed_at: float,
    refusal_rate: float,
    supplement_rate: float,
    abandon_rate: float,
) -> tuple[Step, ...]:
    """Every step of the dossier from its hand-over (status 4) to the officers' decision (9 or 8)."""
    rng = random.Random(f"{seed}:decision:{dossier_number}")
    officer = rng.choice(OFFICERS)
    steps = [Step(4, handed_at, "Chuyển chuyên viên thụ lý, thẩm định hồ sơ", officer)]
    at = datetime.fromtimestamp(handed_at, VIETNAM_TIME)
    if rng.random() < supplement_rate:
        at = _CALENDAR.add_working_time(at, timedelta(hours=rng.uniform(2, 12)))
        steps.append(Step(5, at.timestamp(), rng.choice(SUPPLEMENTS), officer))
        if rng.random() < abandon_rate:
            stop = _CALENDAR.add_working_days(at, SUPPLEMENT_WORKING_DAYS)
            note = "Dừng xử lý: công dân không bổ sung hồ sơ trong 7 ngày làm việc"
            return (*steps, Step(8, stop.timestamp(), note, officer))
        at = _CALENDAR.add_working_time(at, _DAY * rng.uniform(1, 4))
        steps.append(Step(4, at.timestamp(), "Đã nhận hồ sơ bổ sung, tiếp tục thụ lý", officer))
        at = _CALENDAR.add_working_time(at, timedelta(hours=rng.uniform(2, 12)))
    else:
        at = _CALENDAR.add_working_time(at, timedelta(hours=rng.uniform(2, 16)))
    if rng.random() < refusal_rate:
        return (*steps, Step(8, at.timestamp(), f"Từ chối giải quyết: {rng.choice(REFUSALS)}", officer))
    return (*steps, Step(9, at.timestamp(), "Đã giải quyết xong, chờ trả kết quả", officer))
