"""`lgsp faults show|set|reset URL`: read and change a running mock's fault profile."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from services.faults.client import FaultControlError, parse_state
from services.faults.profile import FaultState, Latency

faults_app = typer.Typer(help="Inject faults into a running mock national system.", no_args_is_help=True)

Url = Annotated[str, typer.Argument(metavar="URL", help="Base URL of the mock, e.g. http://127.0.0.1:8101")]
Rate = Annotated[float | None, typer.Option(min=0.0, max=1.0, show_default=False)]


@faults_app.command()
def show(url: Url) -> None:
    """Show the fault profile in force and what was injected since the last reset."""
    _print_state(_call("GET", url, "/_control/faults"))


@faults_app.command("set")
def set_faults(
    url: Url,
    latency: Annotated[
        str | None, typer.Option(help="none | fixed:MS | lognormal:P50:P99 (ms)", show_default=False)
    ] = None,
    error_rate: Rate = None,
    error_status: Annotated[int | None, typer.Option(min=400, max=599, show_default=False)] = None,
    soap_fault: Annotated[
        bool | None, typer.Option("--soap-fault/--no-soap-fault", help="errors as SOAP faults (HTTP 500)")
    ] = None,
    timeout_rate: Rate = None,
    hang_seconds: Annotated[float | None, typer.Option(min=0.001, max=3600, show_default=False)] = None,
    outage: Annotated[bool | None, typer.Option("--outage/--no-outage", help="every request 503")] = None,
    malformed_rate: Rate = None,
    lost_callback_rate: Rate = None,
    rate_limit: Annotated[
        float | None, typer.Option(min=0.0, help="requests/s before 429; 0 turns it off", show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(show_default=False)] = None,
) -> None:
    """Change only the given settings of the profile (the rest stay as they are)."""
    changes: dict[str, Any] = {
        "error_rate": error_rate,
        "error_status": error_status,
        "soap_fault": soap_fault,
        "timeout_rate": timeout_rate,
        "hang_seconds": hang_seconds,
        "outage": outage,
        "malformed_rate": malformed_rate,
        "lost_callback_rate": lost_callback_rate,
        "seed": seed,
    }
    changes = {field: value for field, value in changes.items() if value is not None}
    if latency is not None:
        try:
            changes["latency"] = Latency.from_spec(latency).model_dump()
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--latency") from None
    if rate_limit is not None:
        changes["rate_limit_per_second"] = rate_limit or None
    if not changes:
        raise typer.BadParameter("give at least one option to change (see --help)")
    _print_state(_call("PATCH", url, "/_control/faults", changes))


@faults_app.command()
def reset(url: Url) -> None:
    """Put the mock back on its default profile, re-seeded, with the counters at zero."""
    _print_state(_call("POST", url, "/_control/faults/reset"))


def _call(method: str, url: str, path: str, body: dict[str, Any] | None = None) -> FaultState:
    """One control API call; unreachable mock or refused change → message on stderr, exit code 1."""
    try:
        with httpx.Client(base_url=url, timeout=10.0) as http:
            return parse_state(http.request(method, path, json=body))
    except httpx.HTTPError as exc:
        _fail(f"cannot reach the mock at {url}: {exc}")
    except FaultControlError as exc:
        _fail(f"the mock refused: {_reasons(exc.detail)}" if exc.status == 422 else str(exc))


def _fail(message: str) -> NoReturn:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


def _reasons(detail: Any) -> str:
    """FastAPI-style validation errors as `field: message; ...`."""
    if not isinstance(detail, list):
        return str(detail)
    return "; ".join(f"{'.'.join(map(str, error.get('loc', [])))}: {error.get('msg')}" for error in detail)


def _print_state(state: FaultState) -> None:
    profile = state.profile.model_dump(exclude={"latency"})
    latency = state.profile.latency.model_dump(exclude_none=True)
    table = Table(title=f"faults of {state.name}", show_header=False)
    table.add_row("latency", ", ".join(f"{key}={value}" for key, value in latency.items()))
    for field, value in profile.items():
        table.add_row(field, "off" if value is None else str(value))
    counters = Table(title="injected since reset", show_header=False)
    for kind, count in state.stats.items():
        counters.add_row(kind, str(count))
    console = Console()
    console.print(table)
    console.print(counters)
