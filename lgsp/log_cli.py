"""`lgsp log …`: verify the chain, export a period or a dossier's transactions as JSON lines, ask who
accessed a citizen's data and for which journey."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO, TypeVar

import typer
from pydantic import ValidationError
from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Table

from bus.errors import BusUnavailable
from bus.flows.journey_book import JourneyBook
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import JourneyState
from bus.store import make_store
from bus.txlog.base import SubjectAccess
from bus.txlog.entry import LogEntry
from bus.txlog.redis import RedisTransactionLog
from bus.txlog.settings import TxLogSettings

log_app = typer.Typer(
    help="Verify, export and query the tamper-evident transaction log.", no_args_is_help=True
)
errors = Console(stderr=True)

RedisOption = Annotated[
    str | None, typer.Option("--redis-url", help="Redis URL (env LGSP_TXLOG_REDIS_URL or LGSP_REDIS_URL)")
]
StreamOption = Annotated[
    str | None, typer.Option("--stream-key", help="stream key (env LGSP_TXLOG_STREAM_KEY)")
]
DossierOption = Annotated[
    str | None,
    typer.Option("--dossier", help="only the transactions made for this dossier code (maHoSo): a journey's"),
]
CITIZEN_ID = re.compile(r"^[0-9]{12}$")
T = TypeVar("T")


def _open(redis_url: str | None, stream_key: str | None) -> RedisTransactionLog:
    given = {k: v for k, v in {"redis_url": redis_url, "stream_key": stream_key}.items() if v is not None}
    try:
        settings = TxLogSettings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            errors.print(f"[red]{'.'.join(map(str, error['loc']))}:[/red] {error['msg']}")
        raise typer.Exit(2) from exc
    if settings.redis_url is None:
        errors.print("[red]the shared log lives in Redis: give --redis-url (or LGSP_TXLOG_REDIS_URL)[/red]")
        raise typer.Exit(2)
    return RedisTransactionLog(settings)


def _run(txlog: RedisTransactionLog, work: Callable[[RedisTransactionLog], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await work(txlog)
        finally:
            await txlog.close()

    try:
        return asyncio.run(main())
    except (RedisError, OSError) as exc:
        errors.print(f"[red]cannot read the log at {txlog.settings.redis_url}:[/red] {exc}")
        raise typer.Exit(2) from exc


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        errors.print(f"[red]{option} {text!r} is not an ISO 8601 time[/red]")
        raise typer.Exit(2) from exc
    if moment.tzinfo is None:
        errors.print(f"[red]{option} {text!r} has no time zone; add one, e.g. +07:00 or Z[/red]")
        raise typer.Exit(2)
    return moment


def _period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    start, end = _moment(since, "--since"), _moment(until, "--until")
    if start is not None and end is not None and start > end:
        errors.print("[red]--since is after --until[/red]")
        raise typer.Exit(2)
    return start, end


@log_app.command("verify")
def verify(redis_url: RedisOption = None, stream_key: StreamOption = None) -> None:
    """Walk the whole hash chain; list every tampered place (exit 1 when any is found)."""
    console = Console()
    txlog = _open(redis_url, stream_key)
    report = _run(txlog, lambda opened: opened.verify())
    span = f"sequence {report.first_sequence}..{report.last_sequence}" if report.checked else "empty log"
    if report.ok:
        console.print(f"[green]intact[/green]: {report.checked} entries checked ({span})")
        return
    table = Table(title=f"{len(report.findings)} finding(s) in {txlog.stream_key} ({span})")
    for column in ("kind", "sequence", "stream id", "what is wrong"):
        # Audit values (ids, hashes) must be read whole: wrap them rather than cut them.
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        sequence = "-" if finding.sequence is None else str(finding.sequence)
        table.add_row(finding.kind, sequence, finding.location or "-", finding.message)
    console.print(table)
    errors.print(f"[red]TAMPERED[/red]: {len(report.findings)} finding(s) over {report.checked} entries")
    raise typer.Exit(1)


@log_app.command("export")
def export(
    since: Annotated[
        str | None, typer.Option(help="period start, ISO 8601 with time zone (request_in)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="period end, inclusive, ISO 8601 with time zone")] = None,
    dossier: DossierOption = None,
    output: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    redis_url: RedisOption = None,
    stream_key: StreamOption = None,
) -> None:
    """Write the entries of a period, or every transaction of a dossier (a journey: each of its steps'
    calls carries the dossier code as its issue), as JSON lines, one entry per line, in log order."""
    if dossier is None and (since is None or until is None):
        errors.print("[red]give the period (--since and --until), or --dossier[/red]")
        raise typer.Exit(2)
    start, end = _period(since, until)
    txlog = _open(redis_url, stream_key)

    async def selected(opened: RedisTransactionLog) -> AsyncIterator[LogEntry]:
        if dossier is None:
            async for entry in opened.entries(start, end):
                yield entry
        else:
            for entry in await opened.by_issue(dossier, start, end):
                yield entry

    async def write(opened: RedisTransactionLog, sink: TextIO) -> int:
        count = 0
        async for entry in selected(opened):
            sink.write(entry.to_json() + "\n")
            count += 1
        return count

    if output is None:
        count = _run(txlog, lambda opened: write(opened, sys.stdout))
    else:
        # Written beside the target and renamed, so a failed export leaves no half file behind.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as handle:
                count = _run(txlog, lambda opened: write(opened, handle))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
    errors.print(f"{count} entries exported")


async def journeys_of(store_url: str, dossier_codes: set[str]) -> dict[str, JourneyState]:
    """The journeys started for these dossier codes, read from the bus's Store at `store_url` (where
    the gateways and workers keep them); none when it cannot be read (said on standard error)."""
    store = make_store(store_url)
    book = JourneyBook(store, prefix=JourneySettings().store_prefix)
    found: dict[str, JourneyState] = {}
    try:
        for code in sorted(dossier_codes):
            state = await book.journey_of(code)
            if state is not None:
                found[code] = state
    except BusUnavailable as exc:
        errors.print(f"[yellow]journeys not shown: the store at {store_url} cannot be read ({exc})[/yellow]")
    finally:
        await store.close()
    return found


@log_app.command("who-accessed")
def who_accessed(
    citizen_id: Annotated[str, typer.Argument(help="the citizen's 12-digit personal ID number")],
    since: Annotated[str | None, typer.Option(help="from, ISO 8601 with time zone")] = None,
    until: Annotated[str | None, typer.Option(help="to, inclusive, ISO 8601 with time zone")] = None,
    dossier: DossierOption = None,
    redis_url: RedisOption = None,
    stream_key: StreamOption = None,
    store_url: Annotated[
        str | None,
        typer.Option("--store-url", help="the bus's Store, where journeys live (default: the log's Redis)"),
    ] = None,
) -> None:
    """Which agency looked up this citizen, when, for which dossier and journey, through which service."""
    console = Console()
    if not CITIZEN_ID.match(citizen_id):
        errors.print(f"[red]{citizen_id!r} is not a 12-digit personal ID number[/red]")
        raise typer.Exit(2)
    start, end = _period(since, until)
    txlog = _open(redis_url, stream_key)

    async def look_up(opened: RedisTransactionLog) -> tuple[list[SubjectAccess], dict[str, JourneyState]]:
        accesses = await opened.by_subject(citizen_id, start, end)
        if dossier is not None:
            accesses = [access for access in accesses if access.issue == dossier]
        codes = {access.issue for access in accesses if access.issue}
        return accesses, await journeys_of(store_url or str(opened.settings.redis_url), codes)

    accesses, journeys = _run(txlog, look_up)
    table = Table(title=f"who accessed {citizen_id}: {len(accesses)} transaction(s)")
    columns = (
        "when (UTC)",
        "agency",
        "officer",
        "dossier",
        "journey",
        "kind",
        "service",
        "status",
        "transaction",
    )
    for column in columns:
        # Audit values (ids, hashes) must be read whole: wrap them rather than cut them.
        table.add_column(column, overflow="fold")
    for access in accesses:
        journey = journeys.get(access.issue or "")
        table.add_row(
            access.at.astimezone(UTC).isoformat(timespec="seconds"),
            access.client or "-",
            access.user_id or "-",
            access.issue or "-",
            journey.journey_id if journey else "-",
            journey.kind if journey else "-",
            access.service or "-",
            str(access.status),
            access.transaction_id,
        )
    console.print(table)
