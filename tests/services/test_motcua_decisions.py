"""The one-stop system's officers deciding on dossiers handed over already accepted and paid: decisions
drawn from the seed in working time, recorded and not reported (the caller reports)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx

from services.faults import Latency
from services.motcua import MotcuaSettings, create_app
from services.motcua.decisions import plan_decision
from vn_calendar import WorkingCalendar

VIETNAM = timezone(timedelta(hours=7))
CALENDAR = WorkingCalendar()
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM)


def plans(refusal: float, supplement: float, abandon: float, count: int = 2000) -> list[list[int]]:
    return [
        [step.status for step in plan_decision(7, f"H31.29-20261207-{n:04d}", MONDAY.timestamp(), refusal,
                                               supplement, abandon)]
        for n in range(count)
    ]  # fmt: skip


def test_decisions_are_deterministic_and_follow_the_rates() -> None:
    drawn = plans(0.03, 0.05, 0.2)
    assert drawn == plans(0.03, 0.05, 0.2)
    assert all(plan[0] == 4 and plan[-1] in (8, 9) for plan in drawn)
    refused = sum(plan == [4, 8] for plan in drawn) / len(drawn)
    supplemented = sum(5 in plan for plan in drawn) / len(drawn)
    assert 0.015 < refused < 0.05 and 0.03 < supplemented < 0.07
    assert {tuple(plan) for plan in drawn} <= {(4, 9), (4, 8), (4, 5, 4, 9), (4, 5, 4, 8), (4, 5, 8)}


def test_officers_decide_within_office_hours_of_working_days() -> None:
    for n in range(300):
        steps = plan_decision(7, f"H31.29-20261207-{n:04d}", MONDAY.timestamp(), 0.03, 0.3, 0.2)
        for step in steps[1:]:
            moment = datetime.fromtimestamp(step.at, VIETNAM)
            if step.status != 8 or "7 ngày" not in step.note:  # a stop falls at 17:00 of the 7th day
                assert CALENDAR.office_window_at(moment - timedelta(seconds=1)) is not None, moment
        decided = datetime.fromtimestamp(steps[-1].at, VIETNAM)
        if len(steps) == 2:  # no supplement: 2 to 16 working hours
            worked = CALENDAR.working_time_between(MONDAY, decided)
            assert timedelta(hours=2) <= worked <= timedelta(hours=16)


def test_an_unsupplied_dossier_is_stopped_seven_working_days_after_the_request() -> None:
    steps = plan_decision(7, "H31.29-20261207-0001", MONDAY.timestamp(), 0.0, 1.0, 1.0)
    asked, stopped = steps[1], steps[2]
    assert [s.status for s in steps] == [4, 5, 8]
    due = CALENDAR.add_working_days(datetime.fromtimestamp(asked.at, VIETNAM), 7)
    assert stopped.at == due.timestamp()


def handed_over(number: str) -> dict[str, object]:
    return {
        "maHoSo": number,
        "thuTuc": {"maTTHC": "2.000908", "tenTTHC": "Cấp bản sao trích lục hộ tịch", "maLinhVuc": "HT",
                   "tenLinhVuc": "Hộ tịch", "maDVC": "2.000908.H31"},
        "chuHoSo": {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "030190745721"},
        "kenhNop": 2, "ngayTiepNhan": "2026-12-07T08:30:00+07:00", "trichYeu": "Trích lục - Nguyễn Thị Hương",
        "donViXuLy": "H31.29", "trangThaiTiepNhan": 4,
    }  # fmt: skip


async def test_a_handed_over_dossier_is_recorded_and_decided_as_the_clock_follows_and_never_reported() -> (
    None
):
    reports: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        reports.append(request)
        return httpx.Response(200, json={})

    settings = MotcuaSettings(gateway_url="http://gateway", latency=Latency(), refusal_rate=0.0,
                              supplement_rate=0.0, report_scan_interval_s=0.01)  # fmt: skip
    app = create_app(settings, transport=httpx.MockTransport(gateway))
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://motcua")
        await client.post("/_control/clock/jump", json={"now": "2026-12-07T09:00:00+07:00"})
        taken = await client.post("/api/v1/hoso", json=handed_over("H31.29-20261207-0101"))
        assert taken.status_code == 201, taken.text
        assert taken.json()["trangThai"] == 4
        assert (
            await client.post("/_control/clock/jump", json={"now": "2026-12-01T09:00:00+07:00"})
        ).status_code == 409
        await client.post("/_control/clock/jump", json={"now": "2026-12-10T09:00:00+07:00"})
        record = (await client.get("/api/v1/hoso/H31.29-20261207-0101")).json()
        await client.aclose()
    assert [step["trangThai"] for step in record["lichSu"]] == [4, 9]
    assert reports == []
