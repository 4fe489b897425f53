"""A gateway served by uvicorn on a real socket (as `lgsp gateway` serves it), for raw-socket attacks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn

from adapters.echo import EchoAdapter
from bus.catalog import Catalog, hash_api_key
from bus.gateway.app import create_gateway
from bus.gateway.settings import GatewaySettings
from bus.http_intake import HttpIntakeSettings, server_config
from bus.transaction import TransactionRecord
from bus.transport import make_transport
from bus.worker import Worker

ATTACKER_KEY = "attacker-holds-a-valid-key"
AGENCY_KEY = "another-agency-key"
ECHO = "/r1/VN/GOV/HPG/INTAKE/Echo/v1"
ATTACKER = {"x-road-client": "VN/GOV/HPG/ATTACKER", "x-api-key": ATTACKER_KEY}
AGENCY = {"x-road-client": "VN/GOV/HPG/AGENCY", "x-api-key": AGENCY_KEY}
# How late a connection's close may come after its time-out (a loaded 2-core machine).
CLOSE_SLACK = 1.0


def closed_in_time(took: float, timeout: float) -> bool:
    """Whether a close `took` seconds after its bytes were sent came at its `timeout`, not before it and
    at most `CLOSE_SLACK` after it."""
    return timeout - 0.05 <= took <= timeout + CLOSE_SLACK


def intake_catalog() -> Catalog:
    """Two clients with a right to one echo service: the attacker (a valid key) and an agency."""
    return Catalog.model_validate(
        {
            "adapters": {"echo": {}},
            "clients": [
                {
                    "id": client["x-road-client"],
                    "groups": ["g"],
                    "api_key_sha256": [hash_api_key(client["x-api-key"])],
                }
                for client in (ATTACKER, AGENCY)
            ],
            "services": [{"id": ECHO.removeprefix("/r1/"), "adapter": "echo", "allow": ["group:g"]}],
        }
    )


@dataclass
class ServedGateway:
    """Where the gateway listens, and the transaction records it left."""

    host: str
    port: int
    scheme: str = "http"
    records: list[TransactionRecord] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The gateway's base URL."""
        return f"{self.scheme}://{self.host}:{self.port}"

    async def record(self, record: TransactionRecord) -> None:
        """The gateway's transaction sink."""
        self.records.append(record)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test's loop keeps its own handlers
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def served_gateway(
    intake: HttpIntakeSettings, gateway: GatewaySettings | None = None
) -> AsyncIterator[ServedGateway]:
    """The gateway (memory transport, an echo worker) behind uvicorn with `intake`'s limits."""
    catalog = intake_catalog()
    transport = make_transport(None, connection_name="lgsp-intake-test")
    await transport.connect()
    worker = Worker(catalog, transport, {"echo": EchoAdapter({})}, name="intake-worker", drain_seconds=1)
    await worker.start()
    served = ServedGateway("127.0.0.1", free_port(), intake.scheme)
    app = create_gateway(
        catalog,
        transport,
        sinks=[served],
        manage_transport=False,
        gateway_settings=gateway,
        client_ids=intake.tls_client_ids,
    )
    server = _Server(server_config(app, served.host, served.port, settings=intake))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield served
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        await worker.stop()
        await transport.close()


def head(headers: dict[str, str], length: int) -> bytes:
    lines = [f"POST {ECHO} HTTP/1.1", "host: gw", "content-type: application/json"]
    lines.append(f"content-length: {length}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def closed_after(gateway: ServedGateway, sent: bytes, limit: float) -> tuple[float, bytes]:
    """Open a connection, send `sent`, and read until the server closes it: (seconds, what came back)."""
    reader, writer = await asyncio.open_connection(gateway.host, gateway.port)
    started = time.monotonic()
    writer.write(sent)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), limit)
    writer.close()
    return time.monotonic() - started, answer
