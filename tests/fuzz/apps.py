"""Every HTTP surface under fuzz: the secured gateway (with a worker) and each mock with its control API."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from adapters.echo import EchoAdapter
from adapters.payment import PaymentAdapter, PaymentConfig
from adapters.vnpost import VnpostAdapter, VnpostConfig
from bus.admin import AdminCredential, admin_router
from bus.auth import token_router
from bus.events import TransportEventPublisher
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.callbacks import callbacks_router
from bus.gateway.operations import operations_router
from bus.inbound import InboundContext, InboundSettings
from bus.monitoring import make_monitoring_sink, monitoring_router
from bus.monitoring.access import MonitoringCredential
from bus.store import MemoryStore
from bus.transport import make_transport
from bus.worker import Worker
from services.citizens import Population
from services.faults import FaultProfile
from services.portal.settings import PortalSettings
from services.registry import MOCKS
from tests.in_process_stack import SECURED_SLOW_SECONDS
from tests.security.conftest import ADMIN_KEY, STP_KEY, auth_settings, security_catalog

# Sent with every gateway case, so the fuzzer reaches the code behind authentication.
GATEWAY_HEADERS = {"x-road-client": "VN/GOV/HPG/STP", "x-api-key": STP_KEY, "x-admin-key": ADMIN_KEY}


class _WorkerResource:
    """Starts the echo worker once the gateway's transport is connected, stops it at shutdown."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def connect(self) -> None:
        await self.worker.start()

    async def close(self) -> None:
        await self.worker.stop()


def gateway_app() -> FastAPI:
    """The gateway with the security routers and middleware assembly mounts, on the memory transport."""
    catalog, settings = security_catalog(), auth_settings()
    transport = make_transport(None, connection_name="lgsp-fuzz")
    adapters = {"echo": EchoAdapter({}), "slow": EchoAdapter({"delay": SECURED_SLOW_SECONDS})}
    worker = Worker(catalog, transport, adapters, name="fuzz-worker", drain_seconds=1)
    access = AccessControl.build(catalog, MemoryStore(), settings)
    store = MemoryStore()
    monitoring = make_monitoring_sink(None, catalog=catalog)
    app = create_gateway(
        catalog,
        transport,
        sinks=[monitoring],
        resources=[_WorkerResource(worker), monitoring],
        access=access,
        store=store,
        max_body_bytes=65_536,
    )
    app.include_router(token_router(access.catalog, access.keyring, access.tokens))
    admin = AdminCredential(settings.admin_key_sha256)
    app.include_router(admin_router(access, admin))
    # The rest of what bus/gateway/assembly.py mounts: monitoring and breakers behind their credential
    # (GATEWAY_HEADERS carry the admin key), provider callbacks.
    monitored = [Depends(MonitoringCredential(settings.monitoring_token_sha256, admin))]
    app.include_router(monitoring_router(monitoring, dependencies=monitored))
    app.include_router(operations_router(catalog, store, dependencies=monitored))
    receivers = {"payment": PaymentAdapter(PaymentConfig()), "vnpost": VnpostAdapter(VnpostConfig())}
    inbound = InboundContext(TransportEventPublisher(transport), store, InboundSettings())
    app.include_router(callbacks_router(receivers, inbound))
    return app


NOWHERE = "http://127.0.0.1:9"


def mock_apps() -> dict[str, FastAPI]:
    """Each mock national system, without latency and without injected faults (reset after every case)."""
    population = Population(size=1_000)
    apps = {}
    for name, spec in MOCKS.items():
        # Mocks that call the LGSP (portal, motcua, callbacks) are pointed at a closed port: a fuzz case
        # must never reach whatever else listens on this machine (connection refused at once).
        if name == "portal":
            # A send run is paced (count / rate seconds) and answers when done: plans longer than the
            # fuzzer's 10 s read time-out are refused with the portal's own error instead.
            settings = PortalSettings(gateway_url=NOWHERE, max_send_seconds=3)
            app = spec.create(settings=settings, population=population)
        else:
            app = spec.build(population=population, latency=False, gateway_url=NOWHERE)
        app.state.faults.defaults = FaultProfile()
        app.state.faults.reset()
        apps[name] = app
    return apps
