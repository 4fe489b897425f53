"""The `lgsp` command: run the embedded stack, or the gateway, a worker or a mock alone; call a service."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvloop
from rich.console import Console
from rich.table import Table

from adapters.conformance.cli import adapter_app
from bus.adapter_registry import build_adapters, missing_adapters
from bus.catalog import Catalog, CatalogError, hash_api_key, load_catalog
from bus.config_report import config_app
from bus.dlq.cli import dlq_app
from bus.gateway.settings import bind_address
from bus.heap import freeze_startup_heap
from bus.settings import BusSettings
from bus.store import make_store
from bus.transport import make_transport
from bus.txlog.cli import log_app
from loadtests.cli import bench_app, capacity_app
from services.faults.cli import faults_app
from services.registry import MOCKS

app = typer.Typer(help="LGSP integration-bus simulator.", no_args_is_help=True, add_completion=False)
catalog_app = typer.Typer(help="Validate and work with catalog files.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
console = Console()
errors = Console(stderr=True)

AmqpOption = Annotated[str | None, typer.Option("--amqp-url", help="RabbitMQ URL (env LGSP_AMQP_URL)")]
RedisOption = Annotated[str | None, typer.Option("--redis-url", help="Redis URL (env LGSP_REDIS_URL)")]
CatalogOption = Annotated[Path | None, typer.Option("--catalog", help="catalog YAML (env LGSP_CATALOG)")]


def _settings(**overrides: Any) -> BusSettings:
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return BusSettings(**given)
    except ValueError as exc:
        errors.print(f"[red]bad settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def _catalog(settings: BusSettings) -> Catalog:
    try:
        return load_catalog(settings.catalog_path)
    except CatalogError as exc:
        errors.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per outbound call drowns the rest


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="address all servers bind [env LGSP_GATEWAY_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="gateway port [env LGSP_GATEWAY_PORT]")] = None,
    latency: Annotated[bool, typer.Option(help="realistic provider latencies in the mocks")] = True,
    mocks: Annotated[bool, typer.Option(help="start the mock national systems")] = True,
    workers: Annotated[int, typer.Option(min=1, max=32, help="in-process workers")] = 1,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
    catalog: CatalogOption = None,
) -> None:
    """The embedded default: gateway, workers and mock systems in one process (memory transport)."""
    from bus.embedded import EmbeddedStack
    from bus.monitoring.access import monitoring_hint

    host, port = bind_address(host, port)
    settings = _settings(amqp_url=amqp_url, redis_url=redis_url, catalog=catalog)
    _logging(settings.log_level)
    stack = EmbeddedStack(
        catalog=_catalog(settings),
        transport=make_transport(settings.amqp_url, delivery_limit=settings.delivery_limit),
        host=host,
        port=port,
        mocks=list(MOCKS) if mocks else [],
        latency=latency,
        workers=workers,
        settings=settings,
    )

    async def main() -> None:
        served = await stack.start()
        freeze_startup_heap()
        table = Table(title=f"LGSP running ({'amqp' if settings.amqp_url else 'memory'} transport)")
        table.add_column("component")
        table.add_column("URL")
        for item in served:
            table.add_row(item.name, item.url)
        console.print(table)
        console.print(f"API docs: http://{host}:{port}/docs   stop with Ctrl+C")
        console.print(monitoring_hint(f"http://{host}:{port}", stack.monitoring_token), soft_wrap=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        await stopped.wait()
        console.print("stopping…")
        await stack.stop()

    uvloop.run(main())


@app.command()
def gateway(
    host: Annotated[str | None, typer.Option(help="address to bind [env LGSP_GATEWAY_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [env LGSP_GATEWAY_PORT]")] = None,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Run the gateway alone (needs RabbitMQ and separate `lgsp worker` processes)."""
    import uvicorn

    from bus.gateway.assembly import assemble_gateway
    from bus.http_intake import server_options

    host, port = bind_address(host, port)
    settings = _settings(amqp_url=amqp_url, redis_url=redis_url, catalog=catalog)
    _logging(settings.log_level)
    if settings.amqp_url is None:
        errors.print(
            "[yellow]no --amqp-url: memory transport, so only workers in this process answer[/yellow]"
        )
    transport = make_transport(
        settings.amqp_url,
        delivery_limit=settings.delivery_limit,
        connection_name=f"lgsp-gateway-{settings.worker_name}",
    )
    api = assemble_gateway(_catalog(settings), transport, settings)
    freeze_startup_heap()
    # With the intake's read time-outs and connection bound, and TLS / mutual TLS when configured.
    uvicorn.run(api, host=host, port=port, log_level=settings.log_level.lower(), **server_options())


@app.command()
def worker(
    service: Annotated[
        list[str] | None, typer.Option("--service", help="service id or adapter name to host (repeatable)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="worker name in replies and logs")] = None,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Consume the queues of the catalog's services (or the chosen ones) and call their adapters."""
    from bus.event_recorder import EventRecorder
    from bus.worker import Worker

    settings = _settings(amqp_url=amqp_url, redis_url=redis_url, catalog=catalog, worker_name=name)
    _logging(settings.log_level)
    if settings.amqp_url is None:
        errors.print("[red]a separate worker needs --amqp-url (or LGSP_AMQP_URL)[/red]")
        raise typer.Exit(2)
    the_catalog = _catalog(settings)
    transport = make_transport(
        settings.amqp_url,
        delivery_limit=settings.delivery_limit,
        connection_name=f"lgsp-worker-{settings.worker_name}",
    )

    async def main() -> None:
        import signal

        hosted = Worker(
            the_catalog,
            transport,
            {},
            name=settings.worker_name,
            only=service,
            store=make_store(settings.store_url),
        )
        hosted.adapters = build_adapters(
            the_catalog,
            {s.adapter for s in hosted.services},
            bus_values=settings.bus_values,
            overrides=settings.adapter_overrides,
        )
        if not hosted.services:
            errors.print(f"[red]no service in the catalog matches {service}[/red]")
            raise typer.Exit(2)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        events = EventRecorder(transport, the_catalog.events)
        await hosted.start()
        await events.start()
        freeze_startup_heap()
        console.print(f"worker {settings.worker_name} serving {len(hosted.services)} service(s)")
        await stopped.wait()
        await events.stop()
        await hosted.stop()
        await transport.close()

    uvloop.run(main())


@app.command()
def mock(
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(MOCKS)}")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: the mock's own port")] = None,
    latency: Annotated[bool, typer.Option(help="realistic latencies")] = True,
) -> None:
    """Run one mock national system alone."""
    import uvicorn

    spec = MOCKS.get(name)
    if spec is None:
        errors.print(f"[red]unknown mock {name!r}[/red]; choose one of: {', '.join(MOCKS)}")
        raise typer.Exit(2)
    from services.citizens import Population

    served = spec.build(population=Population(), latency=latency)
    freeze_startup_heap()
    uvicorn.run(
        served,
        host=host,
        port=port or spec.port,
        log_level="warning",
    )


@app.command()
def call(
    service: Annotated[str, typer.Argument(help="service id, e.g. VN/GOV/HPG/LGSP/Echo/v1")],
    client: Annotated[str, typer.Option(help="calling client id")] = "VN/GOV/HPG/STP",
    key: Annotated[str, typer.Option(help="the client's API key", envvar="LGSP_API_KEY")] = "stp-demo-key",
    json_body: Annotated[str | None, typer.Option("--json", help="JSON body")] = None,
    method: Annotated[str, typer.Option(help="HTTP method")] = "POST",
    path: Annotated[str, typer.Option(help="REST sub-path after the service id")] = "",
    gateway_url: Annotated[str, typer.Option("--gateway", help="gateway URL")] = "http://127.0.0.1:8000",
    user_id: Annotated[str | None, typer.Option(help="officer id (X-Road-UserId)")] = None,
    issue: Annotated[str | None, typer.Option(help="dossier number (X-Road-Issue)")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait")] = 60.0,
) -> None:
    """Send one request through the gateway and pretty-print the answer."""
    body: Any = None
    if json_body is not None:
        try:
            body = json.loads(json_body)
        except json.JSONDecodeError as exc:
            errors.print(f"[red]--json is not valid JSON:[/red] {exc}")
            raise typer.Exit(2) from exc
    headers = {"X-Road-Client": client, "X-Api-Key": key}
    if user_id:
        headers["X-Road-UserId"] = user_id
    if issue:
        headers["X-Road-Issue"] = issue
    url = f"{gateway_url.rstrip('/')}/r1/{service.strip('/')}" + (f"/{path.strip('/')}" if path else "")
    try:
        response = httpx.request(method.upper(), url, json=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        errors.print(f"[red]cannot reach the gateway at {gateway_url}:[/red] {exc}")
        raise typer.Exit(1) from exc
    transaction = response.headers.get("x-road-id", "-")
    elapsed_ms = response.elapsed.total_seconds() * 1000
    errors.print(f"HTTP {response.status_code}  transaction {transaction}  {elapsed_ms:.1f} ms")
    try:
        console.print_json(json.dumps(response.json(), ensure_ascii=False))
    except ValueError:
        console.print(response.text)
    if response.status_code >= 400:
        raise typer.Exit(1)


@catalog_app.command("check")
def catalog_check(path: Annotated[Path, typer.Argument(help="catalog YAML file")]) -> None:
    """Validate a catalog; name the line and field of each mistake (exit 1 when invalid)."""
    try:
        loaded = load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            errors.print(f"{path}:{problem}")
        errors.print(f"[red]{len(exc.problems)} problem(s)[/red]")
        raise typer.Exit(1) from exc
    missing = missing_adapters(loaded)
    if missing:
        errors.print(
            f"{path}: adapters not installed: {', '.join(missing)} (entry-point group lgsp.adapters)"
        )
        raise typer.Exit(1)
    console.print(
        f"{path}: ok — {len(loaded.clients)} clients, {len(loaded.services)} services, "
        f"{len(loaded.adapters)} adapters"
    )


@catalog_app.command("hash-key")
def catalog_hash_key(key: Annotated[str, typer.Argument(help="an API key to store in a catalog")]) -> None:
    """Print the SHA-256 digest under which a catalog stores an API key."""
    console.print(hash_api_key(key))


app.add_typer(faults_app, name="faults", help="Inject faults into a running mock system.")
app.add_typer(log_app, name="log", help="Verify, export and query the transaction log.")
app.add_typer(dlq_app, name="dlq", help="List, show, replay and purge dead letters.")
app.add_typer(capacity_app, name="capacity", help="Capacity report: Locust against the bus, SLO verdict.")
app.add_typer(bench_app, name="bench", help="Micro-benchmark of the bus path and its raw hops.")
app.add_typer(adapter_app, name="adapter", help="Check adapters against the mocks (conformance kit).")
app.add_typer(config_app, name="config", help="The configuration in effect (secrets masked); every setting.")

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
