"""`lgsp log verify | export | who-accessed` through typer's CliRunner, against the real Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from bus.flows.journey_book import JourneyBook
from bus.flows.journey_state import JourneyState
from bus.store import make_store
from bus.txlog import LogEntry, RedisTransactionLog, TxLogSettings
from lgsp.log_cli import log_app
from tests.txlog.conftest import CITIZEN_A, CITIZEN_B, Slot, bounded, make_record, rewrite_stream

pytestmark = pytest.mark.redis
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough that each value sits on one line of the output."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def base() -> datetime:
    """request_in of the first record: taken when the log is filled, as real records are appended
    right after their request (the Redis log scans stream ids, i.e. append times, around a period)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def filled(redis_url: str, base: datetime) -> Iterator[tuple[str, str]]:
    """(url, stream key) of a log with six transactions one second apart; keys deleted afterwards."""
    url, key = bounded(redis_url), f"lgsp-test:txlog-cli:{uuid.uuid4().hex}"

    async def fill() -> None:
        log = RedisTransactionLog(TxLogSettings(redis_url=url, stream_key=key))
        try:
            for n in range(6):
                subjects = (CITIZEN_A,) if n % 2 == 0 else (CITIZEN_B,)
                client = "VN/GOV/HPG/STP" if n < 4 else "VN/GOV/HPG/CAT"
                await log.append(
                    make_record(n, at=base + timedelta(seconds=n), subjects=subjects, client=client)
                )
        finally:
            await log.close()

    asyncio.run(fill())
    yield url, key
    client = redis.Redis.from_url(url)
    try:
        found = list(client.scan_iter(match=f"{key}*"))
        if found:
            client.delete(*found)
    finally:
        client.close()


def delete_entry(url: str, key: str, index: int) -> None:
    """Rewrite the stream without its `index`-th entry."""

    async def rewrite() -> None:
        import redis.asyncio as aioredis

        raw = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            stored: list[tuple[str, dict[str, str]]] = await raw.xrange(key, "-", "+")  # type: ignore[assignment]
            slots = [Slot(i, LogEntry.from_json(f["entry"])) for i, f in stored]
            await rewrite_stream(raw, key, slots[:index] + slots[index + 1 :])
        finally:
            await raw.aclose()

    asyncio.run(rewrite())


def test_verify_reports_intact_log_and_exits_zero(filled: tuple[str, str]) -> None:
    url, key = filled
    result = runner.invoke(log_app, ["verify", "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and "6 entries" in result.output


def test_verify_names_the_deleted_entry_and_exits_non_zero(filled: tuple[str, str]) -> None:
    url, key = filled
    delete_entry(url, key, 2)
    result = runner.invoke(log_app, ["verify", "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 1
    assert "gap" in result.output and "sequence 3 missing" in result.output


def test_export_writes_the_period_as_json_lines(
    filled: tuple[str, str], base: datetime, tmp_path: Path
) -> None:
    url, key = filled
    target = tmp_path / "period.jsonl"
    since, until = (base + timedelta(seconds=1)).isoformat(), (base + timedelta(seconds=3)).isoformat()
    args = ["export", "--since", since, "--until", until, "--output", str(target)]
    result = runner.invoke(log_app, [*args, "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 0, result.output
    lines = target.read_text(encoding="utf-8").splitlines()
    entries = [LogEntry.from_json(line) for line in lines]
    assert [e.sequence for e in entries] == [2, 3, 4]
    assert all(e.entry_hash == e.computed_hash() for e in entries)
    assert json.loads(lines[0])["client"] == "VN/GOV/HPG/STP"
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    ("since", "until", "complaint"),
    [
        ("yesterday", "2024-01-01T00:00:00Z", "not an ISO 8601 time"),
        ("2024-01-01T00:00:00", "2024-01-02T00:00:00Z", "no time zone"),
        ("2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", "after --until"),
    ],
)
def test_export_refuses_a_bad_period_and_writes_nothing(
    filled: tuple[str, str], tmp_path: Path, since: str, until: str, complaint: str
) -> None:
    url, key = filled
    target = tmp_path / "out.jsonl"
    args = ["export", "--since", since, "--until", until, "--output", str(target)]
    result = runner.invoke(log_app, [*args, "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 2
    assert complaint in result.output
    assert list(tmp_path.iterdir()) == []


def test_who_accessed_tables_agency_dossier_and_service(filled: tuple[str, str]) -> None:
    url, key = filled
    result = runner.invoke(log_app, ["who-accessed", CITIZEN_A, "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 0, result.output
    assert "3 transaction(s)" in result.output
    for dossier in ("HS-2024-00000", "HS-2024-00002", "HS-2024-00004"):
        assert dossier in result.output
    assert "HS-2024-00001" not in result.output
    assert "VN/GOV/HPG/CAT" in result.output and "XacMinhThongTinNhanThan" in result.output


@pytest.fixture
def journey(filled: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[JourneyState]:
    """A dossier journey started for HS-2024-00002 (the third record's dossier), in the bus's Store on
    the log's Redis under a journey prefix of this test's own; its keys deleted afterwards."""
    url, _ = filled
    prefix = f"lgsp-test-journeys-{uuid.uuid4().hex[:8]}:"
    monkeypatch.setenv("LGSP_JOURNEY_STORE_PREFIX", prefix)
    state = JourneyState(
        journey_id="j" * 32, kind="dossier", dossier_code="HS-2024-00002", client="VN/GOV/HPG/MOTCUA",
        inputs={}, received_at=datetime.now(UTC), steps={},
    )  # fmt: skip

    async def start() -> None:
        store = make_store(url)
        book = JourneyBook(store, prefix=prefix)
        try:
            await book.claim_dossier(state.dossier_code, state.journey_id)
            await book.create(state)
        finally:
            await store.close()

    asyncio.run(start())
    yield state
    client = redis.Redis.from_url(url)
    try:
        found = list(client.scan_iter(match=f"*{prefix}*"))
        if found:
            client.delete(*found)
    finally:
        client.close()


def test_who_accessed_names_the_journey_each_look_up_served(
    filled: tuple[str, str], journey: JourneyState
) -> None:
    url, key = filled
    result = runner.invoke(log_app, ["who-accessed", CITIZEN_A, "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "HS-2024-0000" in line]
    assert len(rows) == 3
    (served,) = [row for row in rows if "HS-2024-00002" in row]
    assert journey.journey_id in served and " dossier " in served
    assert all(journey.journey_id not in row for row in rows if row is not served)

    only = runner.invoke(
        log_app,
        ["who-accessed", CITIZEN_A, "--dossier", "HS-2024-00002", "--redis-url", url, "--stream-key", key],
    )
    assert only.exit_code == 0 and "1 transaction(s)" in only.output and journey.journey_id in only.output


def test_export_of_a_dossier_writes_only_its_transactions(filled: tuple[str, str]) -> None:
    url, key = filled
    result = runner.invoke(
        log_app, ["export", "--dossier", "HS-2024-00003", "--redis-url", url, "--stream-key", key]
    )
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert LogEntry.from_json(line).issue == "HS-2024-00003"
    nothing = runner.invoke(log_app, ["export", "--redis-url", url, "--stream-key", key])
    assert nothing.exit_code == 2 and "--dossier" in nothing.output


def test_who_accessed_with_a_period_narrows_the_answer(filled: tuple[str, str], base: datetime) -> None:
    url, key = filled
    since = (base + timedelta(seconds=3)).isoformat()
    args = ["who-accessed", CITIZEN_A, "--since", since, "--redis-url", url, "--stream-key", key]
    result = runner.invoke(log_app, args)
    assert result.exit_code == 0, result.output
    assert "1 transaction(s)" in result.output and "HS-2024-00004" in result.output


def test_who_accessed_refuses_what_is_not_a_citizen_id(filled: tuple[str, str]) -> None:
    url, key = filled
    result = runner.invoke(log_app, ["who-accessed", "12345", "--redis-url", url, "--stream-key", key])
    assert result.exit_code == 2
    assert "12-digit" in result.output


def test_commands_without_a_redis_url_say_where_the_log_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LGSP_TXLOG_REDIS_URL", raising=False)
    monkeypatch.delenv("LGSP_REDIS_URL", raising=False)
    result = runner.invoke(log_app, ["verify"])
    assert result.exit_code == 2
    assert "--redis-url" in result.output


def test_unreachable_redis_is_a_clear_error_not_a_traceback() -> None:
    result = runner.invoke(
        log_app, ["verify", "--redis-url", "redis://127.0.0.1:1/15?socket_connect_timeout=1"]
    )
    assert result.exit_code == 2
    assert "cannot read the log" in result.output
