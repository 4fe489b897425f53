"""The layers hold at run time: the gateway process loads no mock, `lgsp --help` loads nothing heavy.

(import-linter's contracts in pyproject.toml check the imports statically; these check what a real
process ends up loading, entry points and lazy imports included.) Each runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GATEWAY_PROCESS = """
import json, sys
import uvicorn

def report(server, sockets=None):
    app = server.config.app
    print(json.dumps({"modules": sorted(sys.modules), "paths": sorted(app.openapi()["paths"])}))
    server.started = True

uvicorn.Server.run = report  # assemble the gateway as `lgsp gateway` does, then report instead of serving
from lgsp.cli import app
sys.argv = ["lgsp", "gateway"]
app()
"""

HELP_PROCESS = """
import json, sys
from lgsp.cli import app
sys.argv = ["lgsp", "--help"]
try:
    app()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def python(code: str) -> str:
    """Run `code` in a fresh interpreter at the repository root, with no LGSP_ setting inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def top_level(modules: list[str], *packages: str) -> list[str]:
    return [m for m in modules if m.split(".")[0] in packages]


def test_the_gateway_process_loads_no_mock_module() -> None:
    report = json.loads(python(GATEWAY_PROCESS))
    assert top_level(report["modules"], "services", "loadtests") == []
    # It did build the catalog's adapters and mount their callback routes (so the check means something).
    assert "adapters.payment.callbacks" in report["modules"]
    assert {"/callbacks/paygov/{partner}", "/callbacks/vnpost"} <= set(report["paths"])


def test_importing_every_builtin_adapter_loads_no_mock_module() -> None:
    code = (
        "import json, sys\n"
        "import adapters.echo, adapters.population, adapters.civil, adapters.payment, adapters.vnpost\n"
        "import adapters.motcua, adapters.portal, adapters.conformance, adapters.sdk\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert top_level(json.loads(python(code)), "services", "loadtests", "lgsp") == []


def test_help_imports_neither_the_bus_nor_its_heavy_dependencies() -> None:
    modules = json.loads(python(HELP_PROCESS))
    heavy = ("fastapi", "starlette", "aio_pika", "redis", "httpx", "uvloop", "uvicorn", "locust", "pydantic")
    assert top_level(modules, *heavy) == []
    assert top_level(modules, "bus", "adapters", "services", "loadtests") == []
