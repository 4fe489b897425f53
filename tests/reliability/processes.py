"""`lgsp worker` subprocesses and throwaway catalogs for tests that stop or kill real worker processes."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import aio_pika
import yaml

from bus.catalog import Catalog, hash_api_key, load_catalog
from bus.reliability.backoff import DELAY_BUCKETS_MS
from bus.transport import dead_letter_queue
from bus.transport.amqp_wire import retry_queue_name

CLIENT = "VN/GOV/HPG/STP"
KEY = "process-test-key"


def write_catalog(directory: Path, adapters: dict[str, Any], services: list[dict[str, Any]]) -> Path:
    """A catalog file whose services live under a fresh subsystem `{SUB}` (so queues never collide)."""
    subsystem = "P" + secrets.token_hex(4).upper()
    path = directory / "catalog.yaml"
    for service in services:
        service["id"] = service["id"].replace("{SUB}", subsystem)
        service.setdefault("allow", [CLIENT])
    path.write_text(
        yaml.safe_dump(
            {
                "adapters": adapters,
                "clients": [{"id": CLIENT, "api_key_sha256": [hash_api_key(KEY)]}],
                "services": services,
            }
        )
    )
    return path


def start_worker(
    amqp_url: str, catalog: Path, name: str, *extra_env: tuple[str, str]
) -> subprocess.Popen[str]:
    """`lgsp worker` in its own process, its output kept in a file beside the catalog."""
    env = {**os.environ, "LGSP_AMQP_URL": amqp_url, "LGSP_CATALOG": str(catalog), "LGSP_LOG_LEVEL": "WARNING"}
    env.update(dict(extra_env))
    log = (catalog.parent / f"{name}.log").open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "lgsp.cli", "worker", "--name", name],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str], timeout: float = 20.0) -> int:
    """Terminate (if still running) and reap; the exit code."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout)


async def delete_queues(amqp_url: str, catalog: Catalog) -> None:
    """Remove every queue the catalog's services may have declared: service, DLQ and retry queues."""
    connection = await aio_pika.connect(amqp_url, timeout=5)
    async with connection:
        channel = await connection.channel()
        for service in catalog.services:
            queue = service.id.queue_name
            for name in (
                queue,
                dead_letter_queue(queue),
                *(retry_queue_name(queue, b) for b in DELAY_BUCKETS_MS),
            ):
                await channel.queue_delete(name)


async def wait_for_queue(amqp_url: str, queue: str, timeout: float = 30.0) -> None:
    """Until a worker has declared `queue` (it exists once consumed)."""
    connection = await aio_pika.connect(amqp_url, timeout=5)
    async with connection:
        for _ in range(int(timeout / 0.2)):
            channel = await connection.channel()
            try:
                await channel.declare_queue(queue, passive=True)
                return
            except aio_pika.exceptions.ChannelClosed:
                await asyncio.sleep(0.2)
    raise AssertionError(f"no worker declared {queue} within {timeout} s")


def catalog_of(path: Path) -> Catalog:
    """The catalog in `path`."""
    return load_catalog(path)
