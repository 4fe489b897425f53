"""The embedded stack (`lgsp run`'s) on free ports, in its own process, for the dashboard's tests.

Run as `python -m tests.dashboard.live_stack`: prints one JSON line (gateway URL, launch link, mock
URLs) once everything listens, and stops cleanly on SIGTERM/SIGINT. The default catalog is used with
its adapters pointed at the mocks' free ports and the population provider's breaker made quick
(opens after 4 calls, probes after 2 s), so a test sees it open and close in seconds.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import tempfile
from pathlib import Path

import yaml

from bus.catalog import load_catalog
from bus.transport import MemoryTransport
from lgsp.default_catalog import DEFAULT_CATALOG
from lgsp.embedded import EmbeddedStack
from services.registry import MOCKS

QUICK_BREAKER = {"failure_ratio": 0.5, "window": 10.0, "min_calls": 4, "open_seconds": 2.0}


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def catalog_for_test(mock_ports: dict[str, int], folder: Path) -> Path:
    """The default catalog with adapters at `mock_ports` and a quick population breaker."""
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    for name, port in mock_ports.items():
        section = data["adapters"].get(name)
        if section is not None and "base_url" in section:
            section["base_url"] = f"http://127.0.0.1:{port}"
    for service in data["services"]:
        if service["adapter"] == "population":
            service["breaker"] = QUICK_BREAKER
            service["retry"] = {"max_attempts": 1}
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def main() -> None:
    mock_ports = {name: free_port() for name in MOCKS}
    with tempfile.TemporaryDirectory() as folder:
        catalog = load_catalog(catalog_for_test(mock_ports, Path(folder)))
        stack = EmbeddedStack(
            catalog=catalog,
            transport=MemoryTransport(),
            port=free_port(),
            latency=False,
            mock_ports=mock_ports,
        )
        served = await stack.start()
        print(
            json.dumps({"link": stack.dashboard_link, "urls": {item.name: item.url for item in served}}),
            flush=True,
        )
        stopped = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stopped.set)
        await stopped.wait()
        await stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
