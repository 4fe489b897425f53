"""A worker process for the chaos test: bus.worker.Worker with the register adapter and a Redis store.

It is `lgsp worker` with two differences the test needs: its adapter is the test's own (the effects
mock has no entry point) and its store is Redis, so dedupe and breakers are shared by all processes.
Usage: python -m tests.chaos.worker_process AMQP_URL REDIS_URL CATALOG NAME MOCK_URL STORE_PREFIX
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from bus.catalog import load_catalog
from bus.store import RedisStore
from bus.transport import AmqpTransport
from bus.worker import Worker
from tests.chaos.register_adapter import RegisterAdapter


async def serve(
    amqp_url: str, redis_url: str, catalog_path: str, name: str, mock_url: str, prefix: str
) -> None:
    """Serve until SIGTERM, then stop gracefully."""
    catalog = load_catalog(Path(catalog_path))
    timeout = min(service.timeout for service in catalog.services)
    transport = AmqpTransport(amqp_url, connection_name=f"lgsp-chaos-worker-{name}", reconnect_interval=0.5)
    store = RedisStore(redis_url, prefix=prefix)
    adapters = {"register": RegisterAdapter(mock_url, timeout)}
    worker = Worker(catalog, transport, adapters, name=name, store=store, drain_seconds=5)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    await worker.start()
    print(f"worker {name} ready", flush=True)
    await stopped.wait()
    await worker.stop()
    await transport.close()
    await store.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The per-message trace lines let the test say where a missing message was last seen.
    for traced in ("bus.worker", "bus.transport"):
        logging.getLogger(traced).setLevel(logging.DEBUG)
    asyncio.run(serve(*sys.argv[1:7]))
