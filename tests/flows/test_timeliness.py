"""On-time verdicts as Decision 766's index counts them: the finish date against the appointment date,
open and already late, and the per-procedure on-time rate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bus.flows.timeliness import ProcedureTally, Verdict, VerdictRecord, judge, tally_by_procedure
from vn_calendar import VIETNAM_TZ, NaiveDatetimeError

RECEIVED = datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ)
DUE = datetime(2026, 12, 10, 17, tzinfo=VIETNAM_TZ)  # Thursday 17:00


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM_TZ)


@pytest.mark.parametrize(
    ("finished", "verdict"),
    [
        (local(9, 16), Verdict.EARLY),
        (local(10, 8), Verdict.ON_TIME),
        (local(10, 17, 30), Verdict.ON_TIME),  # the index compares dates, not hours
        (local(11, 8), Verdict.LATE),
        (datetime(2026, 12, 10, 17, 30, tzinfo=UTC), Verdict.LATE),  # 00:30 Friday in Vietnam
        (datetime(2026, 12, 9, 23, 30, tzinfo=UTC), Verdict.ON_TIME),  # 06:30 Thursday in Vietnam
    ],
)
def test_a_finished_dossier_is_judged_by_its_finish_date_in_vietnam(
    finished: datetime, verdict: Verdict
) -> None:
    assert judge(DUE, finished, now=local(20, 9)) == verdict


@pytest.mark.parametrize(
    ("now", "verdict"),
    [(local(8, 10), Verdict.OPEN), (local(10, 23, 59), Verdict.OPEN), (local(11, 0, 1), Verdict.OPEN_LATE)],
)
def test_an_open_dossier_is_already_late_once_its_appointment_day_has_passed(
    now: datetime, verdict: Verdict
) -> None:
    assert judge(DUE, None, now) == verdict


def test_naive_instants_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="finished_at"):
        judge(DUE, datetime(2026, 12, 10, 9), now=local(20, 9))


LOOKED_AT = datetime(2026, 12, 20, 9, tzinfo=VIETNAM_TZ)


def record(
    procedure: str, code: str, finished: datetime | None, as_of: datetime = LOOKED_AT
) -> VerdictRecord:
    return VerdictRecord(
        procedure=procedure,
        dossier_code=code,
        received_at=RECEIVED,
        due_at=DUE,
        finished_at=finished,
        as_of=as_of,
    )


def test_a_record_derives_its_verdict_and_round_trips_as_json() -> None:
    late = record("lltp", "H31.100-261207-0001", local(11, 9))
    assert late.verdict == Verdict.LATE
    wire = late.model_dump_json()
    assert '"verdict":"late"' in wire
    assert VerdictRecord.model_validate_json(wire) == late


def test_a_verdict_given_on_the_wire_is_not_trusted() -> None:
    wire = record("lltp", "H31.100-261207-0002", local(11, 9)).model_dump(mode="json")
    wire["verdict"] = "early"
    assert VerdictRecord.model_validate(wire).verdict == Verdict.LATE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"finished_at": local(6, 9)}, "finished_at is before received_at"),
        ({"due_at": local(6, 17)}, "due_at is before received_at"),
        ({"as_of": local(6, 9)}, "as_of is before received_at"),
        ({"received_at": datetime(2026, 12, 7, 9)}, "timezone"),
        ({"procedure": ""}, "at least 1 character"),
    ],
)
def test_an_inconsistent_record_is_refused(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "procedure": "birth",
        "dossier_code": "H31.100-261207-0003",
        "received_at": RECEIVED,
        "due_at": DUE,
        "finished_at": None,
        "as_of": local(8, 9),
    }
    with pytest.raises(ValidationError, match=message):
        VerdictRecord.model_validate(fields | changes)


def test_tallies_count_per_procedure_and_rate_only_finished_dossiers() -> None:
    records = [
        record("lltp", "1", local(9, 9)),
        record("lltp", "2", local(10, 9)),
        record("lltp", "3", local(10, 16)),
        record("lltp", "4", local(14, 9)),
        record("lltp", "5", None, as_of=local(14, 9)),
        record("lltp", "6", None, as_of=local(9, 9)),
        record("birth", "7", local(10, 9)),
        record("death", "8", None, as_of=local(12, 9)),
    ]
    tallies = tally_by_procedure(records)
    assert list(tallies) == ["lltp", "birth", "death"]
    lltp = tallies["lltp"]
    assert (lltp.early, lltp.on_time, lltp.late, lltp.open, lltp.open_late) == (1, 2, 1, 1, 1)
    assert lltp.finished == 4
    assert lltp.on_time_rate == 0.75
    assert tallies["birth"].on_time_rate == 1.0
    assert tallies["death"].on_time_rate is None
    assert tallies["death"].open_late == 1


def test_a_tally_reports_its_rate_in_json() -> None:
    tally = ProcedureTally(procedure="birth", early=3, on_time=5, late=2, open_late=4)
    dumped = tally.model_dump()
    assert dumped["finished"] == 10
    assert dumped["on_time_rate"] == 0.8
