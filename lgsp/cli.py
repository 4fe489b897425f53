"""The `lgsp` command: run the embedded stack, or the gateway, a worker or a mock alone; call a service.

Heavy imports (the bus, the mocks, FastAPI, aio-pika) happen inside the commands and sub-command groups
load on first use (`lgsp.lazy_commands`), so that `lgsp --help` starts at once.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer
from rich.console import Console
from rich.markup import escape

from lgsp.lazy_commands import LazySubcommands

if TYPE_CHECKING:
    from bus.catalog import Catalog
    from bus.settings import BusSettings
    from lgsp.process_group import ProcessGroup
    from services.portal.settings import Procedure


class LgspCommands(LazySubcommands):
    """The `lgsp` group: its sub-command groups, imported when used."""

    subcommands: ClassVar[dict[str, tuple[str, str]]] = {
        "faults": ("services.faults.cli:faults_app", "Inject faults into a running mock system."),
        "log": ("lgsp.log_cli:log_app", "Verify, export and query the transaction log."),
        "dlq": ("lgsp.dlq_cli:dlq_app", "List, show, replay and purge dead letters."),
        "capacity": ("loadtests.cli:capacity_app", "Capacity report: Locust against the bus, SLO verdict."),
        "bench": ("loadtests.cli:bench_app", "Micro-benchmark of the bus path and its raw hops."),
        "adapter": ("lgsp.adapter_cli:adapter_app", "Write (template), check and list adapters."),
        "config": ("lgsp.config_report:config_app", "The configuration in effect, secrets masked."),
        "journey": (
            "lgsp.journey_cli:journey_app",
            "Start, show and list citizens' journeys, refused feed entries.",
        ),
    }


app = typer.Typer(
    cls=LgspCommands, help="LGSP integration-bus simulator.", no_args_is_help=True, add_completion=False
)
catalog_app = typer.Typer(help="Validate and work with catalog files.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
console = Console()
errors = Console(stderr=True)

AmqpOption = Annotated[str | None, typer.Option("--amqp-url", help="RabbitMQ URL (env LGSP_AMQP_URL)")]
RedisOption = Annotated[str | None, typer.Option("--redis-url", help="Redis URL (env LGSP_REDIS_URL)")]
CatalogOption = Annotated[Path | None, typer.Option("--catalog", help="catalog YAML (env LGSP_CATALOG)")]
DebugOption = Annotated[bool, typer.Option("--debug", help="on a failure to start, show the full traceback")]
ProcessesOption = Annotated[
    int,
    typer.Option(
        min=1, max=64, help="processes sharing the port (SO_REUSEPORT); > 1 needs --amqp-url and --redis-url"
    ),
]
# Set by a process group on its children: bind the shared port with SO_REUSEPORT.
ReusePortOption = Annotated[bool, typer.Option("--reuse-port", hidden=True)]


def _process_group(
    command: list[str], processes: int, settings: BusSettings, catalog: Path | None, debug: bool
) -> ProcessGroup:
    """`processes` copies of `command` sharing one port, or exit 2 without RabbitMQ and Redis."""
    from lgsp.process_group import NeedsSharedState, ProcessGroup, require_shared_state

    try:
        require_shared_state(processes, settings.amqp_url, settings.redis_url)
    except NeedsSharedState as exc:
        errors.print(f"[red]refusing to start:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    shared = {"LGSP_AMQP_URL": settings.amqp_url or "", "LGSP_REDIS_URL": settings.redis_url or ""}
    if catalog is not None:
        shared["LGSP_CATALOG"] = str(catalog)
    flags = ["--reuse-port", *(["--debug"] if debug else [])]
    console.print(f"{processes} processes sharing the port; stop with Ctrl+C")
    return ProcessGroup([*command, *flags], processes, shared)


@contextmanager
def _refusing_broken_adapters(debug: bool) -> Iterator[None]:
    """An adapter that is not installed, does not build, or whose callback routes collide stops the
    command with one line naming it (exit 2); the traceback only with --debug."""
    from bus.adapter_registry import AdapterUnavailable
    from bus.gateway.callbacks import CallbackRouteConflict

    try:
        yield
    except (AdapterUnavailable, CallbackRouteConflict) as exc:
        if debug:
            raise
        errors.print(
            f"[red]refusing to start:[/red] {escape(str(exc))} (--debug shows the traceback)", soft_wrap=True
        )
        raise typer.Exit(2) from None


def _settings(**overrides: Any) -> BusSettings:
    from bus.settings import BusSettings

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return BusSettings(**given)
    except ValueError as exc:
        errors.print(f"[red]bad settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def _catalog(settings: BusSettings) -> Catalog:
    from bus.catalog import CatalogError, load_catalog
    from lgsp.default_catalog import catalog_path

    try:
        return load_catalog(catalog_path(settings))
    except CatalogError as exc:
        errors.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per outbound call drowns the rest


def _portal_traffic(option: str | None, *, mocks: bool, processes: int) -> dict[Procedure, float]:
    """`--portal-traffic birth=2,death=1` as rates per procedure; a bad one is a usage error."""
    if option is None:
        return {}
    from pydantic import ValidationError

    from services.portal.citizen_traffic import TrafficRates, check_rates
    from services.portal.settings import PortalSettings

    if not mocks or processes > 1:
        raise typer.BadParameter("needs the mocks in this process (not --no-mocks, not --processes)",
                                 param_hint="--portal-traffic")  # fmt: skip
    try:
        pairs = dict(item.split("=", 1) for item in option.split(",") if item.strip())
        rates = TrafficRates.model_validate(
            {"rates_per_minute": {k.strip(): float(v) for k, v in pairs.items()}}
        )
    except (ValueError, ValidationError) as error:
        raise typer.BadParameter(f"PROCEDURE=PER_MINUTE,… with birth, death, dossier or lltp: {error}",
                                 param_hint="--portal-traffic") from None  # fmt: skip
    problem = check_rates(rates, PortalSettings())
    if problem is not None:
        raise typer.BadParameter(problem, param_hint="--portal-traffic")
    return rates.rates_per_minute


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="address all servers bind [env LGSP_GATEWAY_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="gateway port [env LGSP_GATEWAY_PORT]")] = None,
    latency: Annotated[bool, typer.Option(help="realistic provider latencies in the mocks")] = True,
    mocks: Annotated[bool, typer.Option(help="start the mock national systems")] = True,
    mock_port: Annotated[
        list[str] | None, typer.Option("--mock-port", help="NAME=PORT: serve mock NAME on PORT (repeatable)")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=32, help="in-process workers")] = 1,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
    catalog: CatalogOption = None,
    debug: DebugOption = False,
    processes: ProcessesOption = 1,
    reuse_port: ReusePortOption = False,
    portal_traffic: Annotated[
        str | None,
        typer.Option(
            help="citizens filing on the portal mock, dossiers per minute by procedure, e.g. "
            "birth=2,death=1,dossier=20,lltp=1 (off by default; also LGSP_PORTAL_TRAFFIC_RATES_PER_MINUTE)"
        ),
    ] = None,
) -> None:
    """The embedded default: gateway, workers and mock systems in one process (memory transport).

    With --processes N: N processes each serve the gateway (one shared port) and --workers workers on
    the shared RabbitMQ and Redis; the mocks run once, in the supervising process.
    """
    import asyncio

    import uvloop
    from rich.table import Table

    from bus.admin.credential import admin_hint
    from bus.gateway.settings import bind_address
    from bus.heap import freeze_startup_heap
    from bus.loop_watchdog import start_loop_watchdog
    from bus.monitoring.access import monitoring_hint
    from bus.transport import make_transport
    from lgsp.embedded import EmbeddedStack
    from services.registry import MOCKS

    host, port = bind_address(host, port)
    settings = _settings(amqp_url=amqp_url, redis_url=redis_url, catalog=catalog)
    _logging(settings.log_level)
    traffic = _portal_traffic(portal_traffic, mocks=mocks, processes=processes)
    if processes > 1:
        from bus.admin.credential import new_admin_key
        from bus.auth.settings import AuthSettings
        from bus.catalog import hash_api_key
        from bus.monitoring.access import new_monitoring_token
        from lgsp.embedded import serve_mocks_beside

        command = ["run", "--no-mocks", "--host", host, "--port", str(port), "--workers", str(workers)]
        group = _process_group(command, processes, settings, catalog, debug)
        # One monitoring token and admin key for the whole group (each member alone would make its own).
        token, admin_key, auth = new_monitoring_token(), new_admin_key(), AuthSettings()
        digests = [*auth.monitoring_token_sha256, hash_api_key(token)]
        group.settings["LGSP_AUTH_MONITORING_TOKEN_SHA256"] = json.dumps(digests)
        group.settings["LGSP_AUTH_ADMIN_KEY_SHA256"] = json.dumps(
            [*auth.admin_key_sha256, hash_api_key(admin_key)]
        )
        console.print(monitoring_hint(f"http://{host}:{port}", token), soft_wrap=True)
        console.print(admin_hint(admin_key), soft_wrap=True)
        served = MOCKS if mocks else {}
        raise typer.Exit(uvloop.run(serve_mocks_beside(group, list(served), host, port, latency)))
    stack = EmbeddedStack(
        catalog=_catalog(settings),
        transport=make_transport(settings.amqp_url, delivery_limit=settings.delivery_limit),
        host=host,
        port=port,
        mocks=list(MOCKS) if mocks else [],
        latency=latency,
        workers=workers,
        settings=settings,
        reuse_port=reuse_port,
        portal_traffic=traffic,
        mock_ports=_mock_ports(mock_port or [], MOCKS),
    )

    async def main() -> None:
        served = await stack.start()
        freeze_startup_heap()
        start_loop_watchdog()
        table = Table(title=f"LGSP running ({'amqp' if settings.amqp_url else 'memory'} transport)")
        table.add_column("component")
        table.add_column("URL")
        for item in served:
            table.add_row(item.name, item.url)
        console.print(table)
        console.print(f"API docs: http://{host}:{port}/docs   stop with Ctrl+C")
        console.print(monitoring_hint(f"http://{host}:{port}", stack.monitoring_token), soft_wrap=True)
        console.print(admin_hint(stack.admin_key), soft_wrap=True)
        # The link signs its first visitor in as the demo's operator, once; keep it to yourself.
        console.print(f"Dashboard: {stack.dashboard_link}", soft_wrap=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        await stopped.wait()
        console.print("stopping…")
        await stack.stop()

    with _refusing_broken_adapters(debug):
        uvloop.run(main())


def _mock_ports(pairs: list[str], known: Mapping[str, object]) -> dict[str, int]:
    """`--mock-port NAME=PORT` values as mock name → port; a bad pair is a usage error."""
    ports: dict[str, int] = {}
    for pair in pairs:
        name, _, port = pair.partition("=")
        if name not in known or not port.isdigit() or not 0 < int(port) < 65536:
            raise typer.BadParameter(
                f"{pair!r}: write NAME=PORT with a port in 1-65535 and a mock among {', '.join(known)}",
                param_hint="--mock-port",
            )
        ports[name] = int(port)
    return ports


@app.command()
def gateway(
    host: Annotated[str | None, typer.Option(help="address to bind [env LGSP_GATEWAY_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [env LGSP_GATEWAY_PORT]")] = None,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
    catalog: CatalogOption = None,
    debug: DebugOption = False,
    processes: ProcessesOption = 1,
    reuse_port: ReusePortOption = False,
) -> None:
    """Run the gateway alone (needs RabbitMQ and separate `lgsp worker` processes), with the dashboard
    at /ui showing the deployment that shares its RabbitMQ and Redis."""
    from bus.dashboard import EngineJourneys, install_dashboard
    from bus.gateway.assembly import assemble_gateway
    from bus.gateway.settings import bind_address
    from bus.heap import freeze_startup_heap
    from bus.http_intake import HttpIntakeSettings, server_config
    from bus.loop_watchdog import watched_lifespan
    from bus.serving import StreamClosingServer, reuse_port_socket
    from bus.transport import make_transport
    from lgsp.journey_runtime import gateway_journeys

    host, port = bind_address(host, port)
    settings = _settings(amqp_url=amqp_url, redis_url=redis_url, catalog=catalog)
    _logging(settings.log_level)
    dashboard_hint = (
        f"Dashboard: {HttpIntakeSettings().scheme}://{host}:{port}/ui/ "
        "(sign in with a monitoring token or the admin key)"
    )
    if processes > 1:
        command = ["gateway", "--host", host, "--port", str(port)]
        group = _process_group(command, processes, settings, catalog, debug)
        console.print(dashboard_hint, soft_wrap=True)
        raise typer.Exit(group.supervise())
    if settings.amqp_url is None:
        errors.print(
            "[yellow]no --amqp-url: memory transport, so only workers in this process answer[/yellow]"
        )
    transport = make_transport(
        settings.amqp_url,
        delivery_limit=settings.delivery_limit,
        connection_name=f"lgsp-gateway-{settings.worker_name}",
    )
    with _refusing_broken_adapters(debug):
        the_catalog = _catalog(settings)
        api = assemble_gateway(the_catalog, transport, settings)
    journeys = gateway_journeys(api, the_catalog, transport, settings, engines=0)  # workers run them
    # /ui: the deployment's views from the shared monitoring, log, breakers, queues and journeys; no
    # fault or load controls (the mocks and load generators are other processes').
    dashboard = install_dashboard(api, journeys=EngineJourneys(journeys.journeys))
    api.router.lifespan_context = watched_lifespan(api.router.lifespan_context)
    freeze_startup_heap()
    # With the intake's read time-outs, connection bound and shutdown grace, and TLS / mutual TLS when
    # configured; open dashboards' streams are ended first, so a signal stops the server at once.
    config = server_config(api, host, port, log_level=settings.log_level.lower())
    server = StreamClosingServer(config, before_shutdown=[dashboard.close])
    if not reuse_port:
        console.print(dashboard_hint, soft_wrap=True)
    # A member of a process group listens on the shared port's SO_REUSEPORT socket.
    server.run(sockets=[reuse_port_socket(host, port)] if reuse_port else None)
    if not server.started:  # as uvicorn.run: it could not listen (the cause is logged)
        raise typer.Exit(3)


@app.command()
def worker(
    service: Annotated[
        list[str] | None, typer.Option("--service", help="service id or adapter name to host (repeatable)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="worker name in replies and logs")] = None,
    amqp_url: AmqpOption = None,
    redis_url: RedisOption = None,
    catalog: CatalogOption = None,
    debug: DebugOption = False,
) -> None:
    """Consume the queues of the catalog's services (or the chosen ones) and call their adapters."""
    import asyncio

    import uvloop

    from bus.adapter_registry import build_adapters
    from bus.event_recorder import EventRecorder
    from bus.heap import freeze_startup_heap
    from bus.loop_watchdog import start_loop_watchdog
    from bus.reliability.breaker_reads import tracked_breaker_reads
    from bus.store import make_store
    from bus.transport import make_transport
    from bus.worker import Worker
    from lgsp.journey_runtime import worker_journeys

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
            store=tracked_breaker_reads(
                make_store(settings.store_url),
                settings.store_url,
                {s.adapter for s in the_catalog.services},
            ),
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
        journeys = worker_journeys(the_catalog, transport, settings)
        journeys.consume_events = False  # the recorder consumes the event queues and hands them over
        events = EventRecorder(transport, the_catalog.events, listeners=[journeys.deliver_event])
        await hosted.start()
        await journeys.start()  # before the recorder: events it hands over find the engines
        await events.start()
        freeze_startup_heap()
        start_loop_watchdog()
        console.print(f"worker {settings.worker_name} serving {len(hosted.services)} service(s)")
        await stopped.wait()
        await journeys.stop()
        await events.stop()
        await hosted.stop()
        await transport.close()

    with _refusing_broken_adapters(debug):
        uvloop.run(main())


@app.command()
def mock(
    name: Annotated[str, typer.Argument(help="the mock's name (an unknown one lists them all)")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: the mock's own port")] = None,
    latency: Annotated[bool, typer.Option(help="realistic latencies")] = True,
    gateway_url: Annotated[
        str | None, typer.Option(help="the gateway its callbacks and pushes reach (default: port 8000)")
    ] = None,
    keep_alive: Annotated[
        int,
        typer.Option(
            min=1,
            help="s an idle kept-alive connection stays open: longer than its callers keep one idle (the "
            "adapters' provider client 30 s), so they close first and never send on one it is closing",
        ),
    ] = 75,
) -> None:
    """Run one mock national system alone."""
    import uvicorn

    from bus.heap import freeze_startup_heap
    from services.registry import DEFAULT_GATEWAY_URL, MOCKS

    spec = MOCKS.get(name)
    if spec is None:
        errors.print(f"[red]unknown mock {name!r}[/red]; choose one of: {', '.join(MOCKS)}")
        raise typer.Exit(2)
    from services.citizens import Population

    served_port = port or spec.port
    served = spec.build(
        population=Population(),
        latency=latency,
        gateway_url=DEFAULT_GATEWAY_URL if gateway_url is None else gateway_url,
        own_url=f"http://{host}:{served_port}",
    )
    freeze_startup_heap()
    uvicorn.run(
        served,
        host=host,
        port=served_port,
        timeout_keep_alive=keep_alive,
        log_level="warning",
        access_log=False,  # silenced at "warning" anyway; off, no line is built per response
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
    import httpx

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
    from bus.adapter_registry import missing_adapters
    from bus.catalog import CatalogError, load_catalog

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
    from bus.catalog import hash_api_key

    console.print(hash_api_key(key))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
