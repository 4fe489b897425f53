"""A worker process for the chaos test: bus.worker.Worker with the civil adapter and a Redis store.

It is `lgsp worker` with one difference the test needs: its store is Redis under the run's own key
prefix, so dedupe, key states and breakers are shared by all processes and the gateway, and no other
run's keys are touched. Usage:
python -m tests.chaos.worker_process AMQP_URL REDIS_URL CATALOG NAME STORE_PREFIX
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from adapters.civil.adapter import create_adapter
from bus.catalog import load_catalog
from bus.store import RedisStore
from bus.transport import AmqpTransport
from bus.worker import Worker

CONNECTION_PREFIX = "lgsp-chaos-worker-"


async def serve(amqp_url: str, redis_url: str, catalog_path: str, name: str, prefix: str) -> None:
    """Serve until SIGTERM, then stop gracefully."""
    catalog = load_catalog(Path(catalog_path))
    transport = AmqpTransport(amqp_url, connection_name=f"{CONNECTION_PREFIX}{name}", reconnect_interval=0.5)
    store = RedisStore(redis_url, prefix=prefix)
    adapters = {"civil": create_adapter(catalog.adapters["civil"])}
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
    asyncio.run(serve(*sys.argv[1:6]))
