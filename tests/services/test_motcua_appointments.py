"""The one-stop mock's additions for the journeys: the appointment it sets in working days when the
portal names none, and a supplement never supplied that stops the dossier after 7 working days."""

from __future__ import annotations

from datetime import datetime

import httpx

from services.clock import VIETNAM_TIME
from services.motcua import create_app
from services.motcua.processing import plan_processing
from tests.services.test_motcua import dossier, quiet
from vn_calendar import WorkingCalendar

MONDAY_MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM_TIME)


async def post(body: dict[str, object], **settings: object) -> dict[str, object]:
    app = create_app(quiet(**settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://motcua") as client:
        answer = await client.post("/api/v1/hoso", json=body)
        assert answer.status_code == 201, answer.text
        result: dict[str, object] = answer.json()
        return result


async def test_without_an_appointment_the_system_sets_one_in_working_days() -> None:
    body = dossier(ngayTiepNhan=MONDAY_MORNING.isoformat(), soNgayGiaiQuyet=3)
    del body["ngayHenTra"]
    held = await post(body)
    assert held["ngayHenTra"] == "2026-12-10T17:00:00+07:00"
    default = dossier("H31.29-20261207-0002", ngayTiepNhan=MONDAY_MORNING.replace(hour=16).isoformat())
    del default["ngayHenTra"]
    assert (await post(default, default_working_days=1))["ngayHenTra"] == "2026-12-09T17:00:00+07:00"


async def test_an_appointment_given_by_the_portal_is_kept() -> None:
    body = dossier(ngayTiepNhan=MONDAY_MORNING.isoformat(), ngayHenTra="2026-12-20T17:00:00+07:00")
    assert (await post(body))["ngayHenTra"] == "2026-12-20T17:00:00+07:00"


def test_a_supplement_never_supplied_stops_the_dossier_seven_working_days_after_it_was_asked() -> None:
    received = MONDAY_MORNING.timestamp()
    plans = [plan_processing(7, f"H31.29-20261207-{n:04d}", received, 0.0, 1.0, 1.0) for n in range(50)]
    calendar = WorkingCalendar()
    for steps in plans:
        assert [s.status for s in steps] == [1, 2, 4, 5, 8]
        asked = datetime.fromtimestamp(steps[3].at, VIETNAM_TIME)
        assert steps[4].at == calendar.add_working_days(asked, 7).timestamp()


def test_without_abandonment_the_plans_are_as_before() -> None:
    received = MONDAY_MORNING.timestamp()
    for n in range(200):
        number = f"H31.29-20261207-{n:04d}"
        assert plan_processing(7, number, received, 0.02, 0.3) == plan_processing(
            7, number, received, 0.02, 0.3, 0.0
        )
        assert 8 not in [s.status for s in plan_processing(7, number, received, 0.02, 0.3)]
