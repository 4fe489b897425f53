"""`lgsp adapter check ENTRYPOINT`: run the conformance kit, print a table, optionally write JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adapters.conformance.profile import Sample
from adapters.conformance.runner import TargetNotFound, check_target
from bus.adapter_registry import installed_adapters
from lgsp.adapter_scaffold import ScaffoldError, write_skeleton
from lgsp.mock_provider import mock_provider

adapter_app = typer.Typer(help="Write, check and run adapters.", no_args_is_help=True)
_SAMPLES = TypeAdapter(tuple[Sample, ...])


@adapter_app.callback()
def adapters_group() -> None:
    """Adapters plug in through the `lgsp.adapters` entry-point group."""


@adapter_app.command("list")
def list_adapters() -> None:
    """The adapters installed in the `lgsp.adapters` entry-point group."""
    table = Table(title="installed adapters (lgsp.adapters)")
    table.add_column("name")
    table.add_column("factory")
    for name, entry in sorted(installed_adapters().items()):
        table.add_row(name, entry.value)
    Console().print(table)


@adapter_app.command()
def new(
    name: Annotated[str, typer.Argument(help="the adapter's name: a lower-case Python identifier")],
    directory: Annotated[
        Path | None, typer.Option("--dir", help="directory to create (default: ./NAME)", show_default=False)
    ] = None,
) -> None:
    """Write the package skeleton of a new adapter: entry points, two services, a signed callback, its
    own provider mock, a conformance profile, a catalog and tests."""
    try:
        target, written = write_skeleton(name, directory)
    except ScaffoldError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console = Console()
    console.print(f"wrote {len(written)} files to {escape(str(target))}", highlight=False, soft_wrap=True)
    console.print(
        f"next: cd {escape(str(target))} && pip install -e . "
        f"&& lgsp adapter check {name} && python -m pytest",
        highlight=False,
        soft_wrap=True,
    )


@adapter_app.command()
def check(
    entrypoint: Annotated[str, typer.Argument(help="an adapter name in lgsp.adapters, or 'module:factory'")],
    json_file: Annotated[
        Path | None, typer.Option("--json", help="also write the report here as JSON", show_default=False)
    ] = None,
    mock: Annotated[
        str | None, typer.Option(help="built-in mock to run as the provider (population, civil, …)")
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="adapter config as a JSON object (merged over the profile's)")
    ] = None,
    samples: Annotated[
        Path | None, typer.Option(help="JSON file: a list of {service, payload} sample requests")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="'module:function' returning a ConformanceProfile")
    ] = None,
) -> None:
    """Run every conformance check on an adapter; exit status 1 when any check fails."""
    overrides: dict[str, Any] = {}
    try:
        if mock is not None:
            overrides["provider"] = mock_provider(mock)
        if config is not None:
            parsed = json.loads(config)
            if not isinstance(parsed, dict):
                raise ValueError("--config must be a JSON object")
            overrides["config"] = parsed
        if samples is not None:
            overrides["samples"] = _SAMPLES.validate_json(samples.read_bytes())
        report = asyncio.run(check_target(entrypoint, profile_hook=profile, overrides=overrides))
    except (TargetNotFound, ValueError, ValidationError, OSError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    Console().print(report.table())
    if json_file is not None:
        json_file.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    raise typer.Exit(0 if report.ok else 1)
