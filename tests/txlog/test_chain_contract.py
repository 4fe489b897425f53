"""The TransactionLog contract, written once and run on the memory log and the Redis-stream log."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bus.transaction import TransactionSink
from bus.txlog import (
    GENESIS_HASH,
    LogEntry,
    StoredBody,
    TransactionBodies,
    TransactionLog,
    TransactionLogSink,
    VerifyReport,
    build_entry,
)
from tests.txlog.conftest import CITIZEN_A, CITIZEN_B, LogUnderTest, MakeLog, Slot, make_record


async def fill(log: TransactionLog, count: int, start: int = 0) -> list[LogEntry]:
    """Append `count` records one after the other."""
    return [await log.append(make_record(start + n)) for n in range(count)]


def kinds(report: VerifyReport) -> list[tuple[str, int | None]]:
    """(kind, sequence) of each finding, in order."""
    return [(finding.kind, finding.sequence) for finding in report.findings]


def rehashed(entry: LogEntry, **changes: object) -> LogEntry:
    """`entry` changed and given a valid entry_hash again: what a careful forger produces."""
    changed = entry.model_copy(update=changes)
    return changed.model_copy(update={"entry_hash": changed.computed_hash()})


async def test_appended_entries_form_a_chain_that_verifies_intact(under_test: LogUnderTest) -> None:
    entries = await fill(under_test.log, 5)
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in pairwise(entries))
    assert all(e.entry_hash == e.computed_hash() for e in entries)
    report = await under_test.log.verify()
    assert report.ok, report.findings
    assert (report.checked, report.first_sequence, report.last_sequence) == (5, 1, 5)


async def test_empty_log_verifies_intact(under_test: LogUnderTest) -> None:
    report = await under_test.log.verify()
    assert report.ok and report.checked == 0


async def test_altered_field_is_found_as_hash_mismatch_at_its_place(under_test: LogUnderTest) -> None:
    await fill(under_test.log, 5)
    places: list[str | None] = []

    def alter(slots: list[Slot]) -> list[Slot]:
        places.append(slots[2].location)
        slots[2].entry = slots[2].entry.model_copy(update={"client": "VN/GOV/HPG/FORGED"})
        return slots

    await under_test.tampered(alter)
    report = await under_test.log.verify()
    assert kinds(report) == [("hash_mismatch", 3)]
    assert report.findings[0].location == places[0]


async def test_altered_entry_with_recomputed_hash_breaks_the_next_link(under_test: LogUnderTest) -> None:
    await fill(under_test.log, 5)

    def alter(slots: list[Slot]) -> list[Slot]:
        slots[2].entry = rehashed(slots[2].entry, issue="HS-FORGED")
        return slots

    await under_test.tampered(alter)
    assert kinds(await under_test.log.verify()) == [("broken_link", 4)]


async def test_deleted_entry_is_found_as_a_gap_after_its_predecessor(under_test: LogUnderTest) -> None:
    await fill(under_test.log, 5)
    places: list[str | None] = []

    def delete(slots: list[Slot]) -> list[Slot]:
        places.append(slots[1].location)
        return slots[:2] + slots[3:]

    await under_test.tampered(delete)
    report = await under_test.log.verify()
    assert kinds(report) == [("gap", 3)]
    assert report.findings[0].location == places[0]
    assert "sequence 3 missing" in report.findings[0].message


async def test_swapped_entries_are_found_as_reordered(under_test: LogUnderTest) -> None:
    await fill(under_test.log, 5)

    def swap(slots: list[Slot]) -> list[Slot]:
        slots[2].entry, slots[3].entry = slots[3].entry, slots[2].entry
        return slots

    await under_test.tampered(swap)
    report = await under_test.log.verify()
    assert kinds(report) == [("reordered", 3)]
    assert "after sequence 4" in report.findings[0].message


async def test_forged_entry_inserted_mid_chain_is_found(under_test: LogUnderTest) -> None:
    entries = await fill(under_test.log, 5)
    # A well-made forgery: right sequence number, valid hash, linked onto its predecessor.
    forged = build_entry(make_record(99, client="VN/GOV/XXX/FAKE"), 3, entries[1].entry_hash)

    def insert(slots: list[Slot]) -> list[Slot]:
        return [*slots[:2], Slot(None, forged), *slots[2:]]

    await under_test.tampered(insert)
    assert kinds(await under_test.log.verify()) == [("duplicate", 3), ("broken_link", 4)]


async def test_truncated_tail_is_found_against_the_head(under_test: LogUnderTest) -> None:
    await fill(under_test.log, 5)
    await under_test.tampered(lambda slots: slots[:3])
    report = await under_test.log.verify()
    assert kinds(report) == [("tail_truncated", 4)]
    assert "4..5" in report.findings[0].message


async def test_deleted_first_entry_is_found_against_the_start_anchor(under_test: LogUnderTest) -> None:
    await fill(under_test.log, 4)
    await under_test.tampered(lambda slots: slots[1:])
    assert kinds(await under_test.log.verify()) == [("start_truncated", 2)]


async def test_entry_added_behind_the_logs_back_is_beyond_the_head(under_test: LogUnderTest) -> None:
    entries = await fill(under_test.log, 3)
    forged = build_entry(make_record(99), 4, entries[-1].entry_hash)
    await under_test.tampered(lambda slots: [*slots, Slot(None, forged)])
    assert kinds(await under_test.log.verify()) == [("beyond_head", 4)]


async def test_entries_are_selected_by_sequence_or_by_request_time(under_test: LogUnderTest) -> None:
    base = datetime.now(UTC).replace(microsecond=0)
    for n in range(6):
        await under_test.log.append(make_record(n, at=base + timedelta(seconds=n)))
    by_sequence = [e.sequence async for e in under_test.log.entries(2, 4)]
    by_time = [
        e.sequence
        async for e in under_test.log.entries(base + timedelta(seconds=2), base + timedelta(seconds=4))
    ]
    everything = [e.sequence async for e in under_test.log.entries()]
    assert by_sequence == [2, 3, 4]
    assert by_time == [3, 4, 5]
    assert everything == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (1, datetime(2024, 1, 1, tzinfo=UTC)),
        (datetime(2024, 1, 1), None),
        (-1, None),
        (True, None),
    ],
)
async def test_unusable_bounds_are_refused_and_read_nothing(
    under_test: LogUnderTest, start: object, end: object
) -> None:
    await fill(under_test.log, 1)
    with pytest.raises(ValueError):
        [e async for e in under_test.log.entries(start, end)]  # type: ignore[arg-type]


async def test_who_accessed_lists_agency_officer_dossier_and_service(under_test: LogUnderTest) -> None:
    base = datetime.now(UTC).replace(microsecond=0)
    callers = [
        ("VN/GOV/HPG/STP", (CITIZEN_A,)),
        ("VN/GOV/HPG/SYT", (CITIZEN_B,)),
        ("VN/GOV/HPG/CAT", (CITIZEN_A, CITIZEN_B)),
        ("VN/GOV/HPG/STP", ()),
        ("VN/GOV/HPG/BHXH", (CITIZEN_A,)),
    ]
    log = under_test.log
    for n, (client, subjects) in enumerate(callers):
        await log.append(make_record(n, at=base + timedelta(seconds=n), client=client, subjects=subjects))

    seen = await log.by_subject(CITIZEN_A)
    assert [(a.sequence, a.client, a.user_id, a.issue) for a in seen] == [
        (1, "VN/GOV/HPG/STP", "CB0000", "HS-2024-00000"),
        (3, "VN/GOV/HPG/CAT", "CB0002", "HS-2024-00002"),
        (5, "VN/GOV/HPG/BHXH", "CB0004", "HS-2024-00004"),
    ]
    assert all(a.service == "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1" for a in seen)
    assert seen[1].at == base + timedelta(seconds=2)
    assert [a.sequence for a in await log.by_subject(CITIZEN_B)] == [2, 3]
    later = await log.by_subject(
        CITIZEN_A, since=base + timedelta(seconds=2), until=base + timedelta(seconds=3)
    )
    assert [a.sequence for a in later] == [3]
    assert await log.by_subject("079200009999") == []


async def test_a_dossier_s_transactions_are_listed_by_its_code_across_services_and_clients(
    under_test: LogUnderTest,
) -> None:
    base = datetime.now(UTC).replace(microsecond=0)
    calls = [
        ("HS-J1", "VN/GOV/HPG/MOTCUA", "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"),
        ("HS-J2", "VN/GOV/HPG/MOTCUA", "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"),
        ("HS-J1", "VN/GOV/HPG/MOTCUA", "VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1"),
        (None, "VN/GOV/HPG/STP", "VN/GOV/BTP/LLTP/DangKyCapPhieu/v1"),
        ("HS-J1", "VN/GOV/HPG/STP", "VN/COM/VNPOST/BCCP/postOrder/v1"),
    ]
    log = under_test.log
    for n, (issue, client, service) in enumerate(calls):
        record = make_record(n, at=base + timedelta(seconds=n), client=client, service=service)
        await log.append(record.model_copy(update={"issue": issue}))

    journey = await log.by_issue("HS-J1")
    assert [(e.sequence, e.service) for e in journey] == [
        (1, calls[0][2]),
        (3, calls[2][2]),
        (5, calls[4][2]),
    ]
    assert all(e.issue == "HS-J1" for e in journey)
    assert [e.sequence for e in await log.by_issue("HS-J2")] == [2]
    assert [e.sequence for e in await log.by_issue("HS-J1", since=base + timedelta(seconds=1))] == [3, 5]
    assert await log.by_issue("HS-J1", until=base - timedelta(seconds=1)) == []
    assert await log.by_issue("HS-NEVER") == []


async def test_retention_trims_old_entries_and_verify_stays_intact(make_log: MakeLog) -> None:
    retained = await make_log(max_entries=5, trim_batch=2)
    await fill(retained.log, 20)
    report = await retained.log.verify()
    assert report.ok, report.findings
    assert 5 <= report.checked <= 7
    assert report.last_sequence == 20
    assert report.first_sequence == 21 - report.checked
    accesses = await retained.log.by_subject(CITIZEN_A)
    assert [a.sequence for a in accesses] == list(range(report.first_sequence, 21))
    assert await retained.log.by_issue("HS-2024-00000") == []  # trimmed with its entry
    assert [e.sequence for e in await retained.log.by_issue("HS-2024-00019")] == [20]
    # The anchor still catches a deletion at the new start.
    await retained.tampered(lambda slots: slots[1:])
    assert kinds(await retained.log.verify()) == [("start_truncated", report.first_sequence + 1)]


async def test_bodies_are_kept_only_for_configured_services(make_log: MakeLog) -> None:
    logged, quiet = "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1", "VN/GOV/BTP/HOTICH/KhaiSinh/v1"
    chosen = await make_log(body_services=frozenset({logged}))
    request, response = (
        '{"SoDinhDanh": "031090001234", "HoVaTen": "Nguyễn Văn A"}'.encode(),
        b"\xff\x00binary",
    )
    bodies = TransactionBodies(request=request, response=response)
    kept = await chosen.log.append(make_record(1, service=logged, request=request, response=response), bodies)
    skipped = await chosen.log.append(
        make_record(2, service=quiet, request=request, response=response), bodies
    )
    assert kept.request_body is not None and kept.request_body.raw() == request
    assert kept.request_body.encoding == "utf-8"
    assert kept.response_body is not None and kept.response_body.raw() == response
    assert (skipped.request_body, skipped.response_body) == (None, None)
    assert (await chosen.log.verify()).ok
    stored = [e async for e in chosen.log.entries(1, 1)]
    assert stored[0].request_body == kept.request_body

    def swap_body(slots: list[Slot]) -> list[Slot]:
        slots[0].entry = rehashed(
            slots[0].entry, request_body=StoredBody.of(b'{"SoDinhDanh": "001185004321"}')
        )
        return slots

    await chosen.tampered(swap_body)
    assert ("body_mismatch", 1) in kinds(await chosen.log.verify())


async def test_four_concurrent_appenders_keep_one_valid_chain(under_test: LogUnderTest) -> None:
    handles = [under_test.log] + [under_test.open_another() for _ in range(3)]

    async def appender(log: TransactionLog, offset: int) -> list[int]:
        return [(await log.append(make_record(offset + n))).sequence for n in range(25)]

    sequences = await asyncio.wait_for(
        asyncio.gather(*(appender(log, i * 100) for i, log in enumerate(handles))), timeout=20
    )
    assert sorted(s for batch in sequences for s in batch) == list(range(1, 101))
    report = await under_test.log.verify()
    assert report.ok, report.findings
    assert report.checked == 100


async def test_appends_made_at_once_by_one_handle_chain_each_record_once(under_test: LogUnderTest) -> None:
    records = [make_record(n) for n in range(40)]
    entries = await asyncio.wait_for(asyncio.gather(*(under_test.log.append(r) for r in records)), 20)
    assert sorted(e.sequence for e in entries) == list(range(1, 41))
    assert [e.transaction_id for e in entries] == [r.transaction_id for r in records]
    stored = [e async for e in under_test.log.entries()]
    assert [e.entry_hash for e in stored] == [e.entry_hash for e in sorted(entries, key=lambda e: e.sequence)]
    report = await under_test.log.verify()
    assert report.ok, report.findings
    assert report.checked == 40


async def test_retention_holds_when_many_appends_arrive_at_once(make_log: MakeLog) -> None:
    retained = await make_log(max_entries=5, trim_batch=2)
    await asyncio.wait_for(asyncio.gather(*(retained.log.append(make_record(n)) for n in range(30))), 20)
    report = await retained.log.verify()
    assert report.ok, report.findings
    assert report.last_sequence == 30
    assert 5 <= report.checked <= 7  # every batch trims what passes the retention by the trim batch
    accesses = await retained.log.by_subject(CITIZEN_A)
    assert [a.sequence for a in accesses] == list(range(report.first_sequence, 31))


async def test_sink_appends_every_record_it_is_given(under_test: LogUnderTest) -> None:
    sink = TransactionLogSink(under_test.log)
    assert isinstance(sink, TransactionSink)
    record = make_record(7)
    await sink.record(record)
    [entry] = [e async for e in under_test.log.entries()]
    assert entry.transaction_id == record.transaction_id
    assert entry.request_sha256 == hashlib.sha256(f'{{"SoDinhDanh": "{CITIZEN_A}"}}'.encode()).hexdigest()
