"""`lgsp dlq`: list, show, replay and purge dead letters (mounted by lgsp.cli as a typer sub-app).

Dead letters are browsed by taking them unacked and giving them back (see bus.dlq.inspect), so a
listing is bounded by --limit per queue. Replay remembers what it replayed in the store (Redis when
--redis-url is given), so replaying the same message again does nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bus.catalog import CatalogError, load_catalog
from bus.dlq.inspect import DEFAULT_LIMIT, DeadLetterQueues, LetterFilter
from bus.settings import BusSettings
from bus.store import make_store
from bus.transport import make_transport
from lgsp.default_catalog import catalog_path

dlq_app = typer.Typer(help="Inspect, replay and purge dead-letter queues.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
T = TypeVar("T")

ServiceOption = Annotated[
    list[str] | None, typer.Option("--service", help="service id or adapter name (repeatable; default all)")
]
OlderOption = Annotated[float | None, typer.Option("--older-than", min=0, help="dead for at least SECONDS")]
ErrorOption = Annotated[
    str | None, typer.Option("--error-type", help="error type or prefix, e.g. Server.Provider")
]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="e.g. retries-exhausted, unparseable")]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=100_000, help="messages examined per queue")]
AmqpOption = Annotated[str | None, typer.Option("--amqp-url", help="RabbitMQ URL (env LGSP_AMQP_URL)")]
RedisOption = Annotated[str | None, typer.Option("--redis-url", help="Redis URL (env LGSP_REDIS_URL)")]


def _run(
    amqp_url: str | None,
    redis_url: str | None,
    services: list[str] | None,
    action: Callable[[DeadLetterQueues], Awaitable[T]],
) -> T:
    overrides = {k: v for k, v in {"amqp_url": amqp_url, "redis_url": redis_url}.items() if v is not None}
    settings = BusSettings().model_copy(update=overrides)
    if settings.amqp_url is None:
        errors.print(
            "[red]lgsp dlq needs --amqp-url (or LGSP_AMQP_URL): the memory transport lives in-process[/red]"
        )
        raise typer.Exit(2)
    try:
        catalog = load_catalog(catalog_path(settings))
    except CatalogError as exc:
        errors.print(f"[red]bad catalog:[/red] {exc}")
        raise typer.Exit(2) from exc
    wanted = set(services or [])
    queues = [
        s.id.queue_name for s in catalog.services if not wanted or str(s.id) in wanted or s.adapter in wanted
    ]
    if not queues:
        errors.print(f"[red]no service in the catalog matches {sorted(wanted)}[/red]")
        raise typer.Exit(2)

    async def main() -> T:
        transport = make_transport(settings.amqp_url, connection_name="lgsp-dlq")
        store = make_store(settings.redis_url)
        await transport.connect()
        await store.connect()
        try:
            return await action(DeadLetterQueues(transport, store, queues))
        finally:
            await transport.close()
            await store.close()

    return asyncio.run(main())


@dlq_app.command("list")
def list_letters(
    service: ServiceOption = None,
    older_than: OlderOption = None,
    error_type: ErrorOption = None,
    reason: ReasonOption = None,
    limit: LimitOption = DEFAULT_LIMIT,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Table of dead letters: id, queue, reason, error, effect (happened/none/unknown), attempts, when."""
    chosen = LetterFilter(older_than=older_than, error_type=error_type, reason=reason)
    letters = _run(amqp_url, redis_url, service, lambda q: q.letters(chosen, limit=limit))
    table = Table(title=f"{len(letters)} dead letter(s)")
    for column in ("message id", "queue", "reason", "error", "effect", "attempts", "dead since"):
        table.add_column(column)
    for letter in letters:
        table.add_row(
            letter.message_id,
            letter.queue or "-",
            letter.reason or "-",
            letter.error_type or "-",
            letter.effect,
            str(letter.attempts or "-"),
            letter.dead_lettered_at.isoformat(timespec="seconds") if letter.dead_lettered_at else "-",
        )
    console.print(table)


@dlq_app.command()
def show(
    message_id: Annotated[str, typer.Argument(help="the dead letter's message id")],
    service: ServiceOption = None,
    limit: LimitOption = DEFAULT_LIMIT,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
) -> None:
    """One dead letter in full: its facts, headers and body."""
    found = _run(amqp_url, redis_url, service, lambda q: q.show(message_id, limit=limit))
    if found is None:
        errors.print(f"[red]no dead letter {message_id!r}[/red] (looked at up to {limit} per queue)")
        raise typer.Exit(1)
    letter, message = found
    console.print_json(letter.model_dump_json())
    console.print_json(json.dumps(dict(message.headers)))
    console.print(message.body.decode("utf-8", errors="replace"))


@dlq_app.command()
def replay(
    message_id: Annotated[
        str | None, typer.Argument(help="one message id (or use filters with --all)")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="replay every letter matching the filters")] = False,
    service: ServiceOption = None,
    older_than: OlderOption = None,
    error_type: ErrorOption = None,
    reason: ReasonOption = None,
    limit: LimitOption = DEFAULT_LIMIT,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Republish dead letters to their service queue; a message already replayed is left alone."""
    if (message_id is None) == (not every):
        errors.print("[red]give either one MESSAGE_ID or --all (with optional filters)[/red]")
        raise typer.Exit(2)
    chosen = LetterFilter(message_id=message_id, older_than=older_than, error_type=error_type, reason=reason)
    outcome = _run(amqp_url, redis_url, service, lambda q: q.replay(chosen, limit=limit))
    console.print(
        f"replayed {len(outcome.replayed)}; already replayed before: {len(outcome.already_replayed)}; "
        f"second copies removed: {len(outcome.duplicates_removed)}"
    )
    for ident in outcome.already_replayed:
        console.print(f"  left alone (replayed before): {ident}")
    for ident in outcome.duplicates_removed:
        console.print(f"  second copy removed (replayed above): {ident}")


@dlq_app.command()
def purge(
    yes: Annotated[bool, typer.Option("--yes", help="really delete")] = False,
    service: ServiceOption = None,
    older_than: OlderOption = None,
    error_type: ErrorOption = None,
    reason: ReasonOption = None,
    limit: LimitOption = DEFAULT_LIMIT,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Delete dead letters matching the filters for good (needs --yes)."""
    if not yes:
        errors.print("[red]purge deletes messages for good: add --yes[/red]")
        raise typer.Exit(2)
    chosen = LetterFilter(older_than=older_than, error_type=error_type, reason=reason)
    removed = _run(amqp_url, redis_url, service, lambda q: q.purge(chosen, limit=limit))
    console.print(f"purged {len(removed)} dead letter(s)")
