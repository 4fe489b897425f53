"""The interconnected birth (lgsp/journeys/birth.yaml) end to end: the real adapters and mocks, on memory
and on RabbitMQ + Redis, time compressed (a working day in `DAY_SECONDS`)."""

from __future__ import annotations

import pytest

from bus.flows import DossierCodeInUse, InvalidStart, JourneyRecord, UnknownKind
from services.journey_forms import birth_inputs, death_inputs
from services.residence.settings import ResidenceSettings
from tests.backends import MEMORY
from tests.lgsp.citizen_journeys import CitizenJourneys

pytestmark = pytest.mark.slow


def statuses(record: JourneyRecord) -> dict[str, str]:
    return {step.step: step.status.value for step in record.steps}


def late_steps(record: JourneyRecord) -> list[tuple[str, object, object]]:
    """(step, due, finished) of each step judged late."""
    return [(s.step, s.due_at, s.finished_at) for s in record.steps if s.verdict in ("late", "open_late")]


def step(record: JourneyRecord, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in record.steps if s.step == name)


async def portal_history(stack: CitizenJourneys, code: str) -> list[int]:
    """The interconnected statuses the portal recorded for the dossier, in order."""
    async with stack.mocks.client("portal") as portal:
        answer = await portal.get("/api/lienthong/TraCuu", params={"maHoSo": code})
    assert answer.status_code == 200, answer.text
    return [entry["trangThai"] for entry in answer.json()["lichSu"]]


async def completes_the_legs_chosen(stack: CitizenJourneys, legs: list[str], skipped: set[str]) -> None:
    """A birth with `legs` completes on time, `skipped` skipped, the child issued its ID number, the portal
    told every status, every transaction under the dossier code."""
    inputs = birth_inputs(stack.mocks.population, today=stack.today, legs=legs)
    started = await stack.start("birth", inputs)
    record = await stack.finished(started.journey_id)
    assert record.status == "completed", record.model_dump_json(indent=1)
    assert {name for name, status in statuses(record).items() if status == "skipped"} == skipped
    assert record.verdict in ("early", "on_time")
    assert late_steps(record) == []
    # The child's ID number was issued through the population database: a later look-up finds the child.
    child_id = step(record, "registered").result["record"]["child_id_number"]
    child = stack.mocks.population.citizen(child_id)
    assert child is not None and child.full_name == inputs["child"]["full_name"]  # type: ignore[index]
    assert await portal_history(stack, started.dossier_code) == [1, 3, 7, 4, 7, 4, 5]
    # One id across systems: every transaction of the journey carries its dossier code.
    mine = [r for r in stack.sink.records if r.issue == started.dossier_code]
    ids = {t for s in record.steps for t in s.transaction_ids}
    assert ids and ids <= {r.transaction_id for r in mine}
    assert all(r.client == "VN/GOV/HPG/MOTCUA" for r in mine)


async def test_a_birth_completes_both_legs_on_time_and_the_portal_sees_every_status(
    citizen_journeys: CitizenJourneys,
) -> None:
    await completes_the_legs_chosen(citizen_journeys, ["residence", "insurance"], set())


# Which legs run is the engine's choice from the inputs, the same on every backend: on memory only.
@pytest.mark.parametrize("citizen_journeys", [MEMORY], indirect=True)
@pytest.mark.parametrize(
    ("legs", "skipped"),
    [(["residence"], {"card", "card_done"}), (["insurance"], {"residence", "residence_done"})],
)
async def test_a_birth_with_one_leg_skips_the_other(
    citizen_journeys: CitizenJourneys, legs: list[str], skipped: set[str]
) -> None:
    await completes_the_legs_chosen(citizen_journeys, legs, skipped)


async def test_refused_at_the_registry_no_downstream_leg_starts_and_the_portal_is_told(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    inputs = birth_inputs(stack.mocks.population, today=stack.today)
    inputs["child"]["full_name"] = "Khôi"  # type: ignore[index]  # the registry wants a family name too
    started = await stack.start("birth", inputs)
    record = await stack.finished(started.journey_id)
    assert record.status == "refused", record.model_dump_json(indent=1)
    assert statuses(record)["register"] == "refused"
    for leg in ("residence", "residence_done", "card", "card_done", "result_returned"):
        assert statuses(record)[leg] == "cancelled"
        assert step(record, leg).transaction_ids == []
    assert statuses(record)["received"] == "compensated"
    assert await portal_history(stack, started.dossier_code) == [1, 3, 7, 6]


@pytest.mark.parametrize(
    "mother",
    [{"id_document_number": "031199999999"}, {"full_name": "Tên Không Khớp"}],
    ids=["nobody", "misnamed"],
)
async def test_a_mother_the_population_database_does_not_know_is_refused_before_any_effect(
    citizen_journeys: CitizenJourneys, mother: dict[str, str]
) -> None:
    stack = citizen_journeys
    inputs = birth_inputs(stack.mocks.population, today=stack.today)
    inputs["mother"] = inputs["mother"] | mother  # type: ignore[operator]  # well-formed, but not a known person
    started = await stack.start("birth", inputs)
    record = await stack.finished(started.journey_id)
    assert record.status == "refused", record.model_dump_json(indent=1)
    assert statuses(record)["mother"] == "refused" and "mother" in (record.reason or "")
    assert [s.step for s in record.steps if s.transaction_ids] == ["mother"]  # the look-up, nothing else
    assert all(
        "XacThucThongTinCongDan" in str(r.service)
        for r in stack.sink.records
        if r.issue == started.dossier_code
    )
    async with stack.mocks.client("portal") as portal:
        answer = await portal.get("/api/lienthong/TraCuu", params={"maHoSo": started.dossier_code})
    assert answer.status_code == 404 or answer.json()["lichSu"] == []  # the portal never heard of it


async def test_a_supplement_never_given_refuses_the_birth_after_seven_working_days(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    # A child whose sex is undetermined: the registry holds the birth and asks for a medical certificate.
    inputs = birth_inputs(stack.mocks.population, today=stack.today, sex="undetermined")
    started = await stack.start("birth", inputs)
    pending = await stack.until(started.journey_id, lambda r: statuses(r)["registered"] == "running")
    assert step(pending, "register").result["documents_requested"]  # type: ignore[index]
    record = await stack.finished(started.journey_id, timeout=30)
    assert record.status == "refused", record.model_dump_json(indent=1)
    registered = step(record, "registered")
    assert registered.status == "refused" and registered.due_at is not None
    assert registered.started_at is not None
    assert registered.due_at == stack.runtime.calendar.add_working_days(registered.started_at, 7)
    assert statuses(record)["residence"] == "cancelled"
    assert await portal_history(stack, started.dossier_code) == [1, 3, 7, 6]


# The leg's deadline (2 working days) runs from the poll step's start on the bus's clock; the agency's own
# appointment from its reception on the mock's clock, which trails the bus's (a follower round, the reply's
# way back). When the 15:00 cut-off falls between the two, the bus's deadline is a working day later than
# the agency's appointment, and a dossier finished one working day past that appointment was on time for
# the bus (CI saw it, at 14:55 against 15:07). So the agency here verifies (5 working days) and is late
# even on that (1-2 more): it finishes 6-7 working days after its reception, past the bus's deadline
# however the cut-off falls, unless the mock's reception and the bus's step start were 3 working days
# (3 wall seconds) apart.
@pytest.mark.parametrize("residence_settings", [ResidenceSettings(verification_rate=1.0, late_rate=1.0)])
async def test_a_leg_that_misses_its_deadline_is_counted_late_and_the_journey_still_completes(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    inputs = birth_inputs(stack.mocks.population, today=stack.today, legs=["residence"])
    started = await stack.start("birth", inputs)
    record = await stack.finished(started.journey_id, timeout=30)
    assert record.status == "completed", record.model_dump_json(indent=1)
    residence = step(record, "residence_done")
    assert residence.result["dossier"]["needs_verification"] is True  # type: ignore[index]
    assert residence.verdict == "late", residence.model_dump_json(indent=1)
    assert record.late
    lates = await stack.runtime.journeys.list(kind="birth", late=True)
    assert [j.journey_id for j in lates] == [started.journey_id]


async def test_a_failing_portal_push_is_retried_until_the_portal_records_it(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    async with stack.mocks.client("portal") as portal:
        assert (await portal.patch("/_control/faults", json={"outage": True})).status_code == 200
        inputs = birth_inputs(stack.mocks.population, today=stack.today, legs=["insurance"])
        started = await stack.start("birth", inputs)
        await stack.until(started.journey_id, lambda r: any(c.status for c in step(r, "received").calls))
        assert (await portal.patch("/_control/faults", json={"outage": False})).status_code == 200
    record = await stack.finished(started.journey_id)
    assert record.status == "completed", record.model_dump_json(indent=1)
    received = step(record, "received")
    assert len(received.calls) >= 2 and received.calls[0].status != 200 and received.calls[-1].status == 200
    assert await portal_history(stack, started.dossier_code) == [1, 3, 7, 4, 7, 4, 5]


async def test_a_repeated_dossier_code_answers_its_journey_and_bad_starts_change_nothing(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    journeys = stack.runtime.journeys
    inputs = birth_inputs(stack.mocks.population, today=stack.today)
    first = await stack.start("birth", inputs, "H31.29-REPEAT-1")
    again = await stack.start("birth", inputs, "H31.29-REPEAT-1")
    assert again.journey_id == first.journey_id
    with pytest.raises(DossierCodeInUse):
        await stack.start("death", death_inputs(stack.mocks.population, today=stack.today), "H31.29-REPEAT-1")
    with pytest.raises(UnknownKind):
        await stack.start("marriage", inputs, "H31.29-REPEAT-2")
    with pytest.raises(InvalidStart):
        await stack.start("birth", {"legs": ["residence"]}, "H31.29-REPEAT-3")
    assert [j.journey_id for j in await journeys.list()] == [first.journey_id]
    assert await journeys.find("H31.29-REPEAT-3") is None
    record = await stack.finished(first.journey_id)
    assert record.status == "completed"
    mine = [r for r in stack.sink.records if r.issue == "H31.29-REPEAT-1"]
    births = [r for r in mine if "DangKyKhaiSinh" in str(r.service)]
    assert len(births) == 1
