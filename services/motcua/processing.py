"""A dossier's processing, derived from (seed, dossier number, reception time) alone: no loop moves it.

1 new ─(0.5–4 h)→ 2 accepted ─(1–8 h)→ 4 processing ─(8–48 h)→ 9 processed ─(1–24 h)→ 10 result returned
     │ not_accepted_rate: 3 not accepted, the end          │ supplement_rate: 5 supplement requested,
                                                             then (1–3 days) 4 again with the papers, or
                                                             (abandon_rate of them) 8 stopped once the
                                                             citizen's 7 working days have passed
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from services.clock import VIETNAM_TIME
from vn_calendar import WorkingCalendar

HOUR = 3600.0
SUPPLEMENT_WORKING_DAYS = 7  # the citizen's time to supply the papers asked for
_CALENDAR = WorkingCalendar()

OFFICERS = ("Nguyễn Thị Lan", "Trần Văn Hải", "Phạm Minh Tuấn", "Lê Thị Hồng Nhung", "Vũ Đức Thắng")
REFUSALS = ("Hồ sơ không thuộc thẩm quyền giải quyết", "Thành phần hồ sơ không đúng quy định")
SUPPLEMENTS = (
    "Bổ sung bản sao giấy tờ tùy thân có chứng thực",
    "Bổ sung tờ khai có chữ ký của người yêu cầu",
)


@dataclass(frozen=True)
class Step:
    """One status change: the new status, when (simulated epoch seconds), why, by whom."""

    status: int
    at: float
    note: str
    officer: str


def plan_processing(
    seed: int,
    dossier_number: str,
    received_at: float,
    not_accepted_rate: float,
    supplement_rate: float,
    abandon_rate: float = 0.0,
) -> tuple[Step, ...]:
    """Every step the dossier will go through, the first being its reception (status 1)."""
    rng = random.Random(f"{seed}:{dossier_number}")
    officer = rng.choice(OFFICERS)
    steps = [Step(1, received_at, "Hệ thống một cửa nhận hồ sơ đồng bộ từ Cổng DVCQG", officer)]
    at = received_at + rng.uniform(0.5, 4) * HOUR
    if rng.random() < not_accepted_rate:
        steps.append(Step(3, at, rng.choice(REFUSALS), officer))
        return tuple(steps)
    steps.append(Step(2, at, "Tiếp nhận hồ sơ, hẹn trả kết quả", officer))
    at += rng.uniform(1, 8) * HOUR
    steps.append(Step(4, at, "Chuyển chuyên viên thụ lý, thẩm định hồ sơ", officer))
    if rng.random() < supplement_rate:
        at += rng.uniform(4, 24) * HOUR
        steps.append(Step(5, at, rng.choice(SUPPLEMENTS), officer))
        # Drawn only when abandonment is on, so plans without it stay as they were.
        if abandon_rate and rng.random() < abandon_rate:
            asked = datetime.fromtimestamp(at, VIETNAM_TIME)
            stop = _CALENDAR.add_working_days(asked, SUPPLEMENT_WORKING_DAYS).timestamp()
            steps.append(
                Step(8, stop, "Dừng xử lý: công dân không bổ sung hồ sơ trong 7 ngày làm việc", officer)
            )
            return tuple(steps)
        at += rng.uniform(24, 72) * HOUR
        steps.append(Step(4, at, "Đã nhận hồ sơ bổ sung, tiếp tục thụ lý", officer))
    at += rng.uniform(8, 48) * HOUR
    steps.append(Step(9, at, "Đã giải quyết xong, chờ trả kết quả", officer))
    at += rng.uniform(1, 24) * HOUR
    steps.append(Step(10, at, "Đã trả kết quả cho công dân", officer))
    return tuple(steps)
